"""Tables of the jobs domain (filled in by its issue)."""

from wikipost.db.schema.base import metadata

__all__ = ["metadata"]
