"""Tables of the mail domain: the outbox and the emailuser duplicate guard.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from wikipost.db.schema import mail

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [mail.mail_outbox, mail.emailuser_requests]


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        table.create(bind)
