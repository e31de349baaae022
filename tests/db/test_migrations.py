"""Migrations build the whole schema from nothing, on SQLite and PostgreSQL, and are idempotent."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from tests.live import wikipost_command
from tests.servers import PostgresStores
from wikipost.db import Database
from wikipost.db.migrate import is_current, upgrade
from wikipost.db.schema import metadata


@pytest.fixture
def empty_store_url(any_store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database (no tables at all) on the backend under test."""
    if any_store == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    stores: PostgresStores = request.getfixturevalue("postgres_stores")
    name, url = stores.fresh(migrated=False)
    yield url
    stores.drop(name)


def _init(url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*wikipost_command(), "--data-dir", str(data_dir), "init"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "WIKIPOST_DATABASE_URL": url},
    )


def test_wikipost_init_twice_creates_every_table_once(empty_store_url: str, tmp_path: Path) -> None:
    first = _init(empty_store_url, tmp_path / "data")
    assert first.returncode == 0, first.stderr
    second = _init(empty_store_url, tmp_path / "data")
    assert second.returncode == 0, second.stderr
    assert "store ready" in second.stdout
    db = Database(empty_store_url)
    try:
        assert is_current(db)
        tables = set(inspect(db.engine).get_table_names())
        missing = set(metadata.tables) - tables
        assert not missing, f"tables declared on the MetaData but not created by a migration: {missing}"
    finally:
        db.dispose()


def test_upgrade_in_process_is_idempotent(empty_store_url: str) -> None:
    db = Database(empty_store_url)
    try:
        assert not is_current(db)
        upgrade(db)
        assert is_current(db)
        upgrade(db)
        assert is_current(db)
    finally:
        db.dispose()


def test_columns_match_the_declared_tables(empty_store_url: str) -> None:
    db = Database(empty_store_url)
    try:
        upgrade(db)
        inspector = inspect(db.engine)
        for name, table in metadata.tables.items():
            have = {c["name"] for c in inspector.get_columns(name)}
            assert have == {c.name for c in table.columns}, name
    finally:
        db.dispose()


def test_schema_head_constant_is_alembics_head() -> None:
    """ensure_current() trusts SCHEMA_HEAD: it must name the newest migration."""
    from wikipost.db.migrate import SCHEMA_HEAD, head_revision

    assert head_revision() == SCHEMA_HEAD


def test_ensure_current_migrates_a_new_store_and_then_only_reads(tmp_path: Path) -> None:
    from wikipost.db.migrate import SCHEMA_HEAD, ensure_current, stored_revision

    db = Database(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        assert stored_revision(db) is None
        ensure_current(db)
        assert stored_revision(db) == SCHEMA_HEAD
        ensure_current(db)  # already current: nothing to do
        assert stored_revision(db) == SCHEMA_HEAD
    finally:
        db.dispose()
