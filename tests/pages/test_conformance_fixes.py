"""Behaviour the 1.39 transcripts show: manual-revert tags, parsed "max" limits, fv1 XML pages."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

API = "/w/api.php"


def get(client: TestClient, **params: Any) -> Any:
    return client.get(API, params={"format": "json", **params}).json()


def anon_edit(client: TestClient, title: str, text: str) -> dict[str, Any]:
    answer = client.post(
        API, data={"action": "edit", "title": title, "text": text, "token": "+\\", "format": "json"}
    ).json()
    assert answer["edit"]["result"] == "Success", answer
    return dict(answer["edit"])


def revision_tags(client: TestClient, title: str) -> list[list[str]]:
    answer = get(
        client,
        action="query",
        prop="revisions",
        titles=title,
        rvprop="ids|tags",
        rvlimit="max",
        rvdir="newer",
        formatversion="2",
    )
    return [r["tags"] for r in answer["query"]["pages"][0]["revisions"]]


def test_restoring_an_earlier_revision_is_tagged_manual_revert(client: TestClient) -> None:
    for text in ("one", "two", "one", "three"):
        anon_edit(client, "Revert test", text)
    assert revision_tags(client, "Revert test") == [[], [], ["mw-manual-revert"], []]
    changes = get(
        client, action="query", list="recentchanges", rcprop="title|tags", rcdir="newer", formatversion="2"
    )["query"]["recentchanges"]
    assert [c["tags"] for c in changes if c["title"] == "Revert test"] == [[], [], ["mw-manual-revert"], []]


def test_limit_max_is_reported_before_a_list_and_after_pages(client: TestClient) -> None:
    anon_edit(client, "Limits test", "text")
    answer = get(client, action="query", list="logevents", lelimit="max")
    assert answer["limits"] == {"logevents": 500}
    assert list(answer).index("limits") < list(answer).index("query")
    with_content = get(
        client,
        action="query",
        prop="revisions",
        titles="Limits test",
        rvprop="content",
        rvslots="main",
        rvlimit="max",
    )
    assert with_content["limits"] == {"revisions": 50}
    assert list(with_content).index("query") < list(with_content).index("limits")
    missing = get(
        client,
        action="query",
        prop="revisions",
        titles="No such limits page",
        rvprop="content",
        rvslots="main",
        rvlimit="max",
    )
    assert missing["limits"] == {"revisions": 500}  # 1.39 returns early: the parameter's max
    assert "limits" not in get(client, action="query", list="logevents", lelimit="5")


def test_fv1_xml_pages_are_page_elements_with_idx(client: TestClient) -> None:
    edit = anon_edit(client, "Xml test", "body")
    text = client.get(
        API,
        params={
            "action": "query",
            "titles": "Xml test|Missing xml test",
            "prop": "revisions",
            "rvprop": "content",
            "rvslots": "main",
            "format": "xml",
        },
    ).text
    assert f'<page _idx="{edit["pageid"]}" pageid="{edit["pageid"]}" ns="0" title="Xml test">' in text
    assert '<page _idx="-1" ns="0" title="Missing xml test" missing="" />' in text
    assert (
        '<slot contentmodel="wikitext" contentformat="text/x-wiki" role="main" '
        'xml:space="preserve">body</slot>'
    ) in text
    namespaces = client.get(
        API, params={"action": "query", "meta": "siteinfo", "siprop": "namespaces", "format": "xml"}
    ).text
    assert '<namespaces><ns id="-2" case="first-letter"' in namespaces and "<-2" not in namespaces
