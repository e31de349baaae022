"""Special:CreateMassMessageList and the delivery-list page's forms against a live server.

Every change made through the pages is checked against what the API then reports
(``prop=mmcontent``, the stored revision and its summary), since the pages and
``action=editmassmessagelist`` share one service. Hostile input (bad or missing tokens, users
who may not edit, XSS payloads) is refused or shown escaped, and changes nothing.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from starlette.testclient import TestClient

from tests.live import LiveServer
from tests.support import make_settings, sqlite_store
from tests.web.support import (
    SESSION_FAILURE,
    api_edit,
    api_get,
    api_post,
    box_messages,
    client_login,
    create_users,
    csrf_token,
    hidden_value,
    page_url,
    running_server,
    web_login,
)
from wikipost.app import build_app
from wikipost.services.massmessage_lists import serialize_list
from wikipost.services.ratelimit import RATELIMITED_TEXT
from wikipost.wiki import build_wiki

pytestmark = pytest.mark.live
PASSWORD = "delivery-list-pass"
XSS = "<script>alert('x')</script>"
CREATE = "Special:CreateMassMessageList"
# Fresh accounts are "newbies" (8 edits a minute); these tests make more than that.
ROOMY_LIMITS = {"edit": {"ip": [1000, 60], "newbie": [1000, 60], "user": [1000, 60]}}
MEMBERS = ["Member one", "User talk:Member two"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from running_server(
        tmp_path_factory,
        "delivery-lists",
        {"ratelimits": ROOMY_LIMITS},
        lambda live: create_users(
            live, PASSWORD, ("Lister", "Visitor", "Keeper"), sysops=("Keeper",), email=False
        ),
    )


@pytest.fixture(scope="module")
def lister(server: LiveServer) -> requests.Session:
    session = web_login(server, "Lister", PASSWORD)
    for title in MEMBERS:
        api_edit(server, session, title, "Hello. [[Category:List recipients]]")
    api_edit(server, session, "Plain page", "No targets here.")
    return session


# --- helpers -------------------------------------------------------------------------------------


def mmcontent(server: LiveServer, title: str) -> dict[str, Any]:
    answer = api_get(server, requests.Session(), action="query", prop="mmcontent", titles=title)
    return dict(answer["query"]["pages"][0]["mmcontent"])


def latest_revision(server: LiveServer, title: str) -> dict[str, Any]:
    page = api_get(
        server,
        requests.Session(),
        action="query",
        prop="revisions",
        rvprop="ids|comment|content|contentmodel",
        rvslots="main",
        titles=title,
    )["query"]["pages"][0]
    rev = page["revisions"][0]
    return {"id": rev["revid"], "comment": rev["comment"], **rev["slots"]["main"]}


def exists(server: LiveServer, title: str) -> bool:
    page = api_get(server, requests.Session(), action="query", titles=title)["query"]["pages"][0]
    return "missing" not in page


def shown_targets(page: str) -> list[str]:
    """The targets of the list table, as the remove buttons would send them."""
    return [
        html.unescape(t) for t in re.findall(r'<tr class="mw-massmessage-target" data-target="([^"]*)"', page)
    ]


def create_list(
    server: LiveServer,
    session: requests.Session,
    title: str,
    description: str = "",
    content: str = "new",
    source: str = "",
    token: str | None = None,
) -> requests.Response:
    form = session.get(page_url(server, CREATE))
    assert form.status_code == 200
    data = {"wptitle": title, "wpdescription": description, "wpcontent": content, "wpsource": source}
    data["wpEditToken"] = hidden_value(form.text, "wpEditToken") if token is None else token
    return session.post(page_url(server, CREATE), data=data, allow_redirects=False)


def post_list(
    server: LiveServer,
    session: requests.Session,
    title: str,
    action: str,
    token: str | None = None,
    **fields: str,
) -> requests.Response:
    """Submit one of the list page's forms (``token=""`` leaves the token out)."""
    if token is None:
        token = hidden_value(session.get(page_url(server, title)).text, "wpEditToken")
    data = {"wpListAction": action, **fields}
    if token:
        data["wpEditToken"] = token
    answer = session.post(page_url(server, title), data=data)
    assert answer.status_code == 200
    return answer


def assert_escaped(page: str) -> None:
    assert "<script>alert" not in page
    assert 'onmouseover="alert' not in page


# --- Special:CreateMassMessageList ---------------------------------------------------------------


def test_the_form_has_massmessages_fields(server: LiveServer, lister: requests.Session) -> None:
    page = lister.get(page_url(server, CREATE)).text
    for name in ("wptitle", "wpdescription", "wpsource"):
        assert f'name="{name}" id="mw-input-{name}"' in page
    assert re.search(r'type="radio" name="wpcontent" id="[^"]+" value="new" checked', page)
    assert 'value="import"' in page
    assert hidden_value(page, "wpEditToken")


