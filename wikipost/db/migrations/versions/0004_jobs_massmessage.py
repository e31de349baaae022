"""The job queue and the mass-message sends with their per-target delivery records.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from wikipost.db.schema import jobs, massmessage

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = [
    jobs.jobs,
    massmessage.massmessage_sends,
    massmessage.massmessage_targets,
]


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        table.create(bind)
