"""emailuser through a live server under concurrency, where requests share group commits: a
request is answered after its own write's outcome, duplicates stay single (D4) and the quota is
exact (a refused unit undoes only its own request)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.emailuser.test_live import BOT_PASSWORD, prepare
from tests.live import LiveServer, bot_login, post_emailuser


def _post(server: LiveServer, session: requests.Session, csrf: str, subject: str) -> str:
    body = post_emailuser(server.api_url, session, csrf, subject)
    return str(body["emailuser"]["result"] if "emailuser" in body else body["error"]["code"])


def _sessions(server: LiveServer, n: int) -> list[tuple[requests.Session, str]]:
    return [bot_login(server.api_url, "Alice@anchor", BOT_PASSWORD) for _ in range(n)]


def _queued(server: LiveServer) -> list[str]:
    with server.open_wiki() as wiki:
        return sorted(r.subject for r in wiki.outbox.list())


def test_identical_concurrent_requests_queue_one_mail(live_server_factory: Callable[..., LiveServer]) -> None:
    server = live_server_factory({"mail": {"backend": "memory"}}, start=False)
    prepare(server)
    server.start()
    sessions = _sessions(server, 16)
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda s: _post(server, s[0], s[1], "Same"), sessions))
    assert answers == ["Success"] * 16
    assert _queued(server) == ["Same"]


def test_distinct_concurrent_requests_respect_the_quota_exactly(
    live_server_factory: Callable[..., LiveServer],
) -> None:
    config = {"mail": {"backend": "memory"}, "ratelimits": {"emailuser": {"user": [7, 86400]}}}
    server = live_server_factory(config, start=False)
    prepare(server)
    server.start()
    sessions = _sessions(server, 24)
    with ThreadPoolExecutor(24) as pool:
        answers = list(pool.map(lambda i: _post(server, *sessions[i], f"Mail {i}"), range(24)))
    assert sorted(answers) == ["Success"] * 7 + ["ratelimited"] * 17
    accepted = sorted(f"Mail {i}" for i, a in enumerate(answers) if a == "Success")
    assert _queued(server) == accepted
