"""Issue #11: serve and its worker SIGKILLed while requests are in flight, then restarted.

Unlike tests/emailuser/test_live.py (sequential requests, then a kill during SMTP delivery) and
tests/massmessage/test_crash_recovery.py (a send submitted in-process, one kill mid-delivery),
here the kills land while clients are talking to the server: during a burst of concurrent
emailuser requests, during the ``action=massmessage`` request of a 5,000-target send, and — by
the worker alone, then by the whole process group — during its delivery. Every ``Success``
has its mail exactly once (the maildir recognises a mail delivered before the crash), every
target its one section, and a client that lost its answer can find out what happened.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import insert, select

from tests.anchorwiki import PASSWORDS
from tests.faults.support import alice, anchor_users, children, emailuser, kill_quietly, subject, wait_until
from tests.live import LiveServer, bot_login, start_live_server
from wikipost.db.schema.accounts import users
from wikipost.db.schema.pages import pages, revisions

pytestmark = pytest.mark.live

CLIENTS = 8
TARGETS = 5000
SEND_SUBJECT = "Crash-restart newsletter"


def _crash_list(server: LiveServer) -> None:
    """5,000 users and a delivery list of their talk pages, written before serve starts."""
    with server.open_wiki() as wiki:
        now = int(time.time())
        rows = [
            {"name": f"Target {i}", "email": "", "registration": now, "editcount": 0} for i in range(TARGETS)
        ]
        with wiki.db.write() as conn:
            conn.execute(insert(users), [{**r, "is_system": False} for r in rows])
        admin = wiki.users.get_by_name("Admin")
        assert admin is not None
        text = json.dumps(
            {"description": "", "targets": [{"title": f"User talk:Target {i}"} for i in range(TARGETS)]}
        )
        with wiki.db.write() as conn:
            wiki.pages.save(
                conn,
                title=wiki.titles.parse("Crash-restart list"),
                actor=wiki.users.actor_for(admin),
                text=text,
                content_model="MassMessageListContent",
            )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config: dict[str, dict[str, Any]] = {
        "mail": {"backend": "maildir"},
        "jobs": {"lease_seconds": 2, "poll_seconds": 0.05},
        "ratelimits": {"emailuser": {"user": [100000, 86400]}},
    }
    made = start_live_server(Path(tmp_path_factory.mktemp("crash")), config, start=False)
    anchor_users(made)
    _crash_list(made)
    made.start()
    yield made
    made.stop()


def _maildir_subjects(server: LiveServer) -> Counter[str]:
    box = server.data_dir / "maildir"
    return Counter(subject(p.read_bytes()) for p in [*box.glob("new/*"), *box.glob("cur/*")])


def _all_done(server: LiveServer) -> bool:
    with server.open_wiki() as wiki:
        return wiki.unfinished() == 0


def _burst_until_killed(server: LiveServer, tag: str, kill_after: int) -> list[str]:
    """CLIENTS logged-in clients send emailuser as fast as they can; the process group is
    SIGKILLed once ``kill_after`` were answered Success. The subjects answered Success."""
    accepted: list[str] = []
    logins = [alice(server) for _ in range(CLIENTS)]

    def client(n: int) -> None:
        session, csrf = logins[n]
        for i in range(100000):
            try:
                answer = emailuser(server, session, csrf, f"{tag} {n}.{i}")
            except (requests.RequestException, ValueError):
                return  # the server is gone: this request's fate is unknown, and may be either
            assert answer == {"emailuser": {"result": "Success"}}, answer
            accepted.append(f"{tag} {n}.{i}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(accepted) >= kill_after, what=f"{kill_after} accepted mails")
    server.kill()
    for thread in threads:
        thread.join(60)
    return accepted


def test_sigkill_during_an_emailuser_burst_loses_and_doubles_nothing(server: LiveServer) -> None:
    accepted = _burst_until_killed(server, "Burst A", kill_after=60)
    server.start()
    # Killed again while the restarted worker is still delivering what the first one left.
    accepted += _burst_until_killed(server, "Burst B", kill_after=30)
    server.start()
    wait_until(lambda: _all_done(server), what="the outbox drained")
    delivered = _maildir_subjects(server)
    burst = {s: n for s, n in delivered.items() if s.startswith("Burst ")}
    assert set(accepted) <= set(burst), sorted(set(accepted) - set(burst))[:10]
    assert max(burst.values()) == 1, [s for s, n in burst.items() if n > 1][:10]
    with server.open_wiki() as wiki:
        counts = wiki.outbox.counts()
        again = sum(1 for row in wiki.outbox.list("sent") if row.attempts > 1)
    assert counts["sent"] == sum(burst.values()) and counts["failed"] == 0, counts
    print(f"{len(accepted)} accepted, {len(burst)} delivered once each, {again} of them tried again")


def _send_status(session: requests.Session, server: LiveServer) -> list[dict[str, Any]]:
    answer = session.get(
        server.api_url,
        params={"action": "query", "list": "massmessagestatus", "format": "json", "formatversion": "2"},
        timeout=30,
    ).json()
    sends: list[dict[str, Any]] = [
        s for s in answer["query"]["massmessagestatus"] if s["subject"] == SEND_SUBJECT
    ]
    return sends


def _submit(server: LiveServer, session: requests.Session, csrf: str) -> dict[str, Any] | None:
    """POST the send; its answer, or None when the connection broke."""
    try:
        answer: dict[str, Any] = session.post(
            server.api_url,
            data={
                "action": "massmessage",
                "spamlist": "Crash-restart list",
                "subject": SEND_SUBJECT,
                "message": "One section per talk page, whatever happens.",
                "token": csrf,
                "format": "json",
            },
            timeout=120,
        ).json()
    except (requests.RequestException, ValueError):
        return None
    return answer


def _delivered(server: LiveServer, send_id: int) -> tuple[int, int]:
    with server.open_wiki() as wiki:
        status = wiki.massmessage.status(send_id)
        assert status is not None
        return status.delivered, status.pending


def test_sigkill_during_a_5000_target_send_gives_every_target_one_section(server: LiveServer) -> None:
    if not server.running:
        server.start()
    session, csrf = bot_login(server.api_url, "Admin", PASSWORDS["Admin"])
    # The process group dies while the request is being handled: before or after its commit,
    # the client gets no answer either way.
    outcome: dict[str, Any] = {}
    started = time.monotonic()
    request = threading.Thread(
        target=lambda: outcome.update(answer=_submit(server, session, csrf), took=time.monotonic() - started)
    )
    request.start()
    time.sleep(0.05)
    server.kill()
    request.join(60)
    server.start()
    session, csrf = bot_login(server.api_url, "Admin", PASSWORDS["Admin"])
    sends = _send_status(session, server)
    if outcome["answer"] is not None:  # answered before the kill: the send must be there
        assert outcome["answer"] == {"massmessage": {"result": "success", "count": TARGETS}}
        assert len(sends) == 1
    outcome["committed"] = bool(sends)
    if not sends:  # never committed: the client sends it again, as it would after an error
        assert _submit(server, session, csrf) == {"massmessage": {"result": "success", "count": TARGETS}}
        sends = _send_status(session, server)
    assert len(sends) == 1 and sends[0]["total"] == TARGETS, sends
    print("killed during submit:", outcome)
    send_id = int(sends[0]["id"])

    # The worker alone (serve restarts it), then everything, while the targets are delivered.
    wait_until(lambda: _delivered(server, send_id)[0] >= 1000, timeout=120, what="1,000 delivered")
    assert server.proc is not None
    (worker,) = children(server.proc.pid, b"jobs", b"work")
    kill_quietly(worker, signal.SIGKILL)
    wait_until(lambda: _delivered(server, send_id)[0] >= 2500, timeout=120, what="2,500 delivered")
    server.kill()
    delivered, pending = _delivered(server, send_id)
    assert pending > 0, "the delivery finished before the kill: nothing was tested"
    server.start()
    wait_until(lambda: _delivered(server, send_id)[1] == 0, timeout=300, what="the send finished")

    with server.open_wiki() as wiki, wiki.db.read() as conn:
        texts = conn.execute(
            select(pages.c.dbkey, revisions.c.text)
            .join(revisions, revisions.c.id == pages.c.latest_rev_id)
            .where(pages.c.namespace == 3, pages.c.dbkey.like("Target_%"))
        ).all()
        status = wiki.massmessage.status(send_id)
    assert status is not None and status.delivered == TARGETS and status.status == "done"
    assert len(texts) == TARGETS
    assert {row.text.count(f"== {SEND_SUBJECT} ==") for row in texts} == {1}
