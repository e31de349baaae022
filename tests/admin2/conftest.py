"""One live server for the parse, tags, watchlist and new-message tests (issue #13), and the
clients the tests drive it with.

The store is set up before the server starts: Admin (sysop: every right, no rate limits), Alice,
Bob, Carol, Dave, Erin and Gina (each test that reads a watchlist has its own user), Robot (group
bot), Frank blocked sitewide, two bot passwords of Alice's (``basic`` only, and
``basic`` + ``editpage``) and an administrator-defined tag. ``changetag`` is limited to 3 an hour
for users, so the rate limit shows within a test; Admin is exempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.live import LiveServer, bot_login, start_live_server

PASSWORD = "admin2-pass-123"
MANUAL_TAG = "admin2-tag"
# Bot-password secrets: 32 characters from [0-9a-w], else 1.39 tries them as main passwords.
BASIC_SECRET = "basic0123456789abcdefghijklmnopq"
EDIT_SECRET = "edit00123456789abcdefghijklmnopq"


class Api:
    """A client session on the server's api.php (format=json, formatversion 2 unless told)."""

    def __init__(self, server: LiveServer, session: requests.Session | None = None) -> None:
        self.server = server
        self.session = session or requests.Session()

    def get(self, *, fv: str | None = "2", **params: str) -> Any:
        query = {**params, "format": "json"}
        if fv is not None:
            query["formatversion"] = fv
        return self.session.get(self.server.api_url, params=query, timeout=60).json()

    def post(self, *, fv: str | None = "2", **data: str) -> Any:
        body = {**data, "format": "json"}
        if fv is not None:
            body["formatversion"] = fv
        return self.session.post(self.server.api_url, data=body, timeout=60).json()

    def token(self, kind: str = "csrf") -> str:
        return str(self.get(action="query", meta="tokens", type=kind)["query"]["tokens"][f"{kind}token"])

    def edit(self, title: str, text: str, **extra: str) -> dict[str, Any]:
        answer = self.post(action="edit", title=title, text=text, token=self.token(), **extra)
        assert answer.get("edit", {}).get("result") == "Success", answer
        return dict(answer["edit"])


def login(server: LiveServer, name: str, password: str = PASSWORD) -> Api:
    session, _ = bot_login(server.api_url, name, password)
    return Api(server, session)


def setup_store(server: LiveServer) -> None:
    with server.open_wiki() as wiki:
        users = wiki.users
        admin = users.create("Admin", PASSWORD, email="admin@anchor.test", confirmed=True, groups=("sysop",))
        alice = users.create("Alice", PASSWORD, email="alice@anchor.test", confirmed=True)
        for name in ("Bob", "Carol", "Dave", "Erin", "Frank", "Gina"):
            users.create(name, PASSWORD, email=f"{name.lower()}@anchor.test", confirmed=True)
        users.create("Robot", PASSWORD, groups=("bot",))
        frank = users.get_by_name("Frank")
        assert frank is not None
        users.block(frank.id, by=admin, reason="admin2: blocked")
        wiki.botpasswords.create(alice.id, "basic", ["basic"], BASIC_SECRET, replace=True)
        wiki.botpasswords.create(alice.id, "edit", ["basic", "editpage"], EDIT_SECRET, replace=True)
        with wiki.db.write() as conn:
            wiki.changetags.create(conn, MANUAL_TAG)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config = {"ratelimits": {"changetag": {"user": [3, 3600]}}}
    live = start_live_server(tmp_path_factory.mktemp("admin2"), config, start=False)
    setup_store(live)
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="package")
def admin(server: LiveServer) -> Api:
    return login(server, "Admin")


@pytest.fixture(scope="package")
def alice(server: LiveServer) -> Api:
    return login(server, "Alice")


@pytest.fixture(scope="package")
def bob(server: LiveServer) -> Api:
    return login(server, "Bob")


@pytest.fixture
def anon(server: LiveServer) -> Api:
    return Api(server)
