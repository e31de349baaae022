"""A real ``wikipost serve`` killed with SIGKILL in the middle of a 5,000-target delivery: after a
restart every target holds exactly one section (none lost, none twice)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from tests.live import LiveServer, start_live_server
from wikipost.db.schema.accounts import users
from wikipost.db.schema.pages import pages, revisions
from wikipost.services.massmessage import SendRequest

TARGETS = 5000
SUBJECT = "Crash newsletter"


def _prepare_and_send(server: LiveServer) -> int:
    with server.open_wiki() as wiki:
        now = int(time.time())
        with wiki.db.write() as conn:
            conn.execute(
                insert(users),
                [
                    {
                        "name": f"Crash user {i}",
                        "email": "",
                        "registration": now,
                        "editcount": 0,
                        "is_system": False,
                    }
                    for i in range(TARGETS)
                ],
            )
        admin = wiki.users.create("Admin", None, groups=("sysop",))
        actor = wiki.users.actor_for(admin)
        text = json.dumps(
            {"description": "crash", "targets": [{"title": f"User:Crash user {i}"} for i in range(TARGETS)]}
        )
        with wiki.db.write() as conn:
            wiki.pages.save(
                conn,
                title=wiki.titles.parse("Crash list"),
                actor=actor,
                text=text,
                content_model="MassMessageListContent",
            )
        send_id, count = wiki.massmessage.submit(
            actor, SendRequest("Crash list", SUBJECT, "Body of the crash test. ~~~~", None)
        )
        assert count == TARGETS
        return send_id


def _progress(server: LiveServer, send_id: int) -> tuple[int, int]:
    with server.open_wiki() as wiki:
        status = wiki.massmessage.status(send_id)
        assert status is not None
        return status.delivered, status.pending


def _wait(server: LiveServer, send_id: int, until: object, timeout: float) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while True:
        delivered, pending = _progress(server, send_id)
        if until(delivered, pending):  # type: ignore[operator]
            return delivered, pending
        if time.monotonic() > deadline:
            pytest.fail(f"timed out at {delivered} delivered, {pending} pending:\n{server.log()}")
        time.sleep(0.05)


def test_sigkill_mid_delivery_then_restart_delivers_each_target_once(tmp_path: Path) -> None:
    server = start_live_server(
        tmp_path, {"jobs": {"lease_seconds": 3, "poll_seconds": 0.05}, "mail": {"backend": "memory"}}
    )
    try:
        send_id = _prepare_and_send(server)
        delivered, pending = _wait(server, send_id, lambda d, p: d >= 300, timeout=300)
        server.kill()
        delivered, pending = _progress(server, send_id)
        assert pending > 0, "the delivery finished before the kill: nothing was tested"
        server.start()
        _wait(server, send_id, lambda d, p: p == 0, timeout=600)
    finally:
        server.stop()
    with server.open_wiki() as wiki, wiki.db.read() as conn:
        rows = conn.execute(
            select(pages.c.dbkey, revisions.c.text)
            .join(revisions, revisions.c.id == pages.c.latest_rev_id)
            .where(pages.c.namespace == 3, pages.c.dbkey.like("Crash_user_%"))
        ).all()
        status = wiki.massmessage.status(send_id)
    assert status is not None and status.delivered == TARGETS and status.status == "done"
    assert len(rows) == TARGETS
    counts = {r.dbkey: r.text.count(f"== {SUBJECT} ==") for r in rows}
    assert {n for n in counts.values()} == {1}
