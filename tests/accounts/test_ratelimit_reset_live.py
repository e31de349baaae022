"""`wikipost ratelimit reset` reaches a running server on the embedded default (counters in the
server's memory): the server learns of the reset from the store's reset log before it refuses
anything, and otherwise looks at most once a second, so accepted requests do not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.live import LiveServer, bot_login, start_live_server
from wikipost.actor import Actor
from wikipost.services import ratelimit
from wikipost.services.ratelimit import RateLimiter
from wikipost.services.ratelimit_store import ResetLog
from wikipost.wiki import Wiki

PASSWORD = "reset-test-pass"


def edit(server: LiveServer, session: requests.Session, csrf: str, n: int) -> str:
    form = {"action": "edit", "title": f"Reset page {n % 3}", "text": f"Edit {n}", "token": csrf}
    answer = session.post(server.api_url, data={**form, "format": "json"}, timeout=30).json()
    return str(answer["edit"]["result"]) if "edit" in answer else str(answer["error"]["code"])


def edits_until_refused(server: LiveServer, session: requests.Session, csrf: str, limit: int) -> int:
    """Edit until refused (at most ``limit`` + 1 times): the number of the refused edit."""
    for n in range(1, limit + 2):
        if edit(server, session, csrf, n) == "ratelimited":
            return n
    return 0


def anonymous() -> tuple[requests.Session, str]:
    return requests.Session(), "+\\"


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with no [ratelimits] configuration at all: memory:// and 1.39's $wgRateLimits."""
    server = start_live_server(tmp_path_factory.mktemp("default"))
    server.cli("user", "create", "Ratelimited", "--password", PASSWORD)
    yield server
    server.stop()


@pytest.mark.live
def test_the_anonymous_edit_limit_is_whole_again_after_a_reset(default_server: LiveServer) -> None:
    server = default_server
    session, csrf = anonymous()
    # 1.39: 8 anonymous edits a minute, the 9th is refused (pages transcript, edit.ratelimit.*).
    assert edits_until_refused(server, session, csrf, 8) == 9
    server.cli("ratelimit", "reset")
    assert edits_until_refused(server, session, csrf, 8) == 9


@pytest.mark.live
def test_the_user_edit_limit_is_whole_again_after_a_reset(default_server: LiveServer) -> None:
    server = default_server
    session, csrf = bot_login(server.api_url, "Ratelimited", PASSWORD)
    limits = session.get(
        server.api_url,
        params={"action": "query", "meta": "userinfo", "uiprop": "ratelimits", "format": "json"},
    ).json()["query"]["userinfo"]["ratelimits"]["edit"]
    assert limits == {"user": {"hits": 90, "seconds": 60}}
    assert edits_until_refused(server, session, csrf, 90) == 91
    server.cli("ratelimit", "reset")
    assert edits_until_refused(server, session, csrf, 90) == 91


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Small limits, still the default storage; Alice and Bob with confirmed addresses."""
    limits = {
        "edit": {"ip": [2, 3600], "newbie": [2, 3600], "user": [2, 3600]},
        "emailuser": {"user": [1, 86400]},
    }
    server = start_live_server(tmp_path_factory.mktemp("tight"), {"ratelimits": limits})
    for name in ("Alice", "Bob"):
        server.cli("user", "create", name, "--password", PASSWORD, "--email", f"{name}@x.test", "--confirmed")
    yield server
    server.stop()


def email(server: LiveServer, session: requests.Session, csrf: str, target: str, subject: str) -> str:
    form = {"action": "emailuser", "target": target, "subject": subject, "text": "Hi.", "token": csrf}
    answer: dict[str, Any] = session.post(server.api_url, data={**form, "format": "json"}, timeout=30).json()
    return str(answer["emailuser"]["result"]) if "emailuser" in answer else str(answer["error"]["code"])


@pytest.mark.live
def test_a_reset_of_one_user_leaves_the_others_limited(tight_server: LiveServer) -> None:
    server = tight_server
    alice, alice_csrf = bot_login(server.api_url, "Alice", PASSWORD)
    bob, bob_csrf = bot_login(server.api_url, "Bob", PASSWORD)
    assert [edit(server, alice, alice_csrf, n) for n in range(3)] == ["Success", "Success", "ratelimited"]
    assert [edit(server, bob, bob_csrf, n) for n in range(3)] == ["Success", "Success", "ratelimited"]
    assert "Alice" in server.cli("ratelimit", "reset", "--user", "Alice").stdout
    assert edit(server, alice, alice_csrf, 3) == "Success"
    assert edit(server, bob, bob_csrf, 3) == "ratelimited"
    # The emailuser limit, taken in the group commit of the request path, is reached too.
    assert email(server, alice, alice_csrf, "Bob", "One") == "Success"
    assert email(server, alice, alice_csrf, "Bob", "Two") == "ratelimited"
    server.cli("ratelimit", "reset")
    assert email(server, alice, alice_csrf, "Bob", "Three") == "Success"
    assert edit(server, bob, bob_csrf, 4) == "Success"


# --- in process: what a server does with the reset log -------------------------------------------

ANON = Actor(id=0, name="10.0.0.1")


@pytest.fixture
def limiter_on(make_wiki: Callable[..., Wiki], any_store: str) -> Callable[[], RateLimiter]:
    """Limiters on one store (SQLite, PostgreSQL), with in-process counters each: a server's,
    or the CLI's."""
    wiki = make_wiki(backend=any_store, ratelimits={"edit": {"ip": [3, 3600]}})
    return lambda: RateLimiter(wiki.settings, db=wiki.db)


def test_a_server_reads_the_reset_log_once_a_second_unless_it_would_refuse(
    limiter_on: Callable[[], RateLimiter], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[float] = []
    latest = ResetLog.latest
    monkeypatch.setattr(ResetLog, "latest", lambda log: reads.append(0) or latest(log))
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: 1000.0)  # no second goes by
    server = limiter_on()
    assert [server.hit("edit", ANON, "10.0.0.1") for _ in range(3)] == [True, True, True]
    assert len(reads) == 1  # the first look only; the accepted hits after it read nothing
    assert not server.hit("edit", ANON, "10.0.0.1")
    assert len(reads) == 2  # a refusal looks first
    limiter_on().reset()  # `wikipost ratelimit reset`, in another process
    assert server.hit("edit", ANON, "10.0.0.1")
    assert len(reads) == 3  # the look before refusing found the reset


def test_a_reset_learnt_late_keeps_what_was_counted_after_it(
    limiter_on: Callable[[], RateLimiter], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: 1000.0)  # the server never looks on its way
    server = limiter_on()
    assert server.hit("edit", ANON, "10.0.0.1")
    limiter_on().reset()
    assert server.hit("edit", ANON, "10.0.0.1") and server.hit("edit", ANON, "10.0.0.1")
    # The refusal looks: the hit before the reset goes, the two after it stay.
    assert server.hit("edit", ANON, "10.0.0.1")
    assert not server.hit("edit", ANON, "10.0.0.1")
    assert server.remaining("edit", ANON, "10.0.0.1") == {"ip": 0}
