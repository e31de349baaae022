"""Special:Log: MediaWiki's log lines for mass-message and block entries, the type/user/page
filters, offset/limit paging, the same entries as list=logevents, the link from a send's log
entry to its status page (by the recorded log id, never guessed), and hostile text escaped."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from tests.emailuser.helpers import API, setup_users
from tests.massmessage.anchor import save_as
from wikipost.db.schema.massmessage import massmessage_sends
from wikipost.namespaces import USER
from wikipost.services.massmessage import SendRequest
from wikipost.wiki import Wiki

XSS = "<script>alert('log')</script>"
LIST = '{"description": "d", "targets": [{"title": "User:Bob"}, {"title": "User:Nobody here"}]}'


@pytest.fixture
def send_id(wiki: Wiki) -> int:
    """A delivered send (one delivery, one skip) and three block entries; the send's id."""
    users = setup_users(wiki)
    admin = wiki.users.actor_for(users.admin)
    save_as(wiki, admin, "Log list", LIST, model="MassMessageListContent")
    send, _ = wiki.massmessage.submit(admin, SendRequest("Log list", XSS, "Hi ~~~~", None))
    wiki.background().drain()
    mallory = wiki.titles.make(USER, "Mallory")
    with wiki.db.write() as conn:  # block entries as the block service writes them (1.39's params)
        for action, params in (
            ("block", {"duration": "1 week", "flags": ["nocreate", "noemail"], "sitewide": True}),
            ("reblock", {"duration": "infinity", "flags": [], "sitewide": True}),
            ("unblock", {}),
        ):
            wiki.pages.logs.log(
                conn, type="block", action=action, actor=admin, title=mallory, comment=XSS, params=params
            )
    return send


def lines(page: str) -> list[tuple[str, str]]:
    """(action, text) of each log line, the text without tags and unescaped."""
    out = []
    for action, body in re.findall(r'data-mw-logaction="([^"]+)"[^>]*>(.*?)</li>', page, re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", body))
        out.append((action, " ".join(text.split())))
    return out


def log_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-mw-logid="(\d+)"', page)]


def get(client: TestClient, **params: str) -> str:
    answer = client.get("/w/index.php", params={"title": "Special:Log", **params})
    assert answer.status_code == 200
    assert "<script>alert" not in answer.text
    return answer.text


def test_massmessage_lines_link_the_send_to_its_status_page(client: TestClient, send_id: int) -> None:
    page = client.get("/w/index.php/Special:Log/massmessage").text
    assert "<script>alert" not in page and "<h1" in page and ">Mass message log</h1>" in page
    texts = [(a, re.sub(r"^\d\d:\d\d, \d+ \w+ \d{4} ", "", t)) for a, t in lines(page)]
    assert texts == [
        (
            "massmessage/skipnouser",
            f'Delivery of "{XSS}" to User talk:Nobody here was skipped because the user account does '
            "not exist",
        ),
        ("massmessage/send", f"Admin sent a message to Log list ({XSS}) (delivery status)"),
    ]
    assert f'href="/w/index.php/Special:MassMessageStatus/{send_id}"' in page
    assert re.search(r'<a href="/w/index.php\?title=Log_list&amp;oldid=\d+">Log list</a>', page)


def test_a_send_without_a_recorded_log_id_gets_no_status_link(
    client: TestClient, send_id: int, wiki: Wiki
) -> None:
    with wiki.db.write() as conn:  # a send made before migration 0006 recorded log ids
        conn.execute(update(massmessage_sends).values(log_id=None))
    page = get(client, type="massmessage")
    assert "Special:MassMessageStatus" not in page and "sent a message to" in page


def test_block_lines_read_like_mediawikis(client: TestClient, send_id: int) -> None:
    page = get(client, type="block")
    assert ">Block log</h1>" in page
    texts = [(a, re.sub(r"^\d\d:\d\d, \d+ \w+ \d{4} ", "", t)) for a, t in lines(page)]
    assert texts == [
        ("block/unblock", f"Admin unblocked Mallory ({XSS})"),
        (
            "block/reblock",
            f"Admin changed block settings for Mallory with an expiration time of infinite ({XSS})",
        ),
        (
            "block/block",
            "Admin blocked Mallory with an expiration time of 1 week (account creation disabled, email "
            f"disabled) ({XSS})",
        ),
    ]
    assert '<a href="/w/index.php/User:Mallory" class="mw-userlink">Mallory</a>' in page


def test_filters_and_the_same_entries_as_list_logevents(client: TestClient, send_id: int) -> None:
    for params, api_params in (
        ({}, {}),
        ({"type": "massmessage"}, {"letype": "massmessage"}),
        ({"user": "Admin"}, {"leuser": "Admin"}),
        ({"page": "User:Mallory"}, {"letitle": "User:Mallory"}),
        ({"type": "block", "user": "admin"}, {"letype": "block", "leuser": "Admin"}),  # names as typed
    ):
        query = {"action": "query", "list": "logevents", "lelimit": "500", "format": "json", **api_params}
        expected = [e["logid"] for e in client.get(API, params=query).json()["query"]["logevents"]]
        assert log_ids(get(client, **params)) == expected, params
        assert expected, params
    by_bot = get(client, user="MediaWiki message delivery")
    # The deliveries that created talk pages are logged as creations, as every page creation is.
    assert {a for a, _ in lines(by_bot)} == {"create/create", "massmessage/skipnouser"}
    assert lines(get(client, user="Nobody at all")) == []
    assert "No matching items in log." in get(client, user="Nobody at all")
    assert log_ids(client.get("/w/index.php/Special:Log/Admin").text) == log_ids(get(client, user="Admin"))
    bad = get(client, page="Bad[title]")
    assert '"Bad[title]" is not a valid page title.' in html.unescape(bad) and lines(bad) == []


def test_offset_and_limit_page_through_the_log(client: TestClient, send_id: int) -> None:
    everything = log_ids(get(client))
    assert len(everything) >= 5 and everything == sorted(everything, reverse=True)
    first = get(client, limit="2")
    assert log_ids(first) == everything[:2]
    older = re.search(r'<a href="([^"]+)" rel="next"', first)
    assert older is not None
    second = client.get(html.unescape(older.group(1))).text
    assert log_ids(second) == everything[2:4]
    newer = re.search(r'<a href="([^"]+)" rel="prev"', second)
    assert newer is not None and "dir=prev" in newer.group(1)
    assert log_ids(client.get(html.unescape(newer.group(1))).text) == everything[:2]
    assert 'rel="prev"' not in first  # the newest page has nothing newer
    assert 'name="limit" value="500"' in get(client, limit="100000")  # at most 500
    assert 'name="limit" value="50"' in get(client, limit="many")
    assert log_ids(get(client, offset="garbage")) == everything  # a bad offset: the newest page
