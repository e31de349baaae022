"""Create or upgrade the schema with alembic (``wikipost init``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from wikipost.db.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database) -> None:
    cfg = _config()
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        with conn.begin():
            if db.is_sqlite:  # pysqlite autocommits (see engine.py): make the upgrade atomic
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            command.upgrade(cfg, "head")


def is_current(db: Database) -> bool:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head
