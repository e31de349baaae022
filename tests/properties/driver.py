"""Runs generated calls against api.php as a few logged-in identities, over any transport.

A transport sends ``(method, "?query", headers, body, chunked)`` to api.php and returns an
:class:`Answer`; there is one over an in-process app (starlette's TestClient) and one over real
HTTP (``http.client``, one keep-alive connection). :class:`ApiDriver` keeps each identity's
session cookies and tokens, fills them into the calls, and logs an identity in again after a
call that may have ended or changed its session (login, clientlogin, logout).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from starlette.testclient import TestClient

from tests.anchorwiki import BOT_PASSWORDS, PASSWORDS
from tests.properties.answers import Answer, Asked
from tests.properties.calls import ApiCall

Transport = Callable[[str, str, list[tuple[str, str]], bytes, bool], Answer]
SESSION_ACTIONS = ("login", "clientlogin", "logout")
# identity -> (lgname, lgpassword); "anon" has a session but no login.
CREDENTIALS = {
    "Admin": ("Admin", PASSWORDS["Admin"]),
    "Alice@anchor": ("Alice@anchor", BOT_PASSWORDS[0][2]),
}
IDENTITIES = ("anon", "Admin", "Alice@anchor")


def _set_cookies(values: list[str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for value in values:
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


class ApiDriver:
    def __init__(self, transport: Transport, max_body: int) -> None:
        self.transport = transport
        self.max_body = max_body
        self.cookies: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, dict[str, str]] = {}

    def _send(
        self, identity: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Answer:
        jar = self.cookies.setdefault(identity, {})
        if jar:
            headers = headers + [("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items()))]
        return self.transport(method, target, headers, body, False)

    def _json(self, identity: str, method: str, params: dict[str, str]) -> Any:
        form = [("Content-Type", "application/x-www-form-urlencoded")]
        if method == "GET":
            answer = self._send(identity, "GET", "?" + urlencode(params), [], b"")
        else:
            answer = self._send(identity, "POST", "", form, urlencode(params).encode())
        self.cookies[identity].update(_set_cookies(answer.set_cookies))
        return json.loads(answer.body)

    def log_in(self, identity: str) -> None:
        """A fresh session for ``identity`` (logged in unless "anon") and its tokens."""
        self.cookies[identity] = {}
        query = {"action": "query", "meta": "tokens", "type": "login", "format": "json"}
        login_token = self._json(identity, "GET", query)["query"]["tokens"]["logintoken"]
        if identity in CREDENTIALS:
            name, password = CREDENTIALS[identity]
            login = {"action": "login", "lgname": name, "lgpassword": password, "lgtoken": login_token}
            result = self._json(identity, "POST", {**login, "format": "json"})
            assert result["login"]["result"] == "Success", result
        every = self._json(
            identity, "GET", {"action": "query", "meta": "tokens", "type": "*", "format": "json"}
        )
        self.tokens[identity] = {k.removesuffix("token"): v for k, v in every["query"]["tokens"].items()}

    def run(self, call: ApiCall) -> tuple[Asked, Answer]:
        """Send ``call`` as its identity; what it asked and what came back."""
        if call.identity not in self.tokens:
            self.log_in(call.identity)
        tokens = self.tokens[call.identity]
        target, headers, body = call.render(tokens)
        jar = self.cookies[call.identity]
        if jar:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items())))
        shown = f"{call.method} {target[:300]!r} {headers} body {body[:300]!r} ({len(body)} bytes)"
        asked = Asked(call.method, call.effective(self.max_body, tokens), dict(headers).get("Origin"), shown)
        answer = self.transport(call.method, target, headers, body, call.chunked)
        if asked.params is None or asked.params.get("action") in SESSION_ACTIONS:
            self.tokens.pop(call.identity, None)  # logged in again before its next call
        else:
            jar.update(_set_cookies(answer.set_cookies))
        return asked, answer


def testclient_transport(client: TestClient, api_path: str) -> Transport:
    """In-process: the ASGI app itself, through starlette's TestClient (no cookie jar kept)."""

    def send(method: str, target: str, headers: list[tuple[str, str]], body: bytes, chunked: bool) -> Answer:
        client.cookies.clear()
        content: bytes | Iterator[bytes] | None = body if body else None
        if chunked and body:
            content = iter([body[: len(body) // 2], body[len(body) // 2 :]])
        r = client.request(method, api_path + target, headers=headers, content=content)
        return Answer(
            r.status_code,
            {k.lower(): v for k, v in r.headers.items()},
            r.content,
            r.headers.get_list("set-cookie"),
        )

    return send


class HttpTransport:
    """Real HTTP over one keep-alive connection (reopened when the server closed it)."""

    def __init__(self, host: str, port: int, api_path: str) -> None:
        self.host = host
        self.port = port
        self.api_path = api_path
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __call__(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, chunked: bool
    ) -> Answer:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                return self._exchange(self.conn, method, target, headers, body, chunked)
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        chunked: bool,
    ) -> Answer:
        conn.putrequest(method, self.api_path + target, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for piece in (body[: len(body) // 2], body[len(body) // 2 :]):
                if piece:
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.send(b"0\r\n\r\n")
        else:
            if body or method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
        response = conn.getresponse()
        data = response.read()
        pairs = response.getheaders()
        if response.will_close:
            self.close()
        return Answer(
            response.status,
            {k.lower(): v for k, v in pairs},
            data,
            [v for k, v in pairs if k.lower() == "set-cookie"],
        )
