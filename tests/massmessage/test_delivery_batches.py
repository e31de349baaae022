"""Edits MassMessage makes: several sends delivered in one batch build on each other on a page;
list edits count against the edit rate limit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from tests.emailuser.helpers import setup_users
from tests.massmessage.anchor import save_as
from wikipost.app import build_app
from wikipost.db.schema.pages import recentchanges, revisions
from wikipost.services.massmessage import SendRequest
from wikipost.wiki import Wiki

LIST = '{"description": "t", "targets": [{"title": "User talk:Bob"}, {"title": "User talk:Carol"}]}'


def test_deliveries_of_several_sends_to_one_page_chain_their_revisions(wiki: Wiki) -> None:
    users = setup_users(wiki)
    admin = wiki.users.actor_for(users.admin)
    save_as(wiki, admin, "User talk:Bob", "Existing.")
    save_as(wiki, admin, "Batch list", LIST, model="MassMessageListContent")
    for n in (1, 2, 3):  # all queued before any runs: their deliveries share batches
        wiki.massmessage.submit(admin, SendRequest("Batch list", f"News {n}", "Hi.", None))
    wiki.background().drain()
    with wiki.db.read() as conn:
        for title in ("User talk:Bob", "User talk:Carol"):
            page = wiki.pages.get_page(conn, wiki.titles.parse(title))
            assert page is not None
            revs = conn.execute(
                select(revisions.c.id, revisions.c.parent_id, revisions.c.size)
                .where(revisions.c.page_id == page.id)
                .order_by(revisions.c.id)
            ).all()
            expected_parents = [0] + [r.id for r in revs[:-1]]
            assert [r.parent_id for r in revs] == expected_parents, title
            changes = conn.execute(
                select(
                    recentchanges.c.old_rev_id,
                    recentchanges.c.old_len,
                    recentchanges.c.new_len,
                    recentchanges.c.type,
                )
                .where(recentchanges.c.page_id == page.id)
                .order_by(recentchanges.c.id)
            ).all()
            assert [c.old_rev_id for c in changes] == expected_parents, title
            assert [c.old_len for c in changes] == [0] + [r.size for r in revs[:-1]], title
            assert [c.type for c in changes].count("new") == 1, title
            text = wiki.pages.get_text(conn, page)
            assert [text.count(f"== News {n} ==") for n in (1, 2, 3)] == [1, 1, 1]


def test_editmassmessagelist_edits_count_against_the_edit_rate_limit(make_wiki: Any) -> None:
    wiki = make_wiki(ratelimits={"edit": {"ip": [2, 3600], "newbie": [2, 3600], "user": [90, 60]}})
    users = setup_users(wiki)
    save_as(wiki, wiki.users.actor_for(users.admin), "Batch list", LIST, model="MassMessageListContent")
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:

        def edit_list(**change: str) -> Any:
            return client.post(
                "/w/api.php",
                data={
                    "action": "editmassmessagelist",
                    "spamlist": "Batch list",
                    "token": "+\\",
                    "format": "json",
                    **change,
                },
            ).json()

        assert edit_list(add="User talk:Dave")["editmassmessagelist"]["result"] == "Success"
        # Nothing to change: no edit, so nothing counted (massmessage.md §9.2 step 5).
        assert edit_list(add="User talk:Dave")["editmassmessagelist"]["added"] == []
        assert edit_list(remove="User talk:Dave")["editmassmessagelist"]["result"] == "Success"
        limited = edit_list(add="User talk:Erin")
        assert limited["error"]["code"] == "ratelimited"
        assert "User talk:Erin" not in wiki_list_text(wiki)


def wiki_list_text(wiki: Wiki) -> str:
    with wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, wiki.titles.parse("Batch list"))
        assert page is not None
        return wiki.pages.get_text(conn, page)
