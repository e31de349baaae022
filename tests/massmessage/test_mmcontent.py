"""prop=mmcontent: a delivery list's description and targets, over HTTP."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from wikipost.wiki import Wiki

API = "/w/api.php"


def _page(wiki: Wiki, title: str, text: str, model: str | None = None) -> None:
    admin = wiki.users.get_by_name("Admin") or wiki.users.create("Admin", groups=("sysop",))
    with wiki.db.write() as conn:
        wiki.pages.save(
            conn,
            title=wiki.titles.parse(title),
            actor=wiki.users.actor_for(admin),
            text=text,
            summary="set up",
            content_model=model,
        )


def test_list_page_shows_description_and_targets(wiki: Wiki, client: TestClient) -> None:
    data = {"description": "Weekly news", "targets": [{"title": "User talk:Bob"}, {"title": "Main Page"}]}
    _page(wiki, "Spamlist", json.dumps(data), "MassMessageListContent")
    body = client.get(
        API,
        params={
            "action": "query",
            "prop": "mmcontent",
            "titles": "Spamlist",
            "format": "json",
            "formatversion": "2",
        },
    ).json()
    page = body["query"]["pages"][0]
    assert page["title"] == "Spamlist"
    assert page["mmcontent"]["description"] == "Weekly news"
    assert sorted(page["mmcontent"]["targets"]) == ["Main Page", "User talk:Bob"]


def test_a_wikitext_page_is_not_a_spamlist(wiki: Wiki, client: TestClient) -> None:
    _page(wiki, "Plain", "Just text.")
    r = client.get(API, params={"action": "query", "prop": "mmcontent", "titles": "Plain", "format": "json"})
    assert r.headers["mediawiki-api-error"] == "invalidspamlist"
    assert r.json()["error"]["info"] == "The specified spamlist is invalid."
