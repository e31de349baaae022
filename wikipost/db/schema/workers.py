"""Tables of the operations domain: one heartbeat row per background worker.

A worker (``serve``'s worker process, its thread with ``[jobs] runner = "thread"``, or any
worker on another machine sharing a PostgreSQL store) is identified by (``host``, ``pid``) and
updates ``beat_at`` about once a second while it runs its passes (wikipost/ops/health.py).
``/readyz`` needs at least one row fresher than ``[health] max_worker_lag_seconds``. A worker
that stops cleanly deletes its row; rows of workers that died are pruned after a day.
"""

from sqlalchemy import Column, Float, Integer, PrimaryKeyConstraint, String, Table

from wikipost.db.schema.base import metadata

worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("beat_at", Float, nullable=False),
    PrimaryKeyConstraint("host", "pid"),
)

__all__ = ["worker_heartbeats"]
