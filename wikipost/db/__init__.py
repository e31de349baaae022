"""Storage: SQLAlchemy Core over SQLite (embedded) or PostgreSQL."""

from wikipost.db.engine import Database

__all__ = ["Database"]
