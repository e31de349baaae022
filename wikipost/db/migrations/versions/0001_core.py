"""Sessions and accounts.

Revision ID: 0001
"""

from alembic import op

from wikipost.db.schema import accounts, core

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [
    core.sessions,
    core.login_throttle,
    accounts.users,
    accounts.user_groups,
    accounts.user_options,
    accounts.bot_passwords,
    accounts.blocks,
    accounts.email_tokens,
]


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        table.create(bind)
