"""index.php against a live server: URLs, one session for web and API, page views, history and
raw text, user scripts, logout, security headers, and hostile input shown escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.live import LiveServer
from tests.web.support import (
    api_edit,
    api_get,
    api_login,
    box_messages,
    create_users,
    hidden_value,
    page_url,
    running_server,
    web_login,
)

pytestmark = pytest.mark.live
PASSWORD = "web-pages-pass"
XSS = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from running_server(
        tmp_path_factory,
        "web-pages",
        {"site": {"allow_user_js": True, "max_body_bytes": 65536}},
        lambda live: create_users(live, PASSWORD, ("Alice", "Bob")),
    )


def userinfo(server: LiveServer, session: requests.Session) -> dict[str, Any]:
    """meta=userinfo (format version 1) for the session."""
    answer = api_get(server, session, action="query", meta="userinfo", formatversion=None)
    return dict(answer["query"]["userinfo"])


def config_of(page: str) -> dict[str, Any]:
    import json

    match = re.search(r'<script type="application/json" id="mw-config-data">(.*?)</script>', page, re.S)
    assert match is not None
    return dict(json.loads(match.group(1)))


def test_short_urls_and_the_root_reach_the_same_pages(server: LiveServer) -> None:
    root = requests.get(server.base_url + "/", allow_redirects=False)
    assert root.status_code == 301 and root.headers["location"].endswith("/w/index.php/Main_Page")
    for url in (
        page_url(server, "User:Bob"),
        f"{server.base_url}/wiki/User:Bob",
        f"{server.base_url}/w/index.php?title=User:Bob",
    ):
        page = requests.get(url)
        assert page.status_code == 404  # no text yet, as MediaWiki answers a missing page
        assert config_of(page.text)["wgPageName"] == "User:Bob"
        assert "There is currently no text in this page." in page.text


def test_a_web_login_is_an_api_login_and_the_other_way_round(server: LiveServer) -> None:
    web = web_login(server, "Alice", PASSWORD)
    assert userinfo(server, web)["name"] == "Alice"
    cookie = next(c for c in web.cookies if c.name.endswith("_session"))
    assert cookie.has_nonstandard_attr("HttpOnly")
    by_api = api_login(server, "Bob", PASSWORD)
    page = by_api.get(page_url(server, "Main Page"))
    settings = config_of(page.text)
    assert settings["wgUserName"] == "Bob" and settings["wgUserId"] > 0
    assert "user" in settings["wgUserGroups"]
    assert 'id="pt-logout"' in page.text and 'id="pt-login"' not in page.text


def test_wrong_password_and_bad_login_token_are_refused(server: LiveServer) -> None:
    session = requests.Session()
    form = session.get(page_url(server, "Special:UserLogin")).text
    wrong = session.post(
        page_url(server, "Special:UserLogin"),
        data={"wpName": "Alice", "wpPassword": "nope", "wpLoginToken": hidden_value(form, "wpLoginToken")},
    )
    assert box_messages(wrong.text) == ["Incorrect username or password entered. Please try again."]
    forged = requests.post(
        page_url(server, "Special:UserLogin"),
        data={"wpName": "Alice", "wpPassword": PASSWORD, "wpLoginToken": hidden_value(form, "wpLoginToken")},
    )
    assert "problem with your login session" in box_messages(forged.text)[0]
    assert config_of(forged.text)["wgUserName"] is None


def test_pages_are_rendered_with_history_and_raw_text(server: LiveServer) -> None:
    alice = web_login(server, "Alice", PASSWORD)
    old_text = "== Greeting ==\nHello '''world''' [[User:Bob|Bob]]."
    new_text = "== Greeting ==\nHello '''again''' [[User:Bob|Bob]] [[Nowhere]]."
    api_edit(server, alice, "Web demo", old_text, formatversion=None)
    api_edit(server, alice, "Web demo", new_text, formatversion=None)
    page = requests.get(page_url(server, "Web demo"))
    assert page.status_code == 200
    assert re.search(r'<h2><span class="mw-headline" id="Greeting">Greeting</span></h2>', page.text)
    assert "Hello <b>again</b>" in page.text
    assert 'class="new"' in page.text  # [[Nowhere]] is a red link
    settings = config_of(page.text)
    assert settings["wgArticleId"] > 0 and settings["wgCurRevisionId"] > 0
    history = requests.get(page_url(server, "Web demo"), params={"action": "history"})
    assert history.text.count("data-mw-revid=") == 2
    old = re.findall(r'data-mw-revid="(\d+)"', history.text)[-1]
    first = requests.get(f"{server.base_url}/w/index.php", params={"title": "Web demo", "oldid": old})
    assert "Hello <b>world</b>" in first.text
    raw = requests.get(f"{server.base_url}/w/index.php", params={"title": "Web demo", "action": "raw"})
    assert raw.text.startswith("== Greeting ==") and raw.headers["content-type"].startswith("text/x-wiki")
    # ctype is honoured only for pages of that content model: no wikitext page runs as a script.
    as_script = requests.get(
        f"{server.base_url}/w/index.php",
        params={"title": "Web demo", "action": "raw", "ctype": "text/javascript"},
    )
    assert as_script.headers["content-type"].startswith("text/x-wiki")


def test_hostile_page_text_and_titles_are_escaped(server: LiveServer) -> None:
    alice = web_login(server, "Alice", PASSWORD)
    hostile = f"{XSS}\n<img src=x onerror=alert(1)>\n[javascript:alert(1) click]"
    api_edit(server, alice, "Hostile", hostile, formatversion=None)
    page = requests.get(page_url(server, "Hostile")).text
    assert XSS not in page and "<img" not in page.split('id="mw-content-text"')[1]
    assert "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
    bad = requests.get(f"{server.base_url}/w/index.php", params={"title": f"A{XSS}"})
    assert bad.status_code == 400 and XSS not in bad.text


def test_user_scripts_run_only_when_allowed_and_only_as_javascript_pages(server: LiveServer) -> None:
    alice = web_login(server, "Alice", PASSWORD)
    code = "window.aliceScript = mw.config.get('wgUserName');"
    api_edit(server, alice, "User:Alice/common.js", code, formatversion=None)
    page = alice.get(page_url(server, "Main Page")).text
    match = re.search(r'<script src="([^"]*User:Alice/common\.js[^"]*)"></script>', page)
    assert match is not None
    script = alice.get(server.base_url + match.group(1).replace("&amp;", "&"))
    assert script.headers["content-type"].startswith("text/javascript")
    assert "window.aliceScript" in script.text
    anonymous = requests.get(page_url(server, "Main Page")).text
    assert "common.js" not in anonymous


def test_logout_needs_a_post_with_the_session_token(server: LiveServer) -> None:
    alice = web_login(server, "Alice", PASSWORD)
    form = alice.get(page_url(server, "Special:UserLogout")).text
    assert userinfo(server, alice)["name"] == "Alice"
    forged = alice.post(page_url(server, "Special:UserLogout"), data={"wpEditToken": "0" * 32 + "+\\"})
    assert "problem with your login session" in box_messages(forged.text)[0]
    assert userinfo(server, alice)["name"] == "Alice"
    done = alice.post(
        page_url(server, "Special:UserLogout"),
        data={"wpEditToken": hidden_value(form, "wpEditToken")},
        allow_redirects=False,
    )
    assert done.status_code == 302
    assert "anon" in userinfo(server, alice)


def test_pages_send_security_headers_and_refuse_unknown_things_clearly(server: LiveServer) -> None:
    page = requests.get(page_url(server, "Special:UserLogin"))
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "SameSite=Lax" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    assert requests.get(page_url(server, "Special:NoSuchPage")).status_code == 404
    unknown = requests.get(page_url(server, "Main Page"), params={"action": "frobnicate"})
    assert unknown.status_code == 400 and "not recognized" in unknown.text
    login_first = requests.get(page_url(server, "Special:EmailUser/Bob"))
    assert login_first.status_code == 401 and "Please log in" in login_first.text
    huge = requests.post(
        page_url(server, "Special:UserLogin"),
        data={"wpName": "x" * 100_000},
    )
    assert huge.status_code == 413
