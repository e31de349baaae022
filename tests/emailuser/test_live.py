"""Against a real `wikipost serve` process: the seed's Python demo (bot-password login, csrf
token, POST emailuser) leaves the mail in the maildir, or delivers it to a real aiosmtpd; and a
SIGKILL mid-delivery loses nothing and re-sends nothing that was already accepted."""

from __future__ import annotations

import mailbox
import time
from collections.abc import Callable
from typing import Any

import requests

from tests.live import LiveServer, bot_login
from tests.mail.sink import Sink

BOT_PASSWORD = "alicebotpass0123456789abcdefghij"


def prepare(server: LiveServer) -> None:
    server.cli(
        "user",
        "create",
        "Alice",
        "--password",
        "alice-anchor-pass",
        "--email",
        "alice@anchor.test",
        "--confirmed",
    )
    server.cli(
        "user",
        "create",
        "Test",
        "--password",
        "test-anchor-pass",
        "--email",
        "test@anchor.test",
        "--confirmed",
    )
    server.cli(
        "botpassword",
        "create",
        "Alice",
        "anchor",
        "--grants",
        "basic,highvolume,sendemail,editpage",
        "--password",
        BOT_PASSWORD,
    )


def seed_demo(url: str, username: str, password: str) -> str:
    """tests/fixtures/seeds/000_69891d31e78c7742.txt's Python demo, verbatim but for URL and
    credentials (and the closing braces the seed's text extraction lost)."""
    S = requests.Session()  # noqa: N806 - the demo's names
    URL = url  # noqa: N806

    # Step 1: GET request to fetch login token
    PARAMS_0 = {  # noqa: N806
        "action": "query",
        "meta": "tokens",
        "type": "login",
        "format": "json",
    }
    R = S.get(url=URL, params=PARAMS_0)  # noqa: N806
    DATA = R.json()  # noqa: N806
    LOGIN_TOKEN = DATA["query"]["tokens"]["logintoken"]  # noqa: N806

    # Step 2: POST request to log in.
    PARAMS_1 = {  # noqa: N806
        "action": "login",
        "lgname": username,
        "lgpassword": password,
        "lgtoken": LOGIN_TOKEN,
        "format": "json",
    }
    R = S.post(URL, data=PARAMS_1)  # noqa: N806

    # Step 3: GET request to fetch Email token
    PARAMS_2 = {  # noqa: N806
        "action": "query",
        "meta": "tokens",
        "format": "json",
    }
    R = S.get(url=URL, params=PARAMS_2)  # noqa: N806
    DATA = R.json()  # noqa: N806
    EMAIL_TOKEN = DATA["query"]["tokens"]["csrftoken"]  # noqa: N806

    # Step 4: POST request to send an email
    PARAMS_3 = {  # noqa: N806
        "action": "emailuser",
        "target": "Test",
        "subject": "Hi",
        "text": "Just wanted to say hi",
        "token": EMAIL_TOKEN,
        "format": "json",
    }
    R = S.post(URL, data=PARAMS_3)  # noqa: N806
    DATA = R.text  # noqa: N806
    return str(DATA)


def wait_until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_seed_demo_leaves_the_mail_in_the_maildir(live_server_factory: Callable[..., LiveServer]) -> None:
    server = live_server_factory({"mail": {"backend": "maildir"}}, start=False)
    prepare(server)
    server.start()
    answer = seed_demo(server.api_url, "Alice@anchor", BOT_PASSWORD)
    assert answer == '{"emailuser":{"result":"Success"}}'
    box = mailbox.Maildir(server.data_dir / "maildir", create=True)
    messages = wait_until(lambda: list(box.values()))
    assert len(messages) == 1
    msg = messages[0]
    assert msg["To"] == '"Test" <test@anchor.test>' and msg["Subject"] == "Hi"
    assert msg["Reply-To"] == '"Alice" <alice@anchor.test>'
    assert "Just wanted to say hi\n\n-- \nThis email was sent by Alice to Test" in msg.get_payload(
        decode=True
    ).decode().replace("\r\n", "\n")


