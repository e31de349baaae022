"""Blocks: whether a block autoblocks the user's IP addresses (``autoblock``).

action=block takes ``autoblock`` and list=blocks reports it among a block's flags; until now the
flag lived only in the block log entry. Existing blocks get false.

Migration 0001 creates ``blocks`` from the current table declaration, so a store created after
this change already has the column: it is added only where missing.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "blocks"


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(TABLE)}
    if "autoblock" not in columns:
        with op.batch_alter_table(TABLE) as batch:
            batch.add_column(sa.Column("autoblock", sa.Boolean(), nullable=False, server_default=sa.false()))
