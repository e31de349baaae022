"""The real servers the storage tests stand on answer on loopback."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import text

from wikipost.db import Database
from wikipost.db.migrate import is_current


@pytest.mark.postgres
def test_postgres_fresh_database_is_migrated(postgres_db_url: str) -> None:
    assert postgres_db_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    db = Database(postgres_db_url)
    try:
        assert is_current(db)
        with db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgres_session_database_is_empty(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        with db.read() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar() == "wikipost_session"
    finally:
        db.dispose()


@pytest.mark.redis
def test_redis_answers(fresh_redis_url: str) -> None:
    client = redis.Redis.from_url(fresh_redis_url)
    try:
        assert client.incr("wikipost-test") == 1
        assert client.incr("wikipost-test") == 2
    finally:
        client.close()
