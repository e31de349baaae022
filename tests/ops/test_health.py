"""/healthz and /readyz against live servers: a stopped worker turns readiness to 503 within
``[health] max_worker_lag_seconds`` and it comes back; the heartbeat and the probe on both stores."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable

import requests

from tests.faults.support import wait_until
from tests.live import LiveServer, bot_login, post_emailuser
from tests.ops.support import LAG_SECONDS, readyz, stop_worker_idle, wait_ready, worker_pid
from wikipost.clock import Clock
from wikipost.db.migrate import SCHEMA_HEAD
from wikipost.db.schema.workers import worker_heartbeats
from wikipost.ops.health import Heartbeat, ReadinessProbe
from wikipost.wiki import Wiki

ALICE_BOT = ("Alice@anchor", "alicebotpass0123456789abcdefghij")


def test_healthz_answers_without_the_store(ops_server: LiveServer) -> None:
    response = requests.get(f"{ops_server.base_url}/healthz", timeout=30)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Request-Id"]


def test_readyz_reports_each_check(ops_server: LiveServer) -> None:
    body = wait_ready(ops_server)
    assert body["status"] == "ready"
    checks = body["checks"]
    assert checks["store"] == {"ok": True}
    assert checks["schema"] == {"ok": True, "revision": SCHEMA_HEAD, "head": SCHEMA_HEAD}
    assert checks["worker"]["ok"] and checks["worker"]["alive"] == 1
    assert checks["worker"]["heartbeat_age_seconds"] <= LAG_SECONDS
    assert checks["backlog"]["ok"]


def test_a_stopped_worker_turns_readyz_to_503_and_back(ops_server: LiveServer) -> None:
    wait_ready(ops_server)
    pid = worker_pid(ops_server)
    session, csrf = bot_login(ops_server.api_url, *ALICE_BOT)
    stop_worker_idle(pid)
    try:
        unready = wait_until(
            lambda: (r := readyz(ops_server)).status_code == 503 and r.json(), 30, "/readyz 503"
        )
        assert unready["status"] == "unready"
        assert unready["checks"]["worker"]["ok"] is False
        assert unready["checks"]["worker"]["heartbeat_age_seconds"] > LAG_SECONDS
        # Work accepted meanwhile waits: the backlog check fails too once it is older than the lag.
        assert post_emailuser(ops_server.api_url, session, csrf, "while stopped", target="Bob") == {
            "emailuser": {"result": "Success"}
        }
        behind = wait_until(
            lambda: not (b := readyz(ops_server).json())["checks"]["backlog"]["ok"] and b, 30, "a backlog"
        )
        assert behind["checks"]["backlog"]["oldest_due_age_seconds"] > LAG_SECONDS
    finally:
        os.kill(pid, signal.SIGCONT)
    body = wait_ready(ops_server)
    assert body["checks"]["backlog"]["oldest_due_age_seconds"] == 0
    with ops_server.open_wiki() as wiki:
        assert wiki.outbox.counts()["queued"] == 0


def test_readyz_is_503_while_the_schema_is_behind(ops_server: LiveServer) -> None:
    wait_ready(ops_server)
    path = ops_server.data_dir / "wikipost.sqlite"
    with sqlite3.connect(path, timeout=30) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0008'")
    try:
        response = readyz(ops_server)
        assert response.status_code == 503
        assert response.json()["checks"]["schema"] == {"ok": False, "revision": "0008", "head": SCHEMA_HEAD}
    finally:
        with sqlite3.connect(path, timeout=30) as conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (SCHEMA_HEAD,))
    wait_ready(ops_server)


def test_the_in_thread_worker_beats_while_idle(thread_server: LiveServer) -> None:
    body = wait_ready(thread_server)
    assert body["checks"]["worker"]["alive"] == 1
    # It polls once a minute, yet is still ready well after its first heartbeat went stale:
    # the idle wait is cut for the heartbeat.
    first_ready = time.monotonic()
    later = wait_until(
        lambda: (
            time.monotonic() - first_ready > 2 * LAG_SECONDS
            and (r := readyz(thread_server)).status_code == 200
            and r.json()
        ),
        30,
        "/readyz 200 after twice the lag",
    )
    assert later["checks"]["worker"]["heartbeat_age_seconds"] <= LAG_SECONDS
    assert requests.get(f"{thread_server.base_url}/metrics", timeout=30).status_code == 404


# --- the heartbeat and the probe on each store --------------------------------------------------


def _rows(wiki: Wiki) -> list[tuple[str, int, float]]:
    with wiki.db.read() as conn:
        rows = conn.execute(
            worker_heartbeats.select().with_only_columns(
                worker_heartbeats.c.host, worker_heartbeats.c.pid, worker_heartbeats.c.beat_at
            )
        ).all()
    return [(r.host, r.pid, r.beat_at) for r in rows]


def test_heartbeat_writes_one_row_per_worker_at_most_every_interval(any_wiki: Wiki) -> None:
    clock = Clock()
    first = Heartbeat(any_wiki.db, clock, every=3600, host="node-a", pid=11)
    other = Heartbeat(any_wiki.db, clock, every=3600, host="node-b", pid=11)
    first.beat()
    other.beat()
    rows = _rows(any_wiki)
    assert sorted((h, p) for h, p, _ in rows) == [("node-a", 11), ("node-b", 11)]
    before = {(h, p): t for h, p, t in rows}
    clock.advance(10)
    first.beat()  # within its interval: nothing written
    assert {(h, p): t for h, p, t in _rows(any_wiki)} == before
    first.stop()
    assert [(h, p) for h, p, _ in _rows(any_wiki)] == [("node-b", 11)]
    other.stop()


def test_probe_needs_one_fresh_heartbeat(any_wiki: Wiki) -> None:
    clock = Clock()
    probe = ReadinessProbe(any_wiki.db, clock, max_lag=5)
    not_yet = probe.check()
    assert not not_yet.ready and not_yet.checks["worker"] == {
        "ok": False,
        "alive": 0,
        "heartbeat_age_seconds": None,
        "max_lag_seconds": 5,
    }
    stale = Heartbeat(any_wiki.db, clock, every=0, host="old", pid=1)
    stale.beat()
    clock.advance(60)
    assert not probe.check().ready
    fresh = Heartbeat(any_wiki.db, clock, every=0, host="new", pid=2)
    fresh.beat()
    ready = probe.check()
    assert ready.ready, ready.checks
    assert ready.checks["worker"]["alive"] == 1
    fresh.stop()
    stale.stop()


def test_probe_counts_a_due_unclaimed_mail_as_backlog(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki()
    clock = Clock()
    Heartbeat(wiki.db, clock, every=0).beat()
    alice = wiki.users.create("Alice", "alice-password-1", email="alice@example.test", confirmed=True)
    wiki.users.create("Bob", "bob-password-12", email="bob@example.test", confirmed=True)
    wiki.emailuser.send(wiki.users.actor_for(alice), "127.0.0.1", "Bob", "Hi", "Text.", False)
    probe = ReadinessProbe(wiki.db, clock, max_lag=5)
    assert probe.check().ready
    clock.advance(30)  # nobody delivered it meanwhile (and the heartbeat is old as well)
    late = probe.check()
    assert not late.checks["backlog"]["ok"]
    assert late.checks["backlog"]["oldest_due_age_seconds"] >= 30