def test_creating_a_new_list_stores_the_1_39_json_and_redirects(
    server: LiveServer, lister: requests.Session
) -> None:
    description = "Monthly '''newsletter''' readers."
    answer = create_list(server, lister, "Newsletter list", description)
    assert answer.status_code == 302, box_messages(answer.text)
    assert answer.headers["location"].endswith("/w/index.php/Newsletter_list")
    rev = latest_revision(server, "Newsletter list")
    assert rev["contentmodel"] == "MassMessageListContent"
    assert rev["content"] == serialize_list({"description": description, "targets": []})
    assert rev["comment"] == "Create mass message delivery list"
    page = lister.get(page_url(server, "Newsletter list")).text
    assert "<b>newsletter</b>" in page
    assert "There are no pages in this list." in page
    assert shown_targets(page) == mmcontent(server, "Newsletter list")["targets"] == []


def test_importing_from_a_category_and_from_a_list(server: LiveServer, lister: requests.Session) -> None:
    answer = create_list(server, lister, "From category", "Cat", "import", "category:List recipients")
    assert answer.status_code == 302, box_messages(answer.text)
    rev = latest_revision(server, "From category")
    assert (
        rev["comment"] == "Create mass message delivery list with targets from [[Category:List recipients]]"
    )
    expected = {"description": "Cat", "targets": [{"title": t} for t in MEMBERS]}
    assert rev["content"] == serialize_list(expected)
    assert mmcontent(server, "From category")["targets"] == MEMBERS

    source_rev = rev["id"]
    answer = create_list(server, lister, "From list", "Copy", "import", "From category")
    assert answer.status_code == 302, box_messages(answer.text)
    rev = latest_revision(server, "From list")
    permalink = f"[[Special:Permalink/{source_rev}|From category]]"
    assert rev["comment"] == f"Create mass message delivery list with targets from {permalink}"
    assert rev["content"] == serialize_list({"description": "Copy", "targets": expected["targets"]})
    page = lister.get(page_url(server, "From list")).text
    assert shown_targets(page) == mmcontent(server, "From list")["targets"] == MEMBERS


@pytest.mark.parametrize(
    ("title", "content", "source", "message"),
    [
        ("", "new", "", "The specified title is invalid."),
        ("Bad [brackets]", "new", "", "The specified title is invalid."),
        ("Plain page", "new", "", "A page already exists with the specified title."),
        ("Special:Nope", "new", "", "You do not have permission to create a list with this title."),
        (
            "Never made 1",
            "import",
            "Plain page",
            "The specified source is not a valid delivery list or category with at least one page.",
        ),
        (
            "Never made 2",
            "import",
            "No such page",
            "The specified source is not a valid delivery list or category with at least one page.",
        ),
        (
            "Never made 3",
            "import",
            "Category:Nobody in here",
            "The specified source is not a valid delivery list or category with at least one page.",
        ),
        (
            "Never made 4",
            "import",
            "",
            "The specified source is not a valid delivery list or category with at least one page.",
        ),
    ],
)
def test_creation_errors_are_massmessages(
    server: LiveServer, lister: requests.Session, title: str, content: str, source: str, message: str
) -> None:
    answer = create_list(server, lister, title, "desc", content, source)
    assert answer.status_code == 200
    assert box_messages(answer.text) == [message]
    if title.startswith("Never made"):
        assert not exists(server, title)
    if title == "Plain page":
        assert latest_revision(server, "Plain page")["contentmodel"] == "wikitext"


def test_creating_needs_the_editcontentmodel_right(server: LiveServer) -> None:
    anonymous = requests.Session()
    form = anonymous.get(page_url(server, CREATE))
    assert form.status_code == 403
    assert 'name="wptitle"' not in form.text
    answer = anonymous.post(
        page_url(server, CREATE), data={"wptitle": "Anon list", "wpcontent": "new", "wpEditToken": "+\\"}
    )
    assert answer.status_code == 403
    assert not exists(server, "Anon list")


@pytest.mark.parametrize("token", ["", "0123456789abcdef+\\"])
def test_creating_with_a_bad_token_is_refused(
    server: LiveServer, lister: requests.Session, token: str
) -> None:
    form = lister.get(page_url(server, CREATE))
    data = {"wptitle": "Forged list", "wpdescription": XSS, "wpcontent": "new"}
    if token:
        data["wpEditToken"] = token
    answer = lister.post(page_url(server, CREATE), data=data, allow_redirects=False)
    assert answer.status_code == 200
    assert box_messages(answer.text) == [SESSION_FAILURE]
    assert hidden_value(answer.text, "wpEditToken") == hidden_value(form.text, "wpEditToken")
    assert not exists(server, "Forged list")
    assert_escaped(answer.text)


