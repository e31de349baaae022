"""The README's PostgreSQL backup and restore (pg_dump, createdb, pg_restore, wikipost init),
run as written against a real server: the restored database is a wiki with the same users."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.ops_cli.support import clean_env, run
from tests.servers import PostgresServer, PostgresStores, postgres_bin_dir

pytestmark = pytest.mark.postgres


def _tool(name: str) -> str:
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None
    return str(bin_dir / name)


def _users(url: str) -> list[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return sorted(str(n) for n in conn.execute(text("SELECT name FROM users")).scalars())
    finally:
        engine.dispose()


def test_pg_dump_and_pg_restore_as_the_readme_says(
    tmp_path: Path, postgres_server: PostgresServer, postgres_stores: PostgresStores
) -> None:
    name, url = postgres_stores.fresh(migrated=False)
    restored_name = f"{name}_restored"
    host, port, user = "127.0.0.1", str(postgres_server.port), postgres_server.superuser
    libpq = f"postgresql://{user}@{host}:{port}"
    try:
        env = clean_env(WIKIPOST_DATABASE_URL=url)
        data = str(tmp_path / "data")
        installed = run("--data-dir", data, "init", "--admin", "Root", "--password", "root-pass-1", env=env)
        assert installed.returncode == 0, installed.stderr
        made = run("--data-dir", data, "user", "create", "Alice", "--password", "alice-password-1", env=env)
        assert made.returncode == 0, made.stderr
        dump = tmp_path / "wikipost.dump"
        for command in (
            [_tool("pg_dump"), "--format=custom", f"--file={dump}", f"{libpq}/{name}"],
            [_tool("createdb"), f"--host={host}", f"--port={port}", f"--username={user}", restored_name],
            [
                _tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                f"--dbname={libpq}/{restored_name}",
                str(dump),
            ],
        ):
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, (command, done.stderr)
        restored_url = url.rsplit("/", 1)[0] + f"/{restored_name}"
        init = run("--data-dir", data, "init", env=clean_env(WIKIPOST_DATABASE_URL=restored_url))
        assert init.returncode == 0, init.stderr
        assert "created" not in init.stdout  # nothing to install: it is the same wiki
        assert _users(restored_url) == _users(url) and "Alice" in _users(restored_url)
    finally:
        postgres_server.drop_database(restored_name)
        postgres_stores.drop(name)
