"""Cancelling a mass-message send: deliveries not yet made are never made (those made stay, one
section each), the send says ``cancelled`` everywhere, the worker honours the cancel in its own
transactions, and only the sender or an administrator may cancel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.emailuser.helpers import API, setup_users
from tests.massmessage.anchor import save_as
from wikipost.actor import Actor
from wikipost.app import build_app
from wikipost.cli.main import app as cli_app
from wikipost.db import Database
from wikipost.db.migrate import SCHEMA_HEAD, upgrade
from wikipost.db.schema.massmessage import massmessage_sends, massmessage_targets
from wikipost.db.schema.pages import revisions
from wikipost.services import massmessage_delivery
from wikipost.services.massmessage import CancelError, SendRequest, SendStatus
from wikipost.services.massmessage_delivery import finish_if_settled
from wikipost.wiki import Wiki


def make_list(wiki: Wiki, admin: Actor, n: int, name: str = "Cancel list") -> list[str]:
    titles = [f"Talk:Cancel target {i}" for i in range(n)]
    targets = ", ".join(f'{{"title": "{t}"}}' for t in titles)
    save_as(
        wiki, admin, name, f'{{"description": "d", "targets": [{targets}]}}', model="MassMessageListContent"
    )
    return titles


def admin_actor(wiki: Wiki) -> Actor:
    user = wiki.users.get_by_name("Admin")
    assert user is not None
    return wiki.users.actor_for(user)


def sections(wiki: Wiki, title: str, heading: str) -> int | None:
    """How often the section ``heading`` is on the page; None when the page does not exist."""
    with wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, wiki.titles.parse(title))
        return None if page is None else wiki.pages.get_text(conn, page).count(f"== {heading} ==")


def stored_statuses(wiki: Wiki, send_id: int) -> dict[str, int]:
    with wiki.db.read() as conn:
        rows = conn.execute(
            select(massmessage_targets.c.status, func.count())
            .where(massmessage_targets.c.send_id == send_id)
            .group_by(massmessage_targets.c.status)
        )
        return {status: int(n) for status, n in rows}


@pytest.fixture
def wiki(make_wiki: Callable[..., Wiki], any_store: str) -> Wiki:
    """Every test here runs on SQLite and on PostgreSQL (where workers run concurrently), on the
    table queue, which these tests run step by step (``run_once``); a cancel on procrastinate's
    queue is in tests/jobs/test_procrastinate_delivery.py."""
    return make_wiki(backend=any_store, jobs={"backend": "table"})


@pytest.fixture
def admin(wiki: Wiki) -> Actor:
    setup_users(wiki)
    return admin_actor(wiki)


def test_a_send_cancelled_before_delivery_delivers_nothing(wiki: Wiki, admin: Actor) -> None:
    titles = make_list(wiki, admin, 12)
    send_id, count = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Stop me", "Hi.", None))
    assert count == 12
    status = wiki.massmessage.cancel(send_id, admin)
    assert (status.status, status.pending, status.cancelled, status.delivered) == ("cancelled", 0, 12, 0)
    assert status.finished_at is not None and status.cancelled_by == "Admin"
    wiki.background().drain()
    assert all(sections(wiki, t, "Stop me") is None for t in titles)
    assert stored_statuses(wiki, send_id) == {"cancelled": 12}  # the fan-out settled them
    assert wiki.massmessage.status(send_id) == status


def test_a_cancel_midway_keeps_what_was_delivered_and_stops_the_rest(
    wiki: Wiki, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(massmessage_delivery, "FANOUT_BATCH", 10)
    titles = make_list(wiki, admin, 30)
    send_id, _ = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Midway", "Hi.", None))
    assert wiki.jobs.run_once(1) == 1  # the first fan-out: 10 delivery jobs, then the next fan-out
    assert wiki.jobs.run_once(4) == 4  # four deliveries
    before = wiki.massmessage.status(send_id)
    assert before is not None and (before.status, before.delivered, before.pending) == ("delivering", 4, 26)
    wiki.massmessage.cancel(send_id, admin)
    wiki.background().drain()  # 6 queued deliveries and the next fan-out: all settle as cancelled
    status = wiki.massmessage.status(send_id)
    assert status is not None
    assert (status.status, status.delivered, status.cancelled, status.pending) == ("cancelled", 4, 26, 0)
    delivered = [t for t in titles if sections(wiki, t, "Midway") is not None]
    assert len(delivered) == 4 and all(sections(wiki, t, "Midway") == 1 for t in delivered)
    assert stored_statuses(wiki, send_id) == {"delivered": 4, "cancelled": 26}
    with wiki.db.read() as conn:
        fanned = conn.execute(select(massmessage_sends.c.fanned_out).where(massmessage_sends.c.id == send_id))
        assert fanned.scalar() == 10  # the fan-out stopped at the cancel


def test_a_delivery_job_that_claims_after_the_cancel_commits_skips(wiki: Wiki, admin: Actor) -> None:
    titles = make_list(wiki, admin, 5)
    send_id, _ = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Late", "Hi.", None))
    wiki.jobs.run_once(1)  # fan-out only: five delivery jobs wait in the queue
    wiki.massmessage.cancel(send_id, admin)
    with wiki.db.read() as conn:
        edits_before = conn.execute(select(func.count()).select_from(revisions)).scalar()
    assert wiki.jobs.run_once(10) == 5
    with wiki.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(revisions)).scalar() == edits_before
    assert all(sections(wiki, t, "Late") is None for t in titles)
    assert stored_statuses(wiki, send_id) == {"cancelled": 5}


def test_a_finished_or_cancelled_or_missing_send_cannot_be_cancelled(wiki: Wiki, admin: Actor) -> None:
    make_list(wiki, admin, 2)
    done_id, _ = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Done", "Hi.", None))
    wiki.background().drain()
    with pytest.raises(CancelError) as finished:
        wiki.massmessage.cancel(done_id, admin)
    assert finished.value.code == "finished" and "already finished" in finished.value.text
    status = wiki.massmessage.status(done_id)
    assert status is not None and (status.status, status.delivered, status.cancelled) == ("done", 2, 0)
    other_id, _ = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Twice", "Hi.", None))
    wiki.massmessage.cancel(other_id, None)
    with pytest.raises(CancelError) as twice:
        wiki.massmessage.cancel(other_id, admin)
    assert twice.value.code == "alreadycancelled"
    status = wiki.massmessage.status(other_id)
    assert status is not None and status.cancelled_by == ""  # the command line's cancel stands
    with pytest.raises(CancelError) as missing:
        wiki.massmessage.cancel(99999, admin)
    assert missing.value.code == "nosuchsend"


def test_only_the_sender_or_an_administrator_may_cancel(wiki: Wiki, admin: Actor) -> None:
    users = wiki.users
    make_list(wiki, admin, 3)
    # A sender who may send mass messages without being an administrator.
    sender = replace(users.actor_for(users.get_by_name("Bob")), rights=frozenset({"massmessage"}))  # type: ignore[arg-type]
    mm_only = replace(users.actor_for(users.get_by_name("Alice")), rights=frozenset({"massmessage"}))  # type: ignore[arg-type]
    plain = users.actor_for(users.get_by_name("Carol"))  # type: ignore[arg-type]
    anon = Actor(0, "127.0.0.1")
    send_id, _ = wiki.massmessage.submit(sender, SendRequest("Cancel list", "Bob's news", "Hi.", None))
    for refused in (mm_only, plain, anon):
        status = wiki.massmessage.status(send_id)
        assert status is not None and not wiki.massmessage.may_cancel(refused, status)
        with pytest.raises(CancelError) as err:
            wiki.massmessage.cancel(send_id, refused)
        assert err.value.code == "permissiondenied"
        assert wiki.massmessage.status(send_id).status == "queued"  # type: ignore[union-attr]
    status = wiki.massmessage.status(send_id)
    assert status is not None
    assert wiki.massmessage.may_cancel(sender, status) and wiki.massmessage.may_cancel(admin, status)
    assert wiki.massmessage.cancel(send_id, sender).status == "cancelled"
    second, _ = wiki.massmessage.submit(sender, SendRequest("Cancel list", "Again", "Hi.", None))
    assert wiki.massmessage.cancel(second, admin).cancelled_by == "Admin"  # a sysop: massmessage + block


def test_a_late_finish_does_not_turn_a_cancel_into_done(wiki: Wiki, admin: Actor) -> None:
    make_list(wiki, admin, 2)
    send_id, _ = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Race", "Hi.", None))
    wiki.massmessage.cancel(send_id, admin)
    with wiki.db.write() as conn:  # what a batch that read the send before the cancel would do
        conn.execute(
            massmessage_targets.update()
            .where(massmessage_targets.c.send_id == send_id)
            .values(status="delivered")
        )
        conn.execute(massmessage_sends.update().where(massmessage_sends.c.id == send_id).values(fanned_out=2))
        finish_if_settled(conn, send_id, wiki.clock.now())
    status = wiki.massmessage.status(send_id)
    assert status is not None and status.status == "cancelled"


def test_status_module_and_cli_report_the_cancel(wiki: Wiki, admin: Actor) -> None:
    make_list(wiki, admin, 4)
    send_id, _ = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Module", "Hi.", None))
    wiki.massmessage.cancel(send_id, admin)
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        params = {"action": "query", "list": "massmessagestatus", "mmsids": str(send_id), "format": "json"}
        (send,) = client.get(API, params={**params, "formatversion": "2"}).json()["query"][
            "massmessagestatus"
        ]
    assert (send["status"], send["queued"], send["delivered"], send["cancelled"]) == ("cancelled", 0, 0, 4)
    assert "finished" in send
    runner = CliRunner(env={"WIKIPOST_DATABASE_URL": wiki.settings.database_url})
    base = ["--data-dir", str(wiki.settings.data_dir)]
    other_id, _ = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Shell", "Hi.", None))
    result = runner.invoke(cli_app, [*base, "massmessage", "cancel", str(other_id)])
    assert result.exit_code == 0, result.output
    assert "cancelled: 4 targets" in result.output and "4 cancelled" in result.output
    assert "cancelled by the command line" in result.output
    again = runner.invoke(cli_app, [*base, "massmessage", "cancel", str(other_id)])
    assert again.exit_code == 1 and "already been cancelled" in again.output
    status = runner.invoke(cli_app, [*base, "massmessage", "status", str(send_id)])
    assert status.exit_code == 0 and "cancelled: 4 targets, 0 queued" in status.output


def test_cancel_while_the_worker_delivers(wiki: Wiki, admin: Actor) -> None:
    """A worker thread drains while the send is cancelled: every target ends delivered (one
    section) or cancelled, nothing is delivered after the cancel, and the send is cancelled."""
    titles = make_list(wiki, admin, 60)
    send_id, _ = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Racing", "Hi.", None))
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            if not wiki.jobs.run_once(3):  # one batch of three deliveries at a time
                time.sleep(0.001)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while current(wiki, send_id).delivered < 3:
            assert time.monotonic() < deadline, "the worker delivered nothing"
            time.sleep(0.001)
        cancelled = wiki.massmessage.cancel(send_id, admin)
        at_cancel = cancelled.delivered
    finally:
        stop.set()
        worker.join()
    wiki.background().drain()
    status = wiki.massmessage.status(send_id)
    assert status is not None and status.status == "cancelled"
    # Not one delivery started after the cancel committed. On SQLite writers take turns, so
    # none can be in flight; on PostgreSQL the one batch (3 jobs) that had already read the
    # send before the cancel committed may still finish.
    in_flight = 0 if wiki.db.is_sqlite else 3
    assert at_cancel <= status.delivered <= at_cancel + in_flight < 60
    assert status.delivered + status.cancelled == 60 and status.pending == 0
    present = [sections(wiki, t, "Racing") for t in titles]
    assert sum(1 for n in present if n is not None) == status.delivered
    assert all(n in (None, 1) for n in present)


def current(wiki: Wiki, send_id: int) -> SendStatus:
    status = wiki.massmessage.status(send_id)
    assert status is not None
    return status


def test_submit_records_the_send_log_entry(wiki: Wiki, admin: Actor) -> None:
    make_list(wiki, admin, 1)
    send_id, _ = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Logged", "Hi.", None))
    status = wiki.massmessage.status(send_id)
    assert status is not None and status.log_id is not None
    assert wiki.massmessage.sends_for_log_entries([status.log_id, 123456]) == {status.log_id: send_id}
    with wiki.db.read() as conn:
        from wikipost.db.schema.pages import logging

        entry = conn.execute(select(logging).where(logging.c.id == status.log_id)).one()
    assert (entry.type, entry.action, entry.comment) == ("massmessage", "send", "Logged")


def test_migration_0006_adds_the_columns_to_a_store_made_before_it(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    try:
        upgrade(db)
        with db.engine.begin() as conn:  # back to the shape 0004 gave the table before 0006
            conn.execute(text("DROP INDEX ix_massmessage_sends_log_id"))
            conn.execute(text("ALTER TABLE massmessage_sends DROP COLUMN log_id"))
            conn.execute(text("ALTER TABLE massmessage_sends DROP COLUMN cancelled_by"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        upgrade(db)
        inspector = inspect(db.engine)
        columns = {c["name"] for c in inspector.get_columns("massmessage_sends")}
        assert {"log_id", "cancelled_by"} <= columns
        assert "ix_massmessage_sends_log_id" in {
            i["name"] for i in inspector.get_indexes("massmessage_sends")
        }
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
    finally:
        db.dispose()
