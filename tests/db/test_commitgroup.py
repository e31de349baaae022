"""Group commit: staged writes of one loop iteration share a transaction, each keeps its own
outcome, and a failed commit fails every request of the group and keeps nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, bindparam, insert, select

from wikipost.db.commitgroup import CommitGroup
from wikipost.db.prepared import Prepared
from wikipost.db.schema.mail import emailuser_requests
from wikipost.wiki import Wiki

_INSERT = Prepared(
    insert(emailuser_requests).values(dedupe_key=bindparam("key"), created=bindparam("created"))
)


def _insert(key: str) -> Any:
    def work(conn: Connection) -> str:
        _INSERT.run(conn, {"key": key, "created": 1})
        return key

    return work


def _keys(wiki: Wiki) -> list[str]:
    with wiki.db.read() as conn:
        return sorted(conn.execute(select(emailuser_requests.c.dedupe_key)).scalars())


def _counting_writes(wiki: Wiki, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = wiki.db.write

    @contextmanager
    def counted() -> Iterator[Connection]:
        calls.append(1)
        with real() as conn:
            yield conn

    monkeypatch.setattr(wiki.db, "write", counted)
    return calls


def test_writes_staged_together_share_one_transaction(
    any_wiki: Wiki, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = CommitGroup(any_wiki.db)
    writes = _counting_writes(any_wiki, monkeypatch)

    async def requests() -> list[str]:
        futures = [group.defer(_insert(k)) for k in ("a", "b", "c")]
        return list(await asyncio.gather(*futures))

    assert asyncio.run(requests()) == ["a", "b", "c"]
    assert len(writes) == 1
    assert _keys(any_wiki) == ["a", "b", "c"]


def test_a_failing_write_is_undone_alone(any_wiki: Wiki) -> None:
    group = CommitGroup(any_wiki.db)

    def half_then_fail(conn: Connection) -> None:
        _INSERT.run(conn, {"key": "half", "created": 1})
        raise ValueError("this request's own failure")

    async def requests() -> list[Any]:
        futures = [group.defer(_insert("first")), group.defer(half_then_fail), group.defer(_insert("last"))]
        return list(await asyncio.gather(*futures, return_exceptions=True))

    first, failed, last = asyncio.run(requests())
    assert (first, last) == ("first", "last")
    assert isinstance(failed, ValueError)
    assert _keys(any_wiki) == ["first", "last"]


def test_a_failed_commit_fails_the_whole_group_and_keeps_nothing(
    any_wiki: Wiki, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = CommitGroup(any_wiki.db)
    real = any_wiki.db.write

    @contextmanager
    def failing_commit() -> Iterator[Connection]:
        with real() as conn:
            yield conn
            raise OSError("disk full")

    monkeypatch.setattr(any_wiki.db, "write", failing_commit)

    async def requests() -> list[Any]:
        futures = [group.defer(_insert("x")), group.defer(_insert("y"))]
        return list(await asyncio.gather(*futures, return_exceptions=True))

    assert all(isinstance(r, OSError) for r in asyncio.run(requests()))
    monkeypatch.undo()
    assert _keys(any_wiki) == []
