"""Issue #11: the database goes away under a live ``wikipost serve``.

* SQLite's write lock held by another process beyond the busy timeout (``?timeout=1`` in the
  database URL, 30 s by default) — a foreign SQLite client, or a wikipost process stuck inside
  its own write (the ``flock`` beside the database).
* PostgreSQL restarted while clients send mail and read.

Writes are refused with an API error envelope (``internal_api_error_*`` with the request id,
never a traceback), no refused request leaves anything behind, and the service resumes by
itself: every ``Success`` has its mail, exactly once.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import unavailable
from tests.faults.support import alice, anchor_users, emailuser, subject, wait_until
from tests.live import LiveServer
from tests.servers import PostgresServer, ServerUnavailable, die_with_parent, wait_for_port

pytestmark = pytest.mark.live

SUCCESS = {"emailuser": {"result": "Success"}}
CONFIG: dict[str, dict[str, Any]] = {
    "mail": {"backend": "maildir"},
    "jobs": {"poll_seconds": 0.05, "lease_seconds": 5},
    "ratelimits": {"emailuser": {"user": [100000, 86400]}},
}


def _delivered(server: LiveServer) -> Counter[str]:
    box = server.data_dir / "maildir"
    return Counter(subject(p.read_bytes()) for p in [*box.glob("new/*"), *box.glob("cur/*")])


def _drained(server: LiveServer) -> bool:
    with server.open_wiki() as wiki:
        return wiki.unfinished() == 0


def assert_error_envelope(response: requests.Response) -> dict[str, Any]:
    """An API error naming the request id, in the requested format; no traceback, no SQL."""
    assert "Traceback" not in response.text and "SELECT" not in response.text, response.text[:500]
    assert response.headers.get("Content-Type", "").startswith("application/json"), (
        response.status_code,
        response.text[:300],
    )
    answer: dict[str, Any] = response.json()
    error: dict[str, Any] = answer["error"]
    assert error["code"] == "readonly" or error["code"].startswith("internal_api_error_"), error
    if error["code"] != "readonly":
        assert error["info"].startswith("[") and "] " in error["info"], error
    assert response.headers["MediaWiki-API-Error"] == error["code"]
    return error


# --- SQLite: the write lock held elsewhere -------------------------------------------------------


LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


@contextmanager
def sqlite_write_lock(database: Path) -> Iterator[None]:
    """Another process (plain sqlite3) holds the database's write lock."""
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout is not None and locker.stdin is not None
    assert locker.stdout.readline().strip() == "locked"
    try:
        yield
    finally:
        locker.stdin.write("\n")
        locker.stdin.close()
        locker.wait(10)


