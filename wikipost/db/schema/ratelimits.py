"""Rate-limit window entries, for the ``database`` counter storage (exact across processes)."""

from sqlalchemy import Column, Float, Index, Integer, String, Table

from wikipost.db.schema.base import metadata

ratelimit_entries = Table(
    "ratelimit_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False),
    Column("atime", Float, nullable=False),
    Index("ix_ratelimit_entries_key_atime", "key", "atime"),
)
