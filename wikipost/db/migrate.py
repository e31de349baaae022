"""Create or upgrade the schema with alembic (``wikipost init``).

Alembic is imported only when the schema is behind: every CLI command checks the store, and a
plain query for the stored revision costs far less than loading alembic's scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from wikipost.db.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision; tests/db checks it against alembic's head.
SCHEMA_HEAD = "0010"


def _config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database) -> None:
    from alembic import command

    cfg = _config()
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        with conn.begin():
            if db.is_sqlite:  # pysqlite autocommits (see engine.py): make the upgrade atomic
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            command.upgrade(cfg, "head")


def stored_revision(db: Database) -> str | None:
    """The revision the store is at, or None for a store never initialised."""
    try:
        with db.engine.connect() as conn:
            value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None
    return str(value) if value is not None else None


def ensure_current(db: Database) -> None:
    """Upgrade only when the store is behind (the common case costs one query)."""
    if stored_revision(db) != SCHEMA_HEAD:
        upgrade(db)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    return str(head) if head is not None else None


def is_current(db: Database) -> bool:
    return stored_revision(db) == head_revision()
