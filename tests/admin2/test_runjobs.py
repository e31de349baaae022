"""Special:RunJobs against a live server whose worker is kept out of the way (it polls once an
hour and nothing in these tests wakes it): sends queued straight into the store are delivered
only by signed requests, one batch after another until ``none-ready``; the deliveries set the
recipients' new-message notices; the refusals (GET, missing parameters, a bad or stale
signature); ``async`` answering 202 first; mail in the outbox; the secret key ``init`` wrote."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.admin2.conftest import PASSWORD, login
from tests.live import LiveServer, start_live_server
from wikipost.mail.message import OutgoingMail
from wikipost.services.massmessage import SendRequest
from wikipost.services.runjobs import signed_request

pytestmark = pytest.mark.live
LIST = {
    "description": "",
    "targets": [{"title": "User:Bob"}, {"title": "User:Carol"}, {"title": "Talk:Jobs page"}],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_live_server(
        tmp_path_factory.mktemp("runjobs"), {"jobs": {"poll_seconds": 3600.0}}, start=False
    )
    with live.open_wiki() as wiki:
        admin = wiki.users.create(
            "Admin", PASSWORD, email="admin@anchor.test", confirmed=True, groups=("sysop",)
        )
        for name in ("Bob", "Carol"):
            wiki.users.create(name, PASSWORD, email=f"{name.lower()}@anchor.test", confirmed=True)
        with wiki.db.write() as conn:
            wiki.pages.save(
                conn,
                title=wiki.titles.parse("Jobs list"),
                actor=wiki.users.actor_for(admin),
                text=json.dumps(LIST),
                content_model="MassMessageListContent",
            )
    live.start()
    try:
        yield live
    finally:
        live.stop()


def secret_key(server: LiveServer) -> str:
    return server.settings().site.secret_key


def queue_send(server: LiveServer, subject: str) -> int:
    """A send recorded and queued in the store directly: nothing wakes the server's worker."""
    with server.open_wiki() as wiki:
        admin = wiki.users.get_by_name("Admin")
        assert admin is not None
        request = SendRequest(spamlist="Jobs list", subject=subject, message="Hello ~~~~", page_message=None)
        send_id, count = wiki.massmessage.submit(wiki.users.actor_for(admin), request)
    assert count == 3
    return send_id


def run_jobs(server: LiveServer, key: str | None = None, **params: str) -> requests.Response:
    values = {"title": "Special:RunJobs", "tasks": "jobs", "sigexpiry": str(int(time.time()) + 60), **params}
    data = signed_request(values, secret_key(server) if key is None else key)
    return requests.post(server.index_url, data=data, timeout=60)


def stats(server: LiveServer, **params: str) -> dict[str, Any]:
    answer = run_jobs(server, **{"async": "0", "stats": "1", **params})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    report: dict[str, Any] = answer.json()
    return report


def test_the_signature_is_mediawikis() -> None:
    params = {"title": "Special:RunJobs", "tasks": "jobs", "maxjobs": "10", "sigexpiry": "1800000000"}
    query = "maxjobs=10&sigexpiry=1800000000&tasks=jobs&title=Special%3ARunJobs"  # ksort + wfArrayToCgi
    expected = hmac.new(b"the key", query.encode(), hashlib.sha1).hexdigest()
    assert signed_request(params, "the key")["signature"] == expected


def test_refusals(server: LiveServer) -> None:
    got = requests.get(server.index_url, params={"title": "Special:RunJobs"}, timeout=30)
    assert got.status_code == 400 and "<p>Request must be POSTed.</p>" in got.text
    bare = requests.post(
        server.index_url, params={"title": "Special:RunJobs"}, data={"tasks": "jobs"}, timeout=30
    )
    assert bare.status_code == 400 and "<p>Missing parameters: signature, sigexpiry</p>" in bare.text
    assert bare.text.startswith("<!DOCTYPE html><html><head><title>Bad Request</title>")
    forged = run_jobs(server, key="not the key", maxjobs="5")
    assert forged.status_code == 400 and "<p>Invalid or stale signature provided.</p>" in forged.text
    stale = run_jobs(server, sigexpiry=str(int(time.time()) - 1))
    assert stale.status_code == 400 and "Invalid or stale signature provided." in stale.text
    tampered = signed_request(
        {"title": "Special:RunJobs", "tasks": "jobs", "sigexpiry": "9999999999"}, secret_key(server)
    )
    tampered["maxjobs"] = "1000"  # not covered by the signature
    assert requests.post(server.index_url, data=tampered, timeout=30).status_code == 400


