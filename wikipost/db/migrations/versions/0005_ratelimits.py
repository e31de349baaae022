"""Rate-limit window entries for the database counter storage.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from wikipost.db.schema.ratelimits import ratelimit_entries

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ratelimit_entries.create(op.get_bind())
