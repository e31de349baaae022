"""Request logs against live servers: one access line per request with its id (the client's or
a generated one, echoed in X-Request-Id), JSON lines when asked, and no secret anywhere."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests

from tests.anchorwiki import PASSWORDS
from tests.faults.support import wait_until
from tests.live import LiveServer
from wikipost.ops.http import client_request_id
from wikipost.ops.logs import FIELDS, REDACTED, JsonFormatter

ALICE_BOT_SECRET = "alicebotpass0123456789abcdefghij"


def _json_lines(server: LiveServer) -> list[dict[str, Any]]:
    out = []
    for line in server.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def _access_lines(server: LiveServer, request_id: str) -> list[dict[str, Any]]:
    return [
        line
        for line in _json_lines(server)
        if line.get("logger") == "wikipost.access" and line.get("request_id") == request_id
    ]


def _logged(server: LiveServer, response: requests.Response) -> dict[str, Any]:
    """The one access line of ``response``'s request (waits for it to be written)."""
    request_id = response.headers["X-Request-Id"]
    lines = wait_until(lambda: _access_lines(server, request_id), 30, f"the access line of {request_id}")
    assert len(lines) == 1, lines
    return lines[0]


def test_one_json_line_per_request_and_no_secret_in_the_log(ops_server: LiveServer) -> None:
    api = ops_server.api_url
    body_text = f"Quokka-body-{time.time_ns()} the distinctive text of this mail"
    session = requests.Session()
    responses: list[requests.Response] = []

    def call(method: str, **kwargs: Any) -> dict[str, Any]:
        response = session.request(method, api, timeout=30, **kwargs)
        responses.append(response)
        answer: dict[str, Any] = response.json()
        return answer

    tokens = {"type": "login|csrf", "action": "query", "meta": "tokens", "format": "json"}
    login_token = call("GET", params=tokens)["query"]["tokens"]["logintoken"]
    login = call(
        "POST",
        data={
            "action": "clientlogin",
            "username": "Alice",
            "password": PASSWORDS["Alice"],
            "logintoken": login_token,
            "loginreturnurl": ops_server.base_url + "/",
            "format": "json",
        },
    )
    assert login["clientlogin"]["status"] == "PASS", login
    csrf = call("GET", params=tokens)["query"]["tokens"]["csrftoken"]
    sent = call(
        "POST",
        data={
            "action": "emailuser",
            "target": "Bob",
            "subject": "Log test",
            "text": body_text,
            "token": csrf,
            "format": "json",
            "requestid": "client-id-1",
        },
        headers={"X-Request-Id": "header-id-loses"},
    )
    assert sent == {"emailuser": {"result": "Success"}, "requestid": "client-id-1"}
    # A bot-password login in another session (lgpassword is a secret too).
    bot = requests.Session()
    bot_token = bot.get(api, params=tokens, timeout=30).json()["query"]["tokens"]["logintoken"]
    bot_login = bot.post(
        api,
        data={
            "action": "login",
            "lgname": "Alice@anchor",
            "lgpassword": ALICE_BOT_SECRET,
            "lgtoken": bot_token,
            "format": "json",
        },
        headers={"X-Request-Id": "bot login"},
        timeout=30,
    )
    assert bot_login.json()["login"]["result"] == "Success"
    page = session.get(f"{ops_server.base_url}/wiki/User:Bob", timeout=30)
    responses += [bot_login, page]

    assert responses[3].headers["X-Request-Id"] == "client-id-1"  # requestid= before the header
    assert bot_login.headers["X-Request-Id"] == "bot%20login"  # made safe for a header and a line
    for response in responses:
        line = _logged(ops_server, response)
        assert line["status"] == response.status_code
        assert line["method"] == response.request.method
        assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
        assert line["level"] == "info" and line["ts"].endswith("Z")
    emailuser = _logged(ops_server, responses[3])
    assert (emailuser["module"], emailuser["code"], emailuser["path"]) == ("emailuser", "ok", "/w/api.php")
    assert _logged(ops_server, page)["module"] == "index"

    # The mail is delivered (so the worker's log is in) before the whole log is searched.
    with ops_server.open_wiki() as wiki:

        def settled() -> bool:
            counts = wiki.outbox.counts()
            return counts["queued"] == counts["sending"] == 0

        wait_until(settled, 30, "the mail to be sent")
    secrets = {
        "password": PASSWORDS["Alice"],
        "bot password": ALICE_BOT_SECRET,
        "login token": login_token,
        "bot login token": bot_token,
        "csrf token": csrf,
        "mail body": body_text,
        "body word": body_text.split()[0],
    }
    for jar in (session.cookies, bot.cookies):
        for cookie in jar:
            if cookie.name.endswith(("session", "Token")):  # not UserID/UserName: no secrets
                secrets[f"cookie {cookie.name}"] = cookie.value
    assert any(name.startswith("cookie ") for name in secrets), "no session cookie was set"
    log = ops_server.log_path.read_text(errors="replace")
    for what, secret in secrets.items():
        assert secret and secret not in log, f"the {what} is in the server's log"
    for token in (login_token, csrf):  # tokens end in "+\\", written escaped in JSON
        assert token.rstrip("+\\") not in log
    others = [
        line
        for line in log.splitlines()
        if line.strip() and not line.startswith("{") and not line.startswith("serving the wiki")
    ]
    assert not others, f"lines that are not JSON: {others[:5]}"


def test_text_access_lines(thread_server: LiveServer) -> None:
    response = requests.get(
        thread_server.api_url, params={"action": "query", "meta": "siteinfo", "format": "json"}, timeout=30
    )
    request_id = response.headers["X-Request-Id"]

    def line() -> str | None:
        found = [x for x in thread_server.log_path.read_text().splitlines() if x.endswith(f" {request_id}")]
        return found[0] if len(found) == 1 else None

    text = wait_until(line, 30, "the access line")
    assert " INFO wikipost.access: 127.0.0.1 GET /w/api.php query ok 200 " in text
    assert "siteinfo" not in text  # no parameter values besides the module


def test_json_formatter_scrubs_secret_keys() -> None:
    record = logging.LogRecord(
        "wikipost.test", logging.WARNING, __file__, 1, "login for %s", ("Alice",), None
    )
    record.lgpassword = "hunter2"
    record.request = {"csrftoken": "abc+\\", "cookie": "s=1", "text": "mail body", "user": "Alice"}
    setattr(record, FIELDS, {"body": "another body", "module": "login"})
    out = json.loads(JsonFormatter().format(record))
    assert out["msg"] == "login for Alice"
    assert out["lgpassword"] == REDACTED
    assert out["request"] == {"csrftoken": REDACTED, "cookie": REDACTED, "text": REDACTED, "user": "Alice"}
    assert out["body"] == REDACTED and out["module"] == "login"


def test_client_request_ids_are_made_safe() -> None:
    assert client_request_id(None) is None and client_request_id("") is None
    assert client_request_id("abc-123_X") == "abc-123_X"
    assert client_request_id("a b\r\nInjected: 1") == "a%20b%0D%0AInjected:%201"
    assert client_request_id("bad\udcff") == "bad?"  # a lone surrogate (invalid UTF-8 sent)
    long = client_request_id("é" * 150)
    assert long is not None and len(long) <= 200 and long.endswith("%C3%A9")
