"""Delivery: never twice (D4), skip and failure records, list=massmessagestatus and the CLI."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.emailuser.helpers import API, setup_users
from tests.massmessage.anchor import save_as
from wikipost.app import build_app
from wikipost.cli.main import app as cli_app
from wikipost.db.schema.massmessage import massmessage_targets
from wikipost.db.schema.pages import revisions
from wikipost.services.massmessage import DELIVER_JOB, SendRequest
from wikipost.wiki import Wiki

LIST = (
    '{"description": "t", "targets": [{"title": "User:Bob"}, {"title": "Talk:Alpha"}, '
    '{"title": "User talk:Nobody here"}, {"title": "Alpha"}, {"title": "User talk:Erin"}, '
    '{"title": "Project:Locked"}]}'
)


def _setup(wiki: Wiki) -> Any:
    users = setup_users(wiki)
    admin = wiki.users.actor_for(users.admin)
    save_as(wiki, admin, "User talk:Erin", "No thanks.\n[[Category:Opted-out of message delivery]]")
    save_as(wiki, admin, "Project:Locked", "Locked page.")
    save_as(wiki, admin, "Delivery list", LIST, model="MassMessageListContent")
    page_id = _page_id(wiki, "Project:Locked")
    with wiki.db.write() as conn:
        from wikipost.db.schema.pages import page_restrictions

        conn.execute(
            page_restrictions.insert().values(
                page_id=page_id, type="edit", level="sysop", expiry=None, cascade=False
            )
        )
    send_id, count = wiki.massmessage.submit(admin, SendRequest("Delivery list", "News", "Hi ~~~~", None))
    assert count == 6
    wiki.background().drain()
    return users, send_id


def _page_id(wiki: Wiki, title: str) -> int:
    with wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, wiki.titles.parse(title))
        assert page is not None
        return page.id


def _revisions(wiki: Wiki, title: str) -> list[str]:
    with wiki.db.read() as conn:
        return list(
            conn.execute(
                select(revisions.c.text)
                .where(revisions.c.page_id == _page_id(wiki, title))
                .order_by(revisions.c.id)
            ).scalars()
        )


def test_statuses_and_reasons(wiki: Wiki) -> None:
    _users, send_id = _setup(wiki)
    status = wiki.massmessage.status(send_id)
    assert status is not None
    assert (status.status, status.total, status.pending, status.delivered) == ("done", 6, 0, 2)
    assert status.skipped == {"skipnouser": 1, "skipbadns": 1, "skipoptout": 1}
    assert status.failed == {"protectedpage": 1}
    assert _revisions(wiki, "Project:Locked") == ["Locked page."]


def test_a_delivery_that_runs_twice_adds_one_section(wiki: Wiki) -> None:
    _users, send_id = _setup(wiki)
    before = _revisions(wiki, "User talk:Bob")
    assert len(before) == 1 and before[0].count("== News ==") == 1
    with wiki.db.read() as conn:
        target = conn.execute(
            select(massmessage_targets.c.id).where(massmessage_targets.c.title == "User talk:Bob")
        ).scalar()
    # The job again (a lost lease): the settled record stops it.
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, DELIVER_JOB, {"send": send_id, "target": target})
    wiki.background().drain()
    assert _revisions(wiki, "User talk:Bob") == before
    # Even with the record lost, MassMessage's own check (same section, same hidden comment).
    with wiki.db.write() as conn:
        conn.execute(
            update(massmessage_targets).where(massmessage_targets.c.id == target).values(status="pending")
        )
        wiki.jobs.enqueue(conn, DELIVER_JOB, {"send": send_id, "target": target})
    wiki.background().drain()
    assert _revisions(wiki, "User talk:Bob") == before
    # A new send of the same message is a new delivery.
    admin = wiki.users.actor_for(wiki.users.get_by_name("Admin"))  # type: ignore[arg-type]
    wiki.massmessage.submit(admin, SendRequest("Delivery list", "News 2", "Again", None))
    wiki.background().drain()
    assert _revisions(wiki, "User talk:Bob")[-1].count("== News 2 ==") == 1


def test_status_module_and_cli(wiki: Wiki) -> None:
    _users, send_id = _setup(wiki)
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        body = client.get(
            API,
            params={"action": "query", "list": "massmessagestatus", "format": "json", "formatversion": "2"},
        ).json()
    (send,) = body["query"]["massmessagestatus"]
    assert {
        k: send[k]
        for k in (
            "id",
            "sender",
            "spamlist",
            "subject",
            "status",
            "total",
            "queued",
            "delivered",
            "skipped",
            "failed",
        )
    } == {
        "id": send_id,
        "sender": "Admin",
        "spamlist": "Delivery list",
        "subject": "News",
        "status": "done",
        "total": 6,
        "queued": 0,
        "delivered": 2,
        "skipped": {"skipbadns": 1, "skipnouser": 1, "skipoptout": 1},
        "failed": {"protectedpage": 1},
    }
    result = CliRunner().invoke(
        cli_app,
        ["--data-dir", str(wiki.settings.data_dir), "massmessage", "status", str(send_id)],
        env={"WIKIPOST_DATABASE_URL": wiki.settings.database_url},
    )
    assert result.exit_code == 0, result.output
    assert "6 targets, 0 queued, 2 delivered, 3 skipped" in result.output
    assert "1 failed (protectedpage 1)" in result.output