def test_signed_requests_run_the_queue_until_none_ready(server: LiveServer) -> None:
    bob, carol = login(server, "Bob"), login(server, "Carol")
    assert not bob.get(action="query", meta="userinfo", uiprop="hasmsg")["query"]["userinfo"]["messages"]
    queue_send(server, "Run by request")
    first = stats(server, maxjobs="1")
    assert first["reached"] == "job-limit" and first["backoffs"] == []
    assert [(j["type"], j["status"], j["error"]) for j in first["jobs"]] == [
        ("massmessage-submit", "ok", None)
    ]
    ran: list[str] = []
    for _ in range(10):
        report = stats(server, maxjobs="2")
        ran += [j["type"] for j in report["jobs"]]
        if report["reached"] == "none-ready":
            break
        assert report["reached"] == "job-limit" and len(report["jobs"]) == 2
    assert report["reached"] == "none-ready"
    assert ran == ["massmessage-deliver"] * 3
    for session in (bob, carol):
        info = session.get(action="query", meta="userinfo", uiprop="hasmsg")["query"]["userinfo"]
        assert info["messages"] is True
    talk = bob.get(action="query", prop="revisions", titles="User talk:Bob", rvprop="user|comment")
    assert talk["query"]["pages"][0]["revisions"][0]["comment"] == "/* Run by request */ new section"
    empty = stats(server, maxjobs="5")
    assert empty == {"jobs": [], "reached": "none-ready", "backoffs": [], "elapsed": 0}


def test_async_answers_first_and_plain_runs_say_done(server: LiveServer) -> None:
    queue_send(server, "Run in the background")
    accepted = run_jobs(server, maxjobs="100")  # async is the default
    assert accepted.status_code == 202 and accepted.content == b""
    deadline = time.monotonic() + 30
    with server.open_wiki() as wiki:
        while wiki.unfinished():  # the jobs run after the answer was sent
            assert time.monotonic() < deadline, wiki.jobs.counts()
            time.sleep(0.05)
    carol = login(server, "Carol")
    talk = carol.get(action="query", prop="revisions", titles="User talk:Carol", rvprop="comment")
    assert talk["query"]["pages"][0]["revisions"][0]["comment"] == "/* Run in the background */ new section"
    done = run_jobs(server, **{"async": "0"})
    assert done.status_code == 200 and done.text == "Done\n"


def test_mail_in_the_outbox_is_sent_too(server: LiveServer) -> None:
    mail = OutgoingMail(
        message_id="<runjobs-test@anchor.test>",
        envelope_from="wiki@anchor.test",
        recipients=("bob@anchor.test",),
        raw=b"From: wiki@anchor.test\r\nTo: bob@anchor.test\r\nSubject: Hi\r\n\r\nHello\r\n",
        subject="Hi",
    )
    with server.open_wiki() as wiki, wiki.db.write() as conn:
        (mail_id,) = wiki.outbox.enqueue(conn, [("emailuser", mail)])
    report = stats(server, maxjobs="10")
    assert report["jobs"] == [
        {"type": "mail", "status": "ok", "error": None, "time": report["jobs"][0]["time"]}
    ]
    assert report["reached"] == "none-ready"
    with server.open_wiki() as wiki:
        assert wiki.outbox.get([mail_id])[0].status == "sent"


def test_init_wrote_the_secret_key(server: LiveServer) -> None:
    key_file = server.data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) == 64 and secret_key(server) == key
    again = server.cli("init")
    assert "secret key" not in again.stdout and key_file.read_text().strip() == key
