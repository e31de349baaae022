"""Worker heartbeats: one row per background worker (host, pid) for /readyz.

The table is written out here rather than created from its declaration in
wikipost/db/schema/workers.py, so that this migration keeps creating what it created when the
declaration changes later.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("worker_heartbeats"):
        return  # there already (a store set back to an older revision by hand)
    op.create_table(
        "worker_heartbeats",
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("beat_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("host", "pid", name="pk_worker_heartbeats"),
    )
