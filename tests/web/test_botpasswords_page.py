"""Special:BotPasswords against a live server: create (the password shown once, never again), a
login with it through the API holding exactly the chosen grants' rights, reset (the old password
and its sessions stop working), delete, refused tokens, hostile app ids shown escaped; and,
in-process, the page when bot passwords are disabled."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from starlette.testclient import TestClient

from tests.live import LiveServer, LiveServerError, bot_login
from tests.web.support import (
    SESSION_FAILURE,
    api_get,
    box_messages,
    client_login,
    create_users,
    hidden_value,
    page_url,
    running_server,
    user_named,
    web_login,
)
from wikipost.app import build_app
from wikipost.services.grants import rights_for_grants
from wikipost.wiki import Wiki

PASSWORD = "web-botpasswords-pass"
XSS = "<script>alert('x')</script>"
_NEW_PASSWORD = re.compile(r'<strong class="mw-botpasswords-password">([0-9a-z]+)</strong>')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from running_server(
        tmp_path_factory, "web-botpasswords", setup=lambda live: create_users(live, PASSWORD, ("Alice",))
    )


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> requests.Session:
    return web_login(server, "Alice", PASSWORD)


def open_app(server: LiveServer, session: requests.Session, app: str) -> requests.Response:
    """The first form (``wpappId``, ``op=new``) and the redirect it answers with, followed."""
    listing = session.get(page_url(server, "Special:BotPasswords"))
    data = {"wpEditToken": hidden_value(listing.text, "wpEditToken"), "wpappId": app, "op": "new"}
    moved = session.post(page_url(server, "Special:BotPasswords"), data=data, allow_redirects=False)
    assert moved.status_code == 302, box_messages(moved.text)
    return session.get(server.base_url + moved.headers["location"])


def submit_app(
    session: requests.Session, form: requests.Response, op: str, **fields: Any
) -> requests.Response:
    data = {"wpEditToken": hidden_value(form.text, "wpEditToken"), "op": op, **fields}
    return session.post(form.url, data=data)


def create(
    server: LiveServer, session: requests.Session, app: str, grants: list[str]
) -> tuple[str, requests.Response]:
    form = open_app(server, session, app)
    done = submit_app(session, form, "create", **{"wpgrants[]": [f"grant-{g}" for g in grants]})
    match = _NEW_PASSWORD.search(done.text)
    assert match is not None, box_messages(done.text)
    return match.group(1), done


def rights(server: LiveServer, session: requests.Session) -> set[str]:
    info = api_get(server, session, action="query", meta="userinfo", uiprop="rights")["query"]["userinfo"]
    return set(info.get("rights", [])) if info.get("id") else set()


@pytest.mark.live
def test_create_shows_the_password_once_and_it_logs_in_with_exactly_its_grants(
    server: LiveServer, alice: requests.Session
) -> None:
    form = open_app(server, alice, "mailer")
    assert form.url.endswith("/Special:BotPasswords/mailer")
    assert (
        'name="wpgrants[]" id="mw-input-wpgrants-grant-basic" value="grant-basic" checked disabled>'
        in form.text
    )
    assert 'value="grant-sendemail">' in form.text  # offered, not ticked
    password, done = create(server, alice, "mailer", ["sendemail", "editpage", "no-such-grant"])
    assert "Alice@mailer" in done.text and "Please record this for future reference." in done.text
    assert 'The bot password for bot name "mailer" of user "Alice" was created.' in box_messages(done.text)
    assert "no-store" in done.headers["cache-control"]

    for again in (page_url(server, "Special:BotPasswords/mailer"), page_url(server, "Special:BotPasswords")):
        page = alice.get(again)
        assert page.status_code == 200 and password not in page.text
    assert ">mailer</a>" in alice.get(page_url(server, "Special:BotPasswords")).text

    bot, _csrf = bot_login(server.api_url, "Alice@mailer", password)
    expected = rights(server, alice) & rights_for_grants(["sendemail", "editpage"])
    assert rights(server, bot) == expected
    assert {"sendemail", "edit"} <= expected and "createpage" not in expected
    with server.open_wiki() as wiki:
        stored = wiki.botpasswords.get(user_named(wiki, "Alice").id, "mailer")
    assert stored is not None and stored.grants == ("basic", "editpage", "sendemail")


@pytest.mark.live
def test_reset_invalidates_the_old_password_and_its_sessions(
    server: LiveServer, alice: requests.Session
) -> None:
    old, _done = create(server, alice, "resetme", ["sendemail"])
    old_session, _csrf = bot_login(server.api_url, "Alice@resetme", old)
    assert "sendemail" in rights(server, old_session)

    form = alice.get(page_url(server, "Special:BotPasswords/resetme"))
    assert 'name="wpresetPassword"' in form.text and 'value="grant-sendemail" checked>' in form.text
    updated = submit_app(alice, form, "update", wpresetPassword="1", **{"wpgrants[]": ["grant-sendemail"]})
    assert 'The bot password for bot name "resetme" of user "Alice" was updated.' in box_messages(
        updated.text
    )
    match = _NEW_PASSWORD.search(updated.text)
    assert match is not None
    new = match.group(1)
    assert new != old

    assert rights(server, old_session) == set()  # the old session ended with the reset
    with pytest.raises(LiveServerError):
        bot_login(server.api_url, "Alice@resetme", old)
    bot_login(server.api_url, "Alice@resetme", new)

    # An update without reset changes the grants and shows no password.
    form = alice.get(page_url(server, "Special:BotPasswords/resetme"))
    plain = submit_app(alice, form, "update", **{"wpgrants[]": ["grant-editpage"]})
    assert _NEW_PASSWORD.search(plain.text) is None
    session, _csrf = bot_login(server.api_url, "Alice@resetme", new)
    assert "edit" in rights(server, session) and "sendemail" not in rights(server, session)


@pytest.mark.live
def test_delete_removes_it(server: LiveServer, alice: requests.Session) -> None:
    password, _done = create(server, alice, "shortlived", [])
    form = alice.get(page_url(server, "Special:BotPasswords/shortlived"))
    deleted = submit_app(alice, form, "delete")
    assert 'The bot password for bot name "shortlived" of user "Alice" was deleted.' in box_messages(
        deleted.text
    )
    assert ">shortlived</a>" not in alice.get(page_url(server, "Special:BotPasswords")).text
    with pytest.raises(LiveServerError):
        bot_login(server.api_url, "Alice@shortlived", password)


@pytest.mark.live
def test_bad_tokens_are_refused_and_change_nothing(server: LiveServer, alice: requests.Session) -> None:
    listing = alice.post(page_url(server, "Special:BotPasswords"), data={"wpappId": "tok", "op": "new"})
    assert listing.status_code == 200 and SESSION_FAILURE in box_messages(listing.text)
    for token in (None, "0123abcd+\\"):
        data: dict[str, Any] = {"op": "create", "wpgrants[]": ["grant-sendemail"]}
        if token:
            data["wpEditToken"] = token
        refused = alice.post(page_url(server, "Special:BotPasswords/tokentest"), data=data)
        assert SESSION_FAILURE in box_messages(refused.text)
        assert _NEW_PASSWORD.search(refused.text) is None
    password, _done = create(server, alice, "keepme", [])
    refused = alice.post(
        page_url(server, "Special:BotPasswords/keepme"), data={"op": "delete", "wpEditToken": "x+\\"}
    )
    assert SESSION_FAILURE in box_messages(refused.text)
    with server.open_wiki() as wiki:
        user = user_named(wiki, "Alice")
        assert wiki.botpasswords.get(user.id, "tokentest") is None
        assert wiki.botpasswords.get(user.id, "keepme") is not None
    bot_login(server.api_url, "Alice@keepme", password)


@pytest.mark.live
def test_hostile_and_invalid_app_ids(server: LiveServer, alice: requests.Session) -> None:
    form = open_app(server, alice, XSS)
    assert XSS not in form.text and "Alice@&lt;script&gt;" in form.text
    done = submit_app(alice, form, "create", **{"wpgrants[]": ["grant-sendemail"]})
    assert XSS not in done.text and _NEW_PASSWORD.search(done.text) is not None
    listing = alice.get(page_url(server, "Special:BotPasswords"))
    assert XSS not in listing.text and "&lt;script&gt;alert(" in listing.text

    for bad in ("a@b", "x" * 33, "pipe|bot"):
        page = alice.get(page_url(server, "Special:BotPasswords"))
        data = {"wpEditToken": hidden_value(page.text, "wpEditToken"), "wpappId": bad, "op": "new"}
        answer = alice.post(page_url(server, "Special:BotPasswords"), data=data, allow_redirects=False)
        assert answer.status_code == 200
        assert f'The bot name "{bad}" is not valid.' in box_messages(answer.text)
    direct = alice.get(server.index_url, params={"title": "Special:BotPasswords", "appId": "a@b"})
    assert 'The bot name "a@b" is not valid.' in box_messages(direct.text)
    anon = requests.get(page_url(server, "Special:BotPasswords"))
    assert anon.status_code == 401


def test_disabled_bot_passwords_say_so(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki(users={"enable_bot_passwords": False})
    wiki.users.create("Alice", PASSWORD, email="alice@anchor.test", confirmed=True)
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        client_login(client, "Alice", PASSWORD)
        for title in ("Special:BotPasswords", "Special:BotPasswords/app"):
            page = client.get(f"/w/index.php/{title}")
            assert "Bot passwords are disabled." in box_messages(page.text)