def test_seed_demo_reaches_a_real_smtp_server(live_server_factory: Callable[..., LiveServer]) -> None:
    with Sink() as sink:
        server = live_server_factory({"mail": {"backend": "smtp", "smtp_port": sink.port}}, start=False)
        prepare(server)
        server.start()
        answer = seed_demo(server.api_url, "Alice@anchor", BOT_PASSWORD)
        assert answer == '{"emailuser":{"result":"Success"}}'
        (got,) = sink.handler.wait_for(1)
        assert got.mail_from == "wiki@anchor.test" and got.rcpt_tos == ["test@anchor.test"]
        assert b"Subject: Hi\r\n" in got.data


def _send_many(server: LiveServer, count: int) -> None:
    s, csrf = bot_login(server.api_url, "Alice@anchor", BOT_PASSWORD)
    for n in range(count):
        r = s.post(
            server.api_url,
            data={
                "action": "emailuser",
                "target": "Test",
                "subject": f"Crash {n}",
                "text": f"Mail {n}",
                "token": csrf,
                "format": "json",
            },
        )
        assert r.json() == {"emailuser": {"result": "Success"}}, r.text


def test_sigkill_mid_delivery_loses_nothing(live_server_factory: Callable[..., LiveServer]) -> None:
    total = 60
    chunk = 25  # OutboxDrainer's default: outcomes are recorded per chunk
    # An SMTP server that accepts chunk + 5 mails and then holds the next one unanswered: the
    # kill lands mid-delivery (and mid-chunk) whatever the machine's speed.
    with Sink(hold_after=chunk + 5) as slow:
        port = slow.port
        config = {
            "mail": {"backend": "smtp", "smtp_port": port, "smtp_timeout": 3.0, "retry_base_seconds": 0.2},
            "jobs": {"lease_seconds": 2, "poll_seconds": 0.05},
            "ratelimits": {"emailuser": {"user": [1000, 86400]}},
        }
        server = live_server_factory(config, start=False)
        prepare(server)
        server.start()
        _send_many(server, total)  # every request answered Success: all 60 are durable
        assert len(slow.handler.wait_for(chunk + 5, timeout=120)) == chunk + 5, server.log()
        server.kill()  # SIGKILL while a mail is being sent
        first = [r.data for r in slow.received]
    assert len(first) == chunk + 5
    with server.open_wiki() as wiki:
        before = wiki.outbox.counts()
        sent_before = {r.subject for r in wiki.outbox.list("sent")}
    assert sum(before.values()) == total and before["sent"] < total
    with Sink(port=port) as fast:
        server.start()
        with server.open_wiki() as wiki:
            done = wait_until(lambda: wiki.outbox.counts()["sent"] == total, timeout=60)
            assert done, wiki.outbox.counts()
            ids = {r.message_id for r in wiki.outbox.list()}
        server.stop()
        second = [r.data for r in fast.received]
    subjects = [_subject(d) for d in first + second]
    # Every accepted mail arrived; mails sent but not yet recorded when the process died are
    # sent again (at least once, at most one chunk), with the same Message-ID.
    assert set(subjects) == {f"Crash {n}" for n in range(total)}
    assert len(subjects) - total <= chunk
    assert {_message_id(d) for d in first + second} == ids
    # Mails recorded as sent before the kill did not go out again.
    assert not sent_before & {_subject(d) for d in second}


def _subject(data: bytes) -> str:
    for line in data.split(b"\r\n"):
        if line.startswith(b"Subject: "):
            return line[9:].decode()
    raise AssertionError("no subject")


def _message_id(data: bytes) -> str:
    for line in data.split(b"\r\n"):
        if line.startswith(b"Message-ID: "):
            return line[12:].decode()
    raise AssertionError("no Message-ID")
