"""Migration 0008 rebuilds an older SQLite store's ``pages`` table with ``AUTOINCREMENT`` and
starts its counter above every page id the revisions and the log remember, so a page created
after a deletion never gets the deleted page's id; the rows already there keep theirs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from wikipost.db import Database
from wikipost.db.migrate import SCHEMA_HEAD, stored_revision, upgrade

OLD_PAGES = (
    "CREATE TABLE pages (id INTEGER NOT NULL, namespace INTEGER NOT NULL, dbkey VARCHAR(255) NOT NULL, "
    "content_model VARCHAR(64) NOT NULL, is_redirect BOOLEAN NOT NULL, is_new BOOLEAN NOT NULL, "
    "is_article BOOLEAN NOT NULL, touched BIGINT NOT NULL, latest_rev_id INTEGER NOT NULL, "
    "length INTEGER NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_pages_title UNIQUE (namespace, dbkey))"
)


def pages_sql(db: Database) -> str:
    with db.engine.connect() as conn:
        return str(conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'pages'")).scalar())


def test_migration_0008_stops_page_ids_being_reused(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    try:
        upgrade(db)
        assert "AUTOINCREMENT" in pages_sql(db)  # a new store has it from 0003
        with db.engine.begin() as conn:  # back to the pages table 0007 left, with page 7 deleted
            conn.execute(text("DROP TABLE pages"))
            conn.execute(text(OLD_PAGES))
            conn.execute(
                text(
                    "INSERT INTO pages (id, namespace, dbkey, content_model, is_redirect, is_new, "
                    "is_article, touched, latest_rev_id, length) VALUES (5, 0, 'Kept', 'wikitext', "
                    "0, 1, 0, 0, 1, 3)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO revisions (page_id, parent_id, user_id, user_name, timestamp, minor, "
                    "comment, size, sha1, content_model, text, tags, deleted) VALUES (7, 0, 0, "
                    "'x', 0, 0, '', 0, '', 'wikitext', '', '', 1)"
                )
            )
            conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
        upgrade(db)
        assert "AUTOINCREMENT" in pages_sql(db)
        assert stored_revision(db) == SCHEMA_HEAD
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT dbkey FROM pages WHERE id = 5")).scalar() == "Kept"
            conn.execute(
                text(
                    "INSERT INTO pages (namespace, dbkey, content_model, is_redirect, is_new, "
                    "is_article, touched, latest_rev_id, length) VALUES (0, 'New', 'wikitext', "
                    "0, 1, 0, 0, 0, 0)"
                )
            )
            assert conn.execute(text("SELECT id FROM pages WHERE dbkey = 'New'")).scalar() == 8
        upgrade(db)  # again: nothing to do
    finally:
        db.dispose()