@contextmanager
def stuck_wikipost_writer(database: Path) -> Iterator[None]:
    """Another wikipost process holds the writers' flock and does not let go."""
    fd = os.open(f"{database}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = Path(tmp_path_factory.mktemp("locked"))
    url = f"sqlite:///{data / 'wikipost.sqlite'}?timeout=1"
    server = LiveServer(data, {**CONFIG, "database": {"url": url}})
    server.cli("init")
    anchor_users(server)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("holder", [sqlite_write_lock, stuck_wikipost_writer], ids=["sqlite3", "flock"])
def test_a_write_lock_held_beyond_the_busy_timeout(sqlite_server: LiveServer, holder: Any) -> None:
    server = sqlite_server
    tag = holder.__name__
    session, csrf = alice(server)
    accepted = []
    assert emailuser(server, session, csrf, f"{tag} before") == SUCCESS
    accepted.append(f"{tag} before")
    with holder(server.data_dir / "wikipost.sqlite"):
        started = time.monotonic()
        response = session.post(
            server.api_url,
            data={
                "action": "emailuser",
                "target": "Bob",
                "subject": f"{tag} refused",
                "text": "x",
                "token": csrf,
                "format": "json",
                "requestid": "locked-1",
            },
            timeout=60,
        )
        waited = time.monotonic() - started
        error = assert_error_envelope(response)
        assert response.json()["requestid"] == "locked-1"
        assert 0.9 < waited < 10, waited  # the busy timeout, not for ever
        # Reads do not need the write lock.
        info = session.get(server.api_url, params={"action": "query", "meta": "userinfo", "format": "json"})
        assert info.json()["query"]["userinfo"]["name"] == "Alice"
    print(f"{tag}: refused after {waited:.2f} s with {error}")
    assert emailuser(server, session, csrf, f"{tag} after") == SUCCESS  # resumed by itself
    accepted.append(f"{tag} after")
    wait_until(lambda: _drained(server), what="the outbox drained")
    delivered = _delivered(server)
    assert {s: delivered[s] for s in accepted} == {s: 1 for s in accepted}
    assert delivered[f"{tag} refused"] == 0  # nothing of the refused request stayed
    with server.open_wiki() as wiki:
        assert f"{tag} refused" not in {r.subject for r in wiki.outbox.list()}


def _outcome(response: requests.Response) -> str:
    """``ok``, the API error code, or what came instead of an API answer."""
    try:
        if response.status_code == 200 and "error" not in response.json():
            return "ok"
        return str(assert_error_envelope(response)["code"])
    except (AssertionError, ValueError, KeyError):
        return f"not an API answer: HTTP {response.status_code} {response.text[:80]!r}"


# --- PostgreSQL restarted under load -------------------------------------------------------------


def restart_postgres(pg: PostgresServer) -> float:
    """Fast shutdown (clients disconnected) and start again on the same port and data; the
    seconds it was away."""
    argv = Path(f"/proc/{pg.proc.pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    data = pg.base / "data"
    owner = data.stat()
    down = time.monotonic()
    pg.proc.send_signal(2)  # SIGINT: fast shutdown
    pg.proc.wait(30)
    with open(pg.base / "server.log", "ab") as log:
        pg.proc = subprocess.Popen(
            [a.decode() for a in argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            user=owner.st_uid,
            group=owner.st_gid,
            preexec_fn=die_with_parent,
        )
    wait_for_port(pg.port, pg.proc, 60, pg.base / "server.log")
    return time.monotonic() - down


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this module's own: restarting the session's would disturb other tests."""
    try:
        pg = PostgresServer.start()
    except ServerUnavailable as err:
        unavailable(f"NO POSTGRESQL: {err}")
    yield pg
    pg.stop()


@dataclass
class RestartRun:
    answers: list[tuple[str, float, str]]  # (subject, or "read"; when sent; outcome)
    restarted_at: float
    away: float
    delivered: Counter[str]
    serve_survived: bool


@pytest.fixture(scope="module")
def restart_run(own_postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> RestartRun:
    """Four clients send mail and read while PostgreSQL restarts; everything they were told."""
    url = own_postgres.create_database("wikipost_faults")
    server = LiveServer(Path(tmp_path_factory.mktemp("pg")), {**CONFIG, "database": {"url": url}})
    server.cli("init")
    anchor_users(server)
    server.start()
    answers: list[tuple[str, float, str]] = []
    stop = threading.Event()
    login, csrf = alice(server)  # one login (the login throttle counts attempts), four clients

    def client(n: int) -> None:
        session = requests.Session()
        session.cookies.update(login.cookies)
        for i in range(100000):
            if stop.is_set():
                return
            name = f"PG {n}.{i}"
            at = time.monotonic()
            data = {"action": "emailuser", "target": "Bob", "subject": name, "text": "x", "token": csrf}
            send = session.post(server.api_url, data={**data, "format": "json"}, timeout=60)
            read = session.get(
                server.api_url, params={"action": "query", "meta": "userinfo", "format": "json"}
            )
            answers.append((name, at, _outcome(send)))
            answers.append(("read", at, _outcome(read)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: len(answers) >= 40, what="load before the restart")
        restarted_at = time.monotonic()
        away = restart_postgres(own_postgres)
        resumed_after = restarted_at + away
        wait_until(
            lambda: sum(1 for _, at, o in answers if at > resumed_after and o == "ok") >= 20,
            timeout=60,
            what="requests succeeding after the restart",
        )
        stop.set()
        for thread in threads:
            thread.join(60)
        wait_until(lambda: _drained(server), timeout=60, what="the outbox drained")
        survived = server.running
    finally:
        stop.set()
        server.stop()
    refused = Counter(o for _, _, o in answers if o != "ok")
    print(f"PostgreSQL away {away:.2f} s; {len(answers)} answers; refused: {dict(refused)}")
    return RestartRun(answers, restarted_at, away, _delivered(server), survived)


@pytest.mark.postgres
def test_postgres_restart_under_load_loses_nothing_and_resumes(restart_run: RestartRun) -> None:
    assert restart_run.serve_survived
    after = restart_run.restarted_at + restart_run.away
    assert sum(1 for _, at, o in restart_run.answers if at > after and o == "ok") >= 20
    accepted = [label for label, _, o in restart_run.answers if o == "ok" and label != "read"]
    delivered = restart_run.delivered
    assert {s: delivered[s] for s in accepted} == {s: 1 for s in accepted}
    assert max(delivered.values()) == 1  # a refused request's mail, if its commit went through, once


@pytest.mark.postgres
def test_postgres_restart_refusals_are_api_error_envelopes(restart_run: RestartRun) -> None:
    outcomes = Counter(o for _, _, o in restart_run.answers if o != "ok")
    assert all(o == "readonly" or o.startswith("internal_api_error_") for o in outcomes), outcomes
