"""Mass-message sends: the id of their ``massmessage/send`` log entry and who cancelled them.

Special:Log links a send's log entry to its status page through ``log_id`` (an exact join: the
entry's params stay as MassMessage writes them). ``cancelled_by`` records the cancel.

Migration 0004 creates ``massmessage_sends`` from the current table declaration, so a store
created after this change already has the columns: they are added only where missing.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "massmessage_sends"
INDEX = "ix_massmessage_sends_log_id"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    columns = {c["name"] for c in inspector.get_columns(TABLE)}
    indexes = {i["name"] for i in inspector.get_indexes(TABLE)}
    with op.batch_alter_table(TABLE) as batch:
        if "log_id" not in columns:
            batch.add_column(sa.Column("log_id", sa.Integer(), nullable=True))
        if "cancelled_by" not in columns:
            batch.add_column(sa.Column("cancelled_by", sa.String(255), nullable=True))
    if INDEX not in indexes:
        op.create_index(INDEX, TABLE, ["log_id"])
