"""/metrics against a live server: the values move after an emailuser and a mass message; the
store figures (error classes, retries, backlog ages) on both stores; the in-process counts."""

from __future__ import annotations

import time

import requests
from sqlalchemy import insert

from tests.faults.support import wait_until
from tests.live import LiveServer, bot_login, post_emailuser
from tests.ops.support import scrape, settled, value
from wikipost.db.schema.mail import mail_outbox
from wikipost.ops.metrics import BUCKETS, MAX_CODES, RequestMetrics, read_store
from wikipost.wiki import Wiki

ALICE_BOT = ("Alice@anchor", "alicebotpass0123456789abcdefghij")
ADMIN = ("Admin", "admin-anchor-pass")


def test_metrics_move_after_an_emailuser(ops_server: LiveServer) -> None:
    before = settled(ops_server)
    session, csrf = bot_login(ops_server.api_url, *ALICE_BOT)
    answer = post_emailuser(ops_server.api_url, session, csrf, f"metrics {time.time_ns()}", target="Bob")
    assert answer == {"emailuser": {"result": "Success"}}
    refused = session.post(
        ops_server.api_url,
        data={
            "action": "emailuser",
            "target": "Bob",
            "subject": "x",
            "text": "x",
            "token": "bad",
            "format": "json",
        },
        timeout=30,
    )
    assert refused.headers["MediaWiki-API-Error"] == "badtoken"

    def sent() -> dict | None:
        now = scrape(ops_server)
        return now if value(now, "wikipost_outbox_depth") == 0 else None

    after = wait_until(sent, 60, "the mail to be sent")

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("wikipost_api_requests_total", module="emailuser", code="ok") == 1
    assert delta("wikipost_api_requests_total", module="emailuser", code="badtoken") == 1
    assert delta("wikipost_api_request_duration_seconds_count", module="emailuser") == 2
    assert delta("wikipost_api_request_duration_seconds_bucket", module="emailuser", le="+Inf") == 2
    assert delta("wikipost_api_request_duration_seconds_sum", module="emailuser") > 0
    assert delta("wikipost_mails_total", state="accepted") == 1
    assert delta("wikipost_mails_total", state="sent") == 1
    assert value(after, "wikipost_outbox_depth") == 0
    assert value(after, "wikipost_outbox_oldest_queued_age_seconds") == 0
    assert value(after, "wikipost_store_up") == 1
    assert value(after, "wikipost_workers_alive") == 1
    assert value(after, "wikipost_process_resident_memory_bytes") > 0


def test_metrics_move_after_a_mass_message(ops_server: LiveServer) -> None:
    before = settled(ops_server)
    session, csrf = bot_login(ops_server.api_url, *ADMIN)
    title = f"Project:Ops list {time.time_ns()}"
    edit = session.post(
        ops_server.api_url,
        data={
            "action": "edit",
            "title": title,
            "text": "{{#target:User talk:Bob}}\n{{#target:User talk:Carol}}\n",
            "token": csrf,
            "format": "json",
        },
        timeout=30,
    ).json()
    assert edit["edit"]["result"] == "Success", edit
    sent = session.post(
        ops_server.api_url,
        data={
            "action": "massmessage",
            "spamlist": title,
            "subject": "Ops news",
            "message": "Metrics should see this.",
            "token": csrf,
            "format": "json",
        },
        timeout=30,
    ).json()
    assert sent == {"massmessage": {"result": "success", "count": 2}}

    def delivered_two_more() -> dict | None:
        now = scrape(ops_server)
        gained = value(now, "wikipost_massmessage_targets_total", state="delivered") - value(
            before, "wikipost_massmessage_targets_total", state="delivered"
        )
        return now if gained == 2 else None

    after = wait_until(delivered_two_more, 60, "both targets to be delivered")
    assert (
        value(after, "wikipost_massmessage_targets_total", state="queued")
        - value(before, "wikipost_massmessage_targets_total", state="queued")
        == 2
    )
    assert value(after, "wikipost_massmessage_targets_pending") == 0
    assert (
        value(after, "wikipost_api_requests_total", module="massmessage", code="ok")
        - value(before, "wikipost_api_requests_total", module="massmessage", code="ok")
        == 1
    )
    assert value(after, "wikipost_job_queue_depth") == 0


def test_metrics_answer_in_prometheus_text_format(ops_server: LiveServer) -> None:
    response = requests.get(f"{ops_server.base_url}/metrics", timeout=30)
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    names = {line.split()[2] for line in response.text.splitlines() if line.startswith("# TYPE")}
    assert names and all(name.startswith("wikipost_") for name in names), names


# --- the store's figures, on each store -----------------------------------------------------------


def _mail(n: int, status: str, attempts: int, last_error: str, created: float) -> dict[str, object]:
    return {
        "message_id": f"<ops-{n}@test>",
        "kind": "emailuser",
        "envelope_from": "wiki@anchor.test",
        "recipients": '["bob@anchor.test"]',
        "subject": "s",
        "raw": b"Subject: s\r\n\r\nbody\r\n",
        "status": status,
        "attempts": attempts,
        "created": created,
        "next_attempt": created,
        "last_error": last_error,
    }


def test_store_figures_classify_errors_and_count_retries(any_wiki: Wiki) -> None:
    now = any_wiki.clock.now()
    rows = [
        _mail(1, "sent", 1, "", now - 50),
        _mail(2, "sent", 3, "", now - 40),  # two retries
        _mail(
            3, "queued", 2, "Failed to connect to 127.0.0.1:25 [SMTP: Failed to connect socket: x]", now - 30
        ),
        _mail(4, "failed", 1, "Failed to add recipient [SMTP: bob@anchor.test: 550 no such user]", now - 20),
        _mail(5, "queued", 1, "Failed to add recipient [SMTP: bob@anchor.test: 451 try later]", now - 10),
        _mail(6, "queued", 1, "Failed to send data [SMTP: busy (code: 452, response: busy)]", now - 5),
        _mail(7, "failed", 8, "Failed to send data [SMTP: Timed out waiting for server response]", now - 5),
        _mail(8, "queued", 0, "", now - 1),
    ]
    with any_wiki.db.write() as conn:
        conn.execute(insert(mail_outbox), rows)
    with any_wiki.db.read() as conn:
        figures = read_store(conn, now)
    assert figures.mails == {"queued": 4, "sending": 0, "sent": 2, "failed": 2}
    assert figures.mail_attempts_beyond_first == 2 + 1 + 7
    assert figures.mail_errors == {
        "connect": 1,
        "recipient_5xx": 1,
        "recipient_4xx": 1,
        "data_4xx": 1,
        "timeout": 1,
    }
    assert figures.oldest_queued_mail == now - 30
    assert figures.workers == []


# --- counting in the server process -------------------------------------------------------------


def test_request_metrics_count_and_bucket() -> None:
    metrics = RequestMetrics()
    metrics.api("emailuser", "ok", 0.0004)
    metrics.api("emailuser", "ok", 0.003)
    metrics.api("emailuser", "ratelimited", 20.0)
    assert metrics.api_requests == {("emailuser", "ok"): 2, ("emailuser", "ratelimited"): 1}
    cumulative = dict(metrics.api_latency["emailuser"].cumulative())
    assert cumulative[repr(BUCKETS[0])] == 1
    assert cumulative["0.005"] == 2
    assert cumulative["10.0"] == 2 and cumulative["+Inf"] == 3
    for n in range(MAX_CODES + 10):
        metrics.api("query", f"code{n}", 0.001)
    codes = {code for module, code in metrics.api_requests if module == "query"}
    assert "other" in codes and len(codes) <= MAX_CODES + 1
