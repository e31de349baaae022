"""Helpers for the account-administration tests: a live server with its users made in its store,
an API client on one requests session (format=json, formatversion=2), and its mail."""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Callable, Iterator, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
import requests

from tests.live import LiveServer, start_live_server

PASSWORD = "admin-tests-pass-1"


def make_users(server: LiveServer, groups: Mapping[str, tuple[str, ...]]) -> None:
    """Each ``name -> groups`` as a user with the password PASSWORD and a confirmed address
    ``name@anchor.test`` (lower case), written straight into the server's store."""
    with server.open_wiki() as wiki:
        for name, member_of in groups.items():
            wiki.users.create(
                name, PASSWORD, email=f"{name.lower()}@anchor.test", confirmed=True, groups=member_of
            )


def module_server(
    tmp_path_factory: pytest.TempPathFactory,
    label: str,
    users: Mapping[str, tuple[str, ...]],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> Iterator[LiveServer]:
    """A module fixture's body: a live server with ``users``, stopped after the module."""
    server = start_live_server(tmp_path_factory.mktemp(label), config)
    make_users(server, users)
    try:
        yield server
    finally:
        server.stop()


class Api:
    """One client session against a live server's api.php."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.session = requests.Session()

    def get(self, **params: Any) -> Any:
        query = {"format": "json", "formatversion": "2", **params}
        return self.session.get(self.server.api_url, params=query, timeout=60).json()

    def post(self, **data: Any) -> Any:
        body = {"format": "json", "formatversion": "2", **data}
        return self.session.post(self.server.api_url, data=body, timeout=60).json()

    def token(self, kind: str = "csrf") -> str:
        return str(self.get(action="query", meta="tokens", type=kind)["query"]["tokens"][f"{kind}token"])

    def login(self, name: str, password: str = PASSWORD) -> Api:
        answer = self.post(action="login", lgname=name, lgpassword=password, lgtoken=self.token("login"))
        assert answer["login"]["result"] == "Success", answer
        return self

    def userinfo(self, prop: str = "groups|rights") -> dict[str, Any]:
        return dict(self.get(action="query", meta="userinfo", uiprop=prop)["query"]["userinfo"])

    def user(self, name: str, prop: str = "groups|groupmemberships|blockinfo") -> dict[str, Any]:
        return dict(self.get(action="query", list="users", ususers=name, usprop=prop)["query"]["users"][0])

    def log(self, kind: str, title: str) -> list[dict[str, Any]]:
        """The ``kind`` log's entries about ``title``, newest first."""
        answer = self.get(
            action="query",
            list="logevents",
            letype=kind,
            letitle=title,
            leprop="ids|type|user|title|comment|details|timestamp",
        )
        return list(answer["query"]["logevents"])


def logged_in(server: LiveServer, name: str, password: str = PASSWORD) -> Api:
    return Api(server).login(name, password)


def error_of(answer: Any) -> tuple[str, str]:
    """(code, info) of an API error answer."""
    assert "error" in answer, answer
    return answer["error"]["code"], answer["error"]["info"]


def wait_for(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll ``condition`` until it gives something true (or the time is up: its last value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def mails_to(server: LiveServer, address: str) -> list[EmailMessage]:
    """The mails delivered to ``address`` in the server's maildir so far."""
    maildir = Path(server.data_dir) / "maildir"
    found = []
    for path in sorted([*maildir.glob("new/*"), *maildir.glob("cur/*")]):
        message = cast(EmailMessage, email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
        if address in str(message["To"]):
            found.append(message)
    return found


def confirmation_link(message: EmailMessage) -> str:
    body = cast(EmailMessage, message.get_body(preferencelist=("plain",))).get_content()
    match = re.search(r"(https?://\S+/Special:ConfirmEmail/[0-9a-f]+)", str(body))
    assert match is not None, body
    return match.group(1)
