"""The background worker beside ``serve``: wake-ups over a local socket, supervision, the
thread runner, and ``wikipost jobs run`` waiting for work another worker holds."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.emailuser.test_live import BOT_PASSWORD, prepare, wait_until
from tests.faults.support import children
from tests.live import LiveServer, bot_login, post_emailuser
from wikipost.wakeup import WakeListener, WakeSender, wake_address


def test_a_wake_up_reaches_the_listener_and_bursts_are_folded(tmp_path: Path) -> None:
    address = wake_address(tmp_path)
    listener = WakeListener(address)
    try:
        assert listener.wait(0.05) is False
        sender = WakeSender(address, min_interval=10.0)
        sender.wake()
        sender.wake()  # within min_interval: not sent
        assert listener.wait(5.0) is True
        assert listener.wait(0.05) is False
        sender.close()
    finally:
        listener.close()


def test_waking_nobody_is_harmless(tmp_path: Path) -> None:
    sender = WakeSender(wake_address(tmp_path / "no-worker-here"))
    sender.wake()
    sender.close()


def _worker_pids(server: LiveServer) -> list[int]:
    """Children of serve running ``jobs work`` (read from /proc: ``ps`` cuts long lines)."""
    assert server.proc is not None
    return children(server.proc.pid, b"jobs", b"work")


def _send(server: LiveServer, session: requests.Session, csrf: str, subject: str) -> None:
    answer = post_emailuser(server.api_url, session, csrf, subject)
    assert answer == {"emailuser": {"result": "Success"}}, answer


def _sent(server: LiveServer) -> int:
    with server.open_wiki() as wiki:
        return wiki.outbox.counts()["sent"]


def test_serve_runs_one_worker_process_and_restarts_it(
    live_server_factory: Callable[..., LiveServer],
) -> None:
    server = live_server_factory({"mail": {"backend": "maildir"}}, start=False)
    prepare(server)
    server.start()
    (first,) = wait_until(lambda: _worker_pids(server))
    session, csrf = bot_login(server.api_url, "Alice@anchor", BOT_PASSWORD)
    _send(server, session, csrf, "Before")
    assert wait_until(lambda: _sent(server) == 1), server.log()
    os.kill(first, signal.SIGKILL)
    second = wait_until(lambda: [p for p in _worker_pids(server) if p != first], timeout=30)
    assert len(second) == 1, server.log()
    _send(server, session, csrf, "After")
    assert wait_until(lambda: _sent(server) == 2), server.log()
    assert "restarting it" in server.log()


def test_the_worker_leaves_with_serve(live_server_factory: Callable[..., LiveServer]) -> None:
    """Even when serve dies without a word (SIGKILL to it alone, not its process group)."""
    server = live_server_factory({"mail": {"backend": "maildir"}})
    (worker,) = wait_until(lambda: _worker_pids(server))
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait(10)

    def gone() -> bool:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return True
        return False

    assert wait_until(gone, timeout=30)


def test_the_thread_runner_delivers_inside_serve(live_server_factory: Callable[..., LiveServer]) -> None:
    server = live_server_factory({"mail": {"backend": "maildir"}, "jobs": {"runner": "thread"}}, start=False)
    prepare(server)
    server.start()
    session, csrf = bot_login(server.api_url, "Alice@anchor", BOT_PASSWORD)
    _send(server, session, csrf, "Threaded")
    assert wait_until(lambda: _sent(server) == 1), server.log()
    # serve starts its worker process before it answers: none by now means none at all.
    assert _worker_pids(server) == []


def test_an_unknown_runner_is_refused(live_server_factory: Callable[..., LiveServer]) -> None:
    server = live_server_factory({"jobs": {"runner": "celery"}}, start=False)
    result = server.cli("serve", "--port", "1", check=False)
    assert result.returncode == 2 and "runner" in result.stderr


def test_jobs_run_waits_for_work_another_worker_holds(
    live_server_factory: Callable[..., LiveServer],
) -> None:
    """`jobs run` returns only when mail claimed by serve's worker is recorded too."""
    server = live_server_factory({"mail": {"backend": "maildir"}}, start=False)
    prepare(server)
    with server.open_wiki() as wiki:
        user = wiki.users.get_by_name("Alice")
        assert user is not None
        actor = wiki.users.actor_for(user)
        wiki.emailuser.send(actor, "127.0.0.1", "Test", "Held", "Hello.", False)
        # Another worker's claim: leased for 3 s, then recorded by a thread of this test.
        (row,) = wiki.outbox.claim(10)
        recorder: dict[str, Any] = {}

        def record_later() -> None:
            time.sleep(1.5)
            recorder["at"] = time.monotonic()
            wiki.outbox.record([(row, None)])

        thread = threading.Thread(target=record_later)
        thread.start()
        server.cli("jobs", "run")
        finished = time.monotonic()
        thread.join()
        assert finished >= recorder["at"]
        assert wiki.outbox.counts()["sent"] == 1
