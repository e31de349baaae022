"""Pages: an id is never handed out again after its page was deleted.

SQLite gives a new row the highest id in use plus one, so deleting the newest page and creating
another gave the new page the deleted one's id, which its revisions (kept, marked deleted) and
its log entries still name. ``AUTOINCREMENT`` makes SQLite remember the highest id ever used.
The table is rebuilt where it lacks it, and the counter starts above every page id the
revisions and the log remember. PostgreSQL's sequences never reuse an id: nothing to do there.

Migration 0003 creates ``pages`` from the current table declaration, so a store created after
this change already has ``AUTOINCREMENT``.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLE = "pages"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    create_sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": TABLE}
    ).scalar_one()
    if "AUTOINCREMENT" not in create_sql.upper():
        with op.batch_alter_table(
            TABLE, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            batch.alter_column("id", existing_type=sa.Integer(), autoincrement=True)
    highest = bind.execute(
        sa.text(
            "SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM pages"
            " UNION ALL SELECT MAX(page_id) FROM revisions UNION ALL SELECT MAX(page_id) FROM logging)"
        )
    ).scalar()
    if highest:
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :name"), {"name": TABLE})
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
            {"name": TABLE, "seq": int(highest)},
        )
