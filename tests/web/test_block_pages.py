"""Special:Block and Special:Unblock against a live server: an email block makes the user's next
action=emailuser answer ``blockedfrommail`` and unblocking restores it, both with their log
entries; reblocking needs confirmation; non-admins get a permission error; bad tokens and bad
input change nothing; reasons are shown escaped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.live import LiveServer
from tests.web.support import (
    SESSION_FAILURE,
    api_get,
    api_post,
    box_messages,
    create_users,
    csrf_token,
    hidden_value,
    hidden_value_or_empty,
    page_url,
    running_server,
    user_named,
    web_login,
)

pytestmark = pytest.mark.live
PASSWORD = "web-block-pass"
XSS = "<script>alert('x')</script>"
NO_PERMISSION = "You do not have permission to use this page."


def create_block_users(live: LiveServer) -> None:
    create_users(live, PASSWORD, ("Admin",), sysops=("Admin",), email=False)
    create_users(live, PASSWORD, ("Mallory", "Bob", "Eve"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from running_server(tmp_path_factory, "web-block", setup=create_block_users)


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> requests.Session:
    return web_login(server, "Admin", PASSWORD)


def send_mail(server: LiveServer, session: requests.Session, subject: str) -> dict[str, Any]:
    token = csrf_token(server, session)
    answer: dict[str, Any] = api_post(
        server, session, action="emailuser", target="Bob", subject=subject, text="Hi.", token=token
    )
    return answer


def block_log(server: LiveServer, user: str) -> list[dict[str, Any]]:
    params = {"action": "query", "list": "logevents", "letype": "block", "letitle": f"User:{user}"}
    return list(api_get(server, requests.Session(), **params)["query"]["logevents"])


def block_of(server: LiveServer, name: str) -> Any:
    with server.open_wiki() as wiki:
        return wiki.users.get_block(user_named(wiki, name).id)


def post_form(session: requests.Session, url: str, **fields: str) -> requests.Response:
    """GET the form at ``url`` and POST it back with its token and hidden fields plus ``fields``."""
    form = session.get(url)
    data = {
        "wpEditToken": hidden_value(form.text, "wpEditToken"),
        "wpPreviousTarget": hidden_value_or_empty(form.text, "wpPreviousTarget"),
        "wpConfirm": hidden_value_or_empty(form.text, "wpConfirm"),
        **fields,
    }
    return session.post(url, data=data)


def test_an_email_block_stops_emailuser_and_unblock_restores_it(
    server: LiveServer, admin: requests.Session
) -> None:
    mallory = web_login(server, "Mallory", PASSWORD)
    assert send_mail(server, mallory, "before")["emailuser"]["result"] == "Success"

    form = admin.get(page_url(server, "Special:Block/Mallory"))
    for name in ("wpTarget", "wpExpiry", "wpReason", "wpCreateAccount", "wpDisableEmail", "wpAutoBlock"):
        assert f'name="{name}"' in form.text
    assert '"wgRelevantUserName": "Mallory"' in form.text and 'id="t-blockip"' in form.text
    done = post_form(
        admin,
        page_url(server, "Special:Block/Mallory"),
        wpTarget="Mallory",
        wpExpiry="1 week",
        wpReason=XSS,
        wpCreateAccount="1",
        wpDisableEmail="1",
        wpAutoBlock="1",
    )
    assert box_messages(done.text) == ["Mallory has been blocked."]
    assert send_mail(server, mallory, "during")["error"]["code"] == "blockedfrommail"
    [entry] = block_log(server, "Mallory")
    assert entry["action"] == "block" and entry["user"] == "Admin" and entry["comment"] == XSS
    assert entry["params"]["duration"] == "1 week" and entry["params"]["flags"] == ["nocreate", "noemail"]
    block = block_of(server, "Mallory")
    assert block.block_email and block.expiry is not None and block.reason == XSS

    again = admin.get(page_url(server, "Special:Block/Mallory"))
    assert "Mallory is already blocked. Do you want to change the settings?" in box_messages(again.text)
    assert XSS not in again.text and "&lt;script&gt;" in again.text  # the reason, prefilled

    undone = post_form(
        admin, page_url(server, "Special:Unblock/Mallory"), wpTarget="Mallory", wpReason="appeal"
    )
    assert box_messages(undone.text) == ["Mallory has been unblocked."]
    assert block_of(server, "Mallory") is None
    assert send_mail(server, mallory, "after")["emailuser"]["result"] == "Success"
    assert [e["action"] for e in block_log(server, "Mallory")] == ["unblock", "block"]
    twice = post_form(admin, page_url(server, "Special:Unblock/Mallory"), wpTarget="Mallory")
    assert box_messages(twice.text) == [
        "The block you specified was not found. It may have been unblocked already."
    ]


def test_reblocking_needs_confirmation(server: LiveServer, admin: requests.Session) -> None:
    post_form(admin, page_url(server, "Special:Block"), wpTarget="Eve", wpExpiry="infinite", wpReason="first")
    assert block_of(server, "Eve") is not None and len(block_log(server, "Eve")) == 1

    # A fresh form (no confirmation) for a user who is blocked meanwhile: refused, checkbox offered.
    fresh = admin.get(page_url(server, "Special:Block"))
    data = {"wpEditToken": hidden_value(fresh.text, "wpEditToken"), "wpTarget": "Eve", "wpExpiry": "1 day"}
    refused = admin.post(page_url(server, "Special:Block"), data=data)
    assert '"Eve" is already blocked.' in box_messages(refused.text)
    assert 'type="checkbox" name="wpConfirm"' in refused.text
    assert len(block_log(server, "Eve")) == 1 and block_of(server, "Eve").reason == "first"

    confirmed = admin.post(
        page_url(server, "Special:Block"),
        data={**data, "wpConfirm": "1", "wpPreviousTarget": hidden_value(refused.text, "wpPreviousTarget")},
    )
    assert box_messages(confirmed.text) == ["Eve has been blocked."]
    entry = block_log(server, "Eve")[0]
    assert entry["action"] == "reblock" and entry["params"]["duration"] == "1 day"
    # Special:Block/Eve arrives confirmed (hidden wpConfirm), with the block's settings.
    via_link = post_form(admin, page_url(server, "Special:Block/Eve"), wpTarget="Eve", wpExpiry="infinite")
    assert box_messages(via_link.text) == ["Eve has been blocked."]
    assert block_log(server, "Eve")[0]["params"]["duration"] == "infinity"
    post_form(admin, page_url(server, "Special:Unblock/Eve"), wpTarget="Eve")


def test_a_non_admin_gets_a_permission_error(server: LiveServer) -> None:
    eve = web_login(server, "Eve", PASSWORD)
    for title in ("Special:Block", "Special:Block/Bob", "Special:Unblock/Bob"):
        for session in (eve, requests.Session()):
            page = session.get(page_url(server, title))
            assert page.status_code == 403 and NO_PERMISSION in box_messages(page.text)
    posted = eve.post(
        page_url(server, "Special:Block"),
        data={"wpTarget": "Bob", "wpExpiry": "infinite", "wpEditToken": "+\\", "wpDisableEmail": "1"},
    )
    assert posted.status_code == 403
    assert block_of(server, "Bob") is None
    assert 'id="t-blockip"' not in eve.get(page_url(server, "User:Bob")).text


@pytest.mark.parametrize("token", [None, "0123456789abcdef+\\"])
def test_bad_tokens_are_refused_and_change_nothing(
    server: LiveServer, admin: requests.Session, token: str | None
) -> None:
    data = {"wpTarget": "Bob", "wpExpiry": "infinite", "wpDisableEmail": "1"}
    if token is not None:
        data["wpEditToken"] = token
    logged = len(block_log(server, "Bob"))
    refused = admin.post(page_url(server, "Special:Block"), data=data)
    assert SESSION_FAILURE in box_messages(refused.text)
    assert block_of(server, "Bob") is None and len(block_log(server, "Bob")) == logged

    post_form(admin, page_url(server, "Special:Block"), wpTarget="Bob", wpExpiry="infinite")
    kept = admin.post(
        page_url(server, "Special:Unblock"), data={k: v for k, v in data.items() if k != "wpExpiry"}
    )
    assert SESSION_FAILURE in box_messages(kept.text)
    assert block_of(server, "Bob") is not None
    post_form(admin, page_url(server, "Special:Unblock/Bob"), wpTarget="Bob")
    assert block_of(server, "Bob") is None


@pytest.mark.parametrize(
    ("target", "expiry", "message"),
    [
        ("Bob", "soon", "Expiry time invalid."),
        ("Bob", "2001-01-01", "Expiry time is in the past."),
        ("Nobody", "infinite", 'There is no user by the name "Nobody". Check your spelling.'),
        (XSS, "infinite", f'There is no user by the name "{XSS}". Check your spelling.'),
        ("Admin", "infinite", "You are about to block yourself! Are you sure you want to do that?"),
    ],
)
def test_invalid_blocks_are_refused_and_shown_escaped(
    server: LiveServer, admin: requests.Session, target: str, expiry: str, message: str
) -> None:
    answer = post_form(
        admin, page_url(server, "Special:Block"), wpTarget=target, wpExpiry=expiry, wpReason=XSS
    )
    assert message in box_messages(answer.text)
    assert XSS not in answer.text
    assert block_of(server, "Bob") is None and block_of(server, "Admin") is None
