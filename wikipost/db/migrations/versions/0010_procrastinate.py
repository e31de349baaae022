"""The job queue on PostgreSQL: procrastinate's schema, applied in the same upgrade as ours.

The SQL is the one the installed procrastinate ships (``SchemaManager.get_schema``), so
``wikipost init`` sets up everything a ``wikipost worker`` needs in one step. pyproject.toml pins
procrastinate to one minor version: a newer one may ship schema migrations of its own, which then
come here as a migration of ours. SQLite keeps the in-store queue: nothing to do there.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if bind.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar() is not None:
        return  # applied already (e.g. by procrastinate's own CLI)
    from procrastinate.schema import SchemaManager

    # The script holds functions with $$ bodies: run it through the driver as it is.
    bind.connection.driver_connection.execute(SchemaManager.get_schema())  # type: ignore[union-attr]


def downgrade() -> None:
    """procrastinate's tables, types and functions stay: unused by the table queue, and an
    upgrade finds them in place."""
