"""Tables of the massmessage domain (filled in by its issue)."""

from wikipost.db.schema.base import metadata

__all__ = ["metadata"]
