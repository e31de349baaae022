"""Tables of the pages domain.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
from sqlalchemy import insert

from wikipost.db.schema import pages

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in pages.TABLES:
        table.create(bind)
    bind.execute(insert(pages.site_stats).values(id=1, pages=0, articles=0, edits=0, images=0, users=0))