def test_the_create_form_shows_hostile_input_escaped(server: LiveServer, lister: requests.Session) -> None:
    answer = create_list(server, lister, XSS, XSS, "import", XSS)
    assert box_messages(answer.text) == ["The specified title is invalid."]
    assert "&lt;script&gt;alert(" in answer.text
    assert_escaped(answer.text)


# --- the list page -------------------------------------------------------------------------------


def test_adding_targets_with_massmessages_messages(server: LiveServer, lister: requests.Session) -> None:
    assert create_list(server, lister, "Add list").status_code == 302
    cases = [
        ("User talk:Visitor", "Added User talk:Visitor to the list."),
        (f"Project:Notices@127.0.0.1:{server.port}", "Added AnchorWiki:Notices to the list."),
        ("Bad [title]", "The title is invalid."),
        ("Somewhere@elsewhere.example", "The site is invalid."),
        ("Bad [title]@elsewhere.example", "The title and site are invalid."),
        ("user talk:visitor", "The page is already in the list."),
    ]
    for value, message in cases:
        answer = post_list(server, lister, "Add list", "add", wpAddTitle=value)
        assert box_messages(answer.text) == [message], value
        assert shown_targets(answer.text) == mmcontent(server, "Add list")["targets"]
        if not message.startswith("Added"):
            assert f'value="{html.escape(value)}"' in answer.text  # the box keeps what was typed
    assert mmcontent(server, "Add list")["targets"] == ["AnchorWiki:Notices", "User talk:Visitor"]
    assert latest_revision(server, "Add list")["comment"] == "Added [[:AnchorWiki:Notices]]"


def test_removing_a_target(server: LiveServer, lister: requests.Session) -> None:
    assert (
        create_list(server, lister, "Remove list", "", "import", "Category:List recipients").status_code
        == 302
    )
    page = lister.get(page_url(server, "Remove list")).text
    assert 'name="wpRemove" value="Member one"' in page
    token = hidden_value(page, "wpEditToken")
    answer = post_list(server, lister, "Remove list", "remove", token, wpRemove="Member one")
    assert box_messages(answer.text) == ["Removed Member one from the list."]
    assert (
        shown_targets(answer.text) == mmcontent(server, "Remove list")["targets"] == ["User talk:Member two"]
    )
    assert latest_revision(server, "Remove list")["comment"] == "Removed [[:Member one]]"
    # The same button again, from a page drawn before the removal.
    rev = latest_revision(server, "Remove list")["id"]
    again = post_list(server, lister, "Remove list", "remove", token, wpRemove="Member one")
    assert box_messages(again.text) == ["Removing the page failed with error code invalidremove."]
    assert latest_revision(server, "Remove list")["id"] == rev


def test_editing_the_description(server: LiveServer, lister: requests.Session) -> None:
    assert create_list(server, lister, "Described list", "Old text").status_code == 302
    answer = post_list(
        server, lister, "Described list", "description", wpDescription="New ''text''\r\nline two"
    )
    assert box_messages(answer.text) == ["Changed the description."]
    assert "<i>text</i>" in answer.text
    assert mmcontent(server, "Described list")["description"] == "New ''text''\nline two"
    assert latest_revision(server, "Described list")["comment"] == "Changed the description"
    rev = latest_revision(server, "Described list")["id"]
    same = post_list(server, lister, "Described list", "description", wpDescription="New ''text''\nline two")
    assert box_messages(same.text) == ["The description is unchanged."]
    assert latest_revision(server, "Described list")["id"] == rev


@pytest.mark.parametrize("token", ["", "0123456789abcdef+\\"])
def test_list_forms_refuse_a_bad_token(server: LiveServer, lister: requests.Session, token: str) -> None:
    title = f"Guarded list {len(token)}"
    assert create_list(server, lister, title, "", "import", "Category:List recipients").status_code == 302
    before = latest_revision(server, title)["id"]
    for action, fields in (
        ("add", {"wpAddTitle": "User talk:Lister"}),
        ("remove", {"wpRemove": "Member one"}),
        ("description", {"wpDescription": XSS}),
    ):
        answer = post_list(server, lister, title, action, token, **fields)
        assert box_messages(answer.text) == [SESSION_FAILURE], action
        assert_escaped(answer.text)
    assert latest_revision(server, title)["id"] == before
    assert mmcontent(server, title) == {"description": "", "targets": MEMBERS}


