"""Many writers at once: no "database is locked", no lost update, on both backends.

Two Database handles on one store stand for two processes (each has its own in-process write
lock), so SQLite's own locking (BEGIN IMMEDIATE + busy_timeout) is what keeps them apart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from wikipost.db import Database
from wikipost.db.schema.accounts import user_options, users
from wikipost.services.users import UserService
from wikipost.wiki import Wiki

THREADS = 8
ROUNDS = 25


def _run_threads(work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def target(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as err:  # noqa: BLE001 - collected and asserted on below
            errors.append(err)

    threads = [threading.Thread(target=target, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_concurrent_read_modify_write_loses_nothing(any_wiki: Wiki) -> None:
    """Each writer reads the counter and writes it + 1 inside one write transaction."""
    target = any_wiki.users.create("Counter", "pw")
    other = Database(any_wiki.settings.database_url)
    handles = [any_wiki.db, other]

    def work(n: int) -> None:
        db = handles[n % 2]
        for _ in range(ROUNDS):
            with db.write() as conn:
                if not db.is_sqlite:
                    conn.execute(select(users.c.id).where(users.c.id == target.id).with_for_update())
                count = conn.execute(select(users.c.editcount).where(users.c.id == target.id)).scalar_one()
                conn.execute(users.update().where(users.c.id == target.id).values(editcount=count + 1))

    try:
        errors = _run_threads(work)
    finally:
        other.dispose()
    assert errors == []
    assert any_wiki.users.get_by_id(target.id).editcount == THREADS * ROUNDS  # type: ignore[union-attr]


def test_concurrent_creates_and_option_writes(any_wiki: Wiki) -> None:
    other = Database(any_wiki.settings.database_url)
    services = [any_wiki.users, UserService(other, any_wiki.settings, any_wiki.clock)]

    def work(n: int) -> None:
        service = services[n % 2]
        for i in range(ROUNDS // 5):
            user = service.create(f"Writer {n} {i}", None)
            service.set_option(user.id, "disablemail", "1")
            with other.read() as conn:
                conn.execute(select(func.count()).select_from(users)).scalar_one()

    try:
        errors = _run_threads(work)
    finally:
        other.dispose()
    assert errors == []
    with any_wiki.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar_one() == THREADS * (ROUNDS // 5)
        assert conn.execute(select(func.count()).select_from(user_options)).scalar_one() == THREADS * (
            ROUNDS // 5
        )


def test_readers_see_committed_state_while_a_writer_holds_the_lock(any_wiki: Wiki) -> None:
    alice = any_wiki.users.create("Alice", "pw")
    reader = Database(any_wiki.settings.database_url)
    try:
        with any_wiki.db.write() as conn:
            any_wiki.users.increment_editcount(conn, alice.id)
            with reader.read() as rconn:
                before = rconn.execute(select(users.c.editcount).where(users.c.id == alice.id)).scalar_one()
            assert before == 0
        with reader.read() as rconn:
            after = rconn.execute(select(users.c.editcount).where(users.c.id == alice.id)).scalar_one()
        assert after == 1
    finally:
        reader.dispose()
