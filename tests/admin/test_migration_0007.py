"""Migration 0007 gives a store made before it the blocks' ``autoblock`` column (false for the
blocks already there); a store made after it has the column from 0001 and is left alone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from wikipost.db import Database
from wikipost.db.migrate import SCHEMA_HEAD, stored_revision, upgrade


def test_migration_0007_adds_autoblock_to_an_older_store(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    try:
        upgrade(db)
        with db.engine.begin() as conn:  # back to the blocks table 0006 left
            conn.execute(text("ALTER TABLE blocks DROP COLUMN autoblock"))
            conn.execute(
                text(
                    "INSERT INTO users (name, email, registration, editcount, gender, is_system, "
                    "newtalk) VALUES ('Old', '', 0, 0, 'unknown', 0, 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO blocks (user_id, by_name, reason, timestamp, sitewide, block_email, "
                    "create_account, allow_usertalk) VALUES (1, '', 'old', 0, 1, 0, 1, 1)"
                )
            )
            conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
        upgrade(db)
        assert "autoblock" in {c["name"] for c in inspect(db.engine).get_columns("blocks")}
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT autoblock FROM blocks")).scalar() in (0, False)
        assert stored_revision(db) == SCHEMA_HEAD
        upgrade(db)  # again: nothing to do
    finally:
        db.dispose()
