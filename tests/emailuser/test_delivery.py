"""Delivery: sync mode's 1.39 Failure result (transcript records 117/118), the outbox's retries
with backoff, permanent failures, lapsed leases, and real SMTP end to end."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.testclient import TestClient

from tests.emailuser.helpers import API, csrf, login_as, setup_users
from tests.emailuser.test_emailuser_service import actor
from tests.emailuser.transcript import records
from tests.mail.sink import Sink
from tests.servers import free_port
from wikipost.app import build_app
from wikipost.wiki import Wiki


def test_sync_delivery_to_a_dead_server_is_the_139_failure(make_wiki: Callable[..., Wiki]) -> None:
    port = free_port()  # nothing listens there
    wiki = make_wiki(mail={"backend": "smtp", "smtp_port": port, "delivery": "sync", "smtp_timeout": 5.0})
    users = setup_users(wiki)
    expected = {r["name"]: r for r in records("emailuser.smtp_down")}
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        login_as(wiki, client, users.alice, bot_app="anchor")
        token = csrf(client)
        for name, record in expected.items():
            form = {**record["form"], "token": token}
            r = client.post(API, data=form)
            want = json.loads(json.dumps(record["body"]).replace("127.0.0.1:2525", f"127.0.0.1:{port}"))
            assert r.json() == want, name
            assert "mediawiki-api-error" not in r.headers
        plain = client.post(API, data={**form, "errorformat": "plaintext"}).json()
        assert plain == {
            "emailuser": {
                "result": "Failure",
                "errors": [{"code": "pear-mail-error", "text": want["emailuser"]["errors"][0]["params"][0]}],
            }
        }
        form.pop("formatversion", None)
        xml = client.post(API, data={**form, "format": "xml"}).text
        reason = want["emailuser"]["errors"][0]["params"][0]
        assert xml == (
            '<?xml version="1.0"?><api><emailuser result="Failure"><warnings /><errors>'
            '<error message="pear-mail-error" code="pear-mail-error" type="error"><params>'
            f"<param>{reason}</param></params></error></errors></emailuser></api>"
        )
    failed = wiki.outbox.list("failed")
    assert len(failed) == 4 and "Connection refused" in failed[0].last_error
    assert wiki.background().drain() == 0  # sync failures are not retried behind the user's back


def test_sync_delivery_success_marks_sent(make_wiki: Callable[..., Wiki]) -> None:
    with Sink() as sink:
        wiki = make_wiki(mail={"backend": "smtp", "smtp_port": sink.port, "delivery": "sync"})
        setup_users(wiki)
        result = wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "Hi", "Now", True)
        assert result.result == "Success"
        assert [r.status for r in wiki.outbox.get(result.outbox_ids)] == ["sent", "sent"]
        assert len(sink.received) == 2


def test_outbox_retries_with_backoff_then_delivers(make_wiki: Callable[..., Wiki]) -> None:
    port = free_port()
    wiki = make_wiki(
        mail={"backend": "smtp", "smtp_port": port, "smtp_timeout": 5.0, "retry_base_seconds": 10.0}
    )
    setup_users(wiki)
    result = wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "Hi", "Later", False)
    (mid,) = result.outbox_ids
    worker = wiki.background()
    assert worker.drain(max_passes=1) == 1  # attempt 1: server down
    (row,) = wiki.outbox.get([mid])
    assert row.status == "queued" and row.attempts == 1 and "Connection refused" in row.last_error
    assert row.next_attempt - wiki.clock.now() > 9
    assert worker.drain() == 0  # not due yet
    wiki.clock.advance(10)
    assert worker.drain(max_passes=1) == 1  # attempt 2: still down, the delay doubles
    (row,) = wiki.outbox.get([mid])
    assert row.attempts == 2 and row.next_attempt - wiki.clock.now() > 19
    with Sink(port=port) as sink:
        wiki.clock.advance(20)
        worker.drain()
        (row,) = wiki.outbox.get([mid])
        assert row.status == "sent" and row.sent_at is not None
        (got,) = sink.received
        assert row.message_id.encode() in got.data


def test_permanent_refusal_marks_failed_with_reason(make_wiki: Callable[..., Wiki]) -> None:
    with Sink(refuse={"bob@anchor.test": "550 5.1.1 Mailbox unavailable"}) as sink:
        wiki = make_wiki(mail={"backend": "smtp", "smtp_port": sink.port})
        setup_users(wiki)
        wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "Hi", "Bounce", True)
        wiki.background().drain()
        (failed,) = wiki.outbox.list("failed")
        assert "550" in failed.last_error and failed.attempts == 1
        assert [r.kind for r in wiki.outbox.list("sent")] == ["emailuser-copy"]
        assert len(sink.received) == 1


def test_attempts_are_bounded(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki(
        mail={
            "backend": "smtp",
            "smtp_port": free_port(),
            "max_attempts": 2,
            "retry_base_seconds": 1.0,
            "smtp_timeout": 5.0,
        }
    )
    setup_users(wiki)
    wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "Hi", "Never", False)
    wiki.background().drain()
    wiki.clock.advance(5)
    wiki.background().drain()
    (row,) = wiki.outbox.list()
    assert row.status == "failed" and row.attempts == 2


def test_a_lapsed_lease_is_delivered_again_with_the_same_message_id(wiki: Wiki) -> None:
    setup_users(wiki)
    wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "Hi", "Crash", False)
    claimed = wiki.outbox.claim(10)  # a worker took it … and died before recording
    assert [r.status for r in wiki.outbox.list()] == ["sending"]
    assert wiki.background().drain() == 0  # the lease still holds
    wiki.clock.advance(wiki.settings.jobs.lease_seconds + 1)
    assert wiki.background().drain() == 1
    (row,) = wiki.outbox.list()
    assert row.status == "sent" and row.attempts == 2
    (mail,) = wiki.mailer.outbox  # type: ignore[attr-defined]
    assert mail.message_id == claimed[0].message_id