def test_a_user_who_may_not_edit_sees_the_list_read_only(
    server: LiveServer, lister: requests.Session
) -> None:
    title = "Protected list"
    assert create_list(server, lister, title, "", "import", "Category:List recipients").status_code == 302
    keeper = web_login(server, "Keeper", PASSWORD)
    token = csrf_token(server, keeper)
    protected = api_post(server, keeper, action="protect", title=title, protections="edit=sysop", token=token)
    assert "protect" in protected, protected
    before = latest_revision(server, title)["id"]

    visitor = web_login(server, "Visitor", PASSWORD)
    page = visitor.get(page_url(server, title)).text
    assert shown_targets(page) == MEMBERS
    for marker in (
        'id="mw-massmessage-addform"',
        'name="wpRemove"',
        'name="wpEditToken"',
        'name="wpDescription"',
    ):
        assert marker not in page
    assert "You do not have permission to edit the list." in page
    # A forged POST with the visitor's own valid token changes nothing either.
    own = csrf_token(server, visitor)
    for action, fields in (
        ("add", {"wpAddTitle": "User talk:Visitor"}),
        ("remove", {"wpRemove": "Member one"}),
    ):
        answer = post_list(server, visitor, title, action, own, **fields)
        assert box_messages(answer.text) == [
            "This page has been protected to prevent editing or other actions."
        ], action
    assert latest_revision(server, title)["id"] == before
    # The sysop still gets the forms.
    assert 'id="mw-massmessage-addform"' in keeper.get(page_url(server, title)).text


def test_hostile_description_and_titles_are_shown_escaped(
    server: LiveServer, lister: requests.Session
) -> None:
    title = "Hostile list"
    hostile_target = 'Quote" onmouseover="alert(1)'
    assert create_list(server, lister, title, XSS).status_code == 302
    answer = post_list(server, lister, title, "add", wpAddTitle=hostile_target)
    assert box_messages(answer.text) == [f"Added {hostile_target} to the list."]
    invalid = post_list(server, lister, title, "add", wpAddTitle=XSS)
    assert box_messages(invalid.text) == ["The title is invalid."]
    page = lister.get(page_url(server, title)).text
    content = mmcontent(server, title)
    assert content == {"description": XSS, "targets": [hostile_target]}
    assert shown_targets(page) == content["targets"]
    for text in (answer.text, invalid.text, page):
        assert_escaped(text)
    assert "&lt;script&gt;" in page


def test_the_list_page_script_is_served(server: LiveServer, lister: requests.Session) -> None:
    page = lister.get(page_url(server, "Newsletter list")).text
    assert '<script src="/w/static/delivery-list.js"></script>' in page
    script = requests.get(f"{server.base_url}/w/static/delivery-list.js")
    assert script.status_code == 200
    assert "editmassmessagelist" in script.text


# --- the rate limit, in process (a wiki of its own with a tight limit) ---------------------------


def test_page_edits_and_api_edits_share_the_edit_rate_limit(tmp_path: Path) -> None:
    from tests.anchorwiki import PASSWORDS, setup_anchorwiki

    limits = {"edit": {"ip": [2, 3600], "newbie": [2, 3600], "user": [2, 3600]}}
    settings = make_settings(tmp_path / "d", sqlite_store(tmp_path / "d", tmp_path), ratelimits=limits)
    wiki = build_wiki(settings)
    try:
        setup_anchorwiki(wiki)
        with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
            assert client_login(client, "Carol", PASSWORDS["Carol"]).status_code == 302
            token = hidden_value(client.get(f"/w/index.php/{CREATE}").text, "wpEditToken")
            made = client.post(
                f"/w/index.php/{CREATE}",
                data={"wptitle": "Tight list", "wpcontent": "new", "wpEditToken": token},
                follow_redirects=False,
            )
            assert made.status_code == 302  # edit 1
            add = {"wpListAction": "add", "wpAddTitle": "One", "wpEditToken": token}
            assert box_messages(client.post("/w/index.php/Tight_list", data=add).text) == [
                "Added One to the list."
            ]  # edit 2
            limited = client.post("/w/index.php/Tight_list", data={**add, "wpAddTitle": "Two"})
            assert box_messages(limited.text) == [RATELIMITED_TEXT]
            api = client.post(
                "/w/api.php",
                data={
                    "action": "editmassmessagelist",
                    "spamlist": "Tight list",
                    "add": "Three",
                    "token": token,
                    "format": "json",
                },
            ).json()
            assert api["error"]["code"] == "ratelimited"
            listed = client.get(
                "/w/api.php",
                params={"action": "query", "prop": "mmcontent", "titles": "Tight list", "format": "json"},
            ).json()
            assert json.dumps(listed).count('"One"') == 1
            assert "Two" not in json.dumps(listed) and "Three" not in json.dumps(listed)
    finally:
        wiki.close()
