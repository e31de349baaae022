"""Tables of the jobs domain: the durable job queue.

A row is a unit of background work. ``available_at`` is when it may next be claimed: for a
queued job its (backed-off) start time, for a running job the expiry of its lease, NULL for a
job that failed for good — so one ordered index scan finds both "due" and "abandoned by a dead
worker" without sorting. Finished jobs are deleted; their results live with their owners.
"""

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from wikipost.db.schema.base import metadata

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("type", String(64), nullable=False),
    Column("payload", Text, nullable=False, default="{}"),
    Column("status", String(16), nullable=False, default="queued"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False, default=5),
    Column("available_at", Float, nullable=True),
    Column("lease_owner", String(40), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_jobs_available", "available_at", "id"),
    Index("ix_jobs_type_status", "type", "status"),
)

__all__ = ["jobs"]
