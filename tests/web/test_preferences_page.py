"""Special:Preferences (email section) and Special:ChangeEmail against a live server: the saved
preferences are what list=users, action=emailuser, Special:EmailUser and ``#t-emailuser`` see at
once; confirmation mails land in the maildir and their links confirm; bad tokens and hostile
input change nothing and are shown escaped."""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import cast

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
    page_url,
    running_server,
    submit_form,
    user_named,
    web_login,
)

pytestmark = pytest.mark.live
PASSWORD = "web-prefs-pass"
XSS = "<script>alert('x')</script>"
SAVED = "Your preferences have been saved."
NOWIKIEMAIL = "This user has chosen not to receive email from other users."


def create_prefs_users(live: LiveServer) -> None:
    create_users(live, PASSWORD, ("Alice", "Bob", "Carol", "Erin"))
    create_users(live, PASSWORD, ("Dave",), confirmed=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from running_server(
        tmp_path_factory, "web-prefs", {"mail": {"backend": "maildir"}}, create_prefs_users
    )


def emailable(server: LiveServer, name: str) -> bool:
    user = api_get(server, requests.Session(), action="query", list="users", ususers=name, usprop="emailable")
    return bool(user["query"]["users"][0].get("emailable"))


def shows_email_link(server: LiveServer, viewer: requests.Session, name: str) -> bool:
    return 'id="t-emailuser"' in viewer.get(page_url(server, f"User:{name}")).text


def save_prefs(server: LiveServer, session: requests.Session, **fields: str) -> requests.Response:
    """POST the preferences form as a browser does: only the ticked checkboxes are sent."""
    return submit_form(server, session, "Special:Preferences", **fields)


def stored_options(server: LiveServer, name: str) -> dict[str, str]:
    with server.open_wiki() as wiki:
        return wiki.users.get_options(user_named(wiki, name).id)


def mails_to(server: LiveServer, address: str, timeout: float = 30.0, count: int = 1) -> list[str]:
    """The bodies of the maildir's mails to ``address``, once there are ``count`` of them."""
    maildir = Path(server.data_dir) / "maildir"
    deadline = time.monotonic() + timeout
    while True:
        bodies = []
        for path in sorted([*maildir.glob("new/*"), *maildir.glob("cur/*")]):
            message = cast(
                EmailMessage, email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            )
            if address in str(message["To"]):
                part = cast(EmailMessage, message.get_body(preferencelist=("plain",)))
                bodies.append(str(part.get_content()))
        if len(bodies) >= count or time.monotonic() > deadline:
            assert len(bodies) >= count, f"no mail to {address} in {maildir}"
            return bodies
        time.sleep(0.05)


def confirm_link(body: str) -> str:
    match = re.search(r"(https?://\S+/Special:ConfirmEmail/[0-9a-f]+)", body)
    assert match is not None, body
    return match.group(1)


# --- Special:Preferences -------------------------------------------------------------------------


def test_the_email_section_shows_1_39_field_names_and_the_address(server: LiveServer) -> None:
    bob = web_login(server, "Bob", PASSWORD)
    page = bob.get(page_url(server, "Special:Preferences"))
    assert page.status_code == 200
    for name in ("wpdisablemail", "wpemail-allow-new-users", "wpccmeonemails", "wpemail-blacklist"):
        assert f'name="{name}"' in page.text
    assert 'id="mw-prefsection-personal-email"' in page.text
    assert "bob@anchor.test" in page.text
    assert "Your email address was confirmed on" in page.text
    assert "Special:ChangeEmail" in page.text
    anon = requests.get(page_url(server, "Special:Preferences"))
    assert anon.status_code == 401 and "Please log in to use this page." in box_messages(anon.text)


def test_turning_email_off_and_on_shows_at_once_in_the_api_and_the_user_page(server: LiveServer) -> None:
    bob = web_login(server, "Bob", PASSWORD)
    alice = web_login(server, "Alice", PASSWORD)
    assert emailable(server, "Bob") and shows_email_link(server, alice, "Bob")

    off = save_prefs(server, bob, **{"wpemail-allow-new-users": "1"})  # "Allow … email me" unticked
    assert SAVED in box_messages(off.text)
    assert stored_options(server, "Bob")["disablemail"] == "1"
    assert not emailable(server, "Bob")
    assert not shows_email_link(server, alice, "Bob")
    assert 'name="wpdisablemail" id="wpAllowEmail" value="1">' in off.text  # shown unticked

    on = save_prefs(server, bob, wpdisablemail="1", **{"wpemail-allow-new-users": "1"})
    assert SAVED in box_messages(on.text)
    assert emailable(server, "Bob") and shows_email_link(server, alice, "Bob")


def test_cc_and_new_user_options_are_stored_as_action_options_stores_them(server: LiveServer) -> None:
    carol = web_login(server, "Carol", PASSWORD)
    save_prefs(server, carol, wpdisablemail="1", wpccmeonemails="1")
    options = stored_options(server, "Carol")
    assert options["ccmeonemails"] == "1" and options["email-allow-new-users"] == "0"
    info = api_get(server, carol, action="query", meta="userinfo", uiprop="options")["query"]["userinfo"]
    assert info["options"]["ccmeonemails"] == "1"
    save_prefs(server, carol, wpdisablemail="1", **{"wpemail-allow-new-users": "1"})
    options = stored_options(server, "Carol")
    assert options["ccmeonemails"] == "0" and options["email-allow-new-users"] == "1"


def test_the_mute_list_refuses_that_sender_on_the_page_and_in_the_api(server: LiveServer) -> None:
    bob = web_login(server, "Bob", PASSWORD)
    alice = web_login(server, "Alice", PASSWORD)
    carol = web_login(server, "Carol", PASSWORD)
    saved = save_prefs(
        server, bob, wpdisablemail="1", **{"wpemail-allow-new-users": "1", "wpemail-blacklist": "alice\n"}
    )
    assert SAVED in box_messages(saved.text)
    with server.open_wiki() as wiki:
        alice_user = user_named(wiki, "Alice")
    assert stored_options(server, "Bob")["email-blacklist"] == str(alice_user.id)  # ids, as action=options
    assert ">Alice</textarea>" in bob.get(page_url(server, "Special:Preferences")).text

    page = alice.get(page_url(server, "Special:EmailUser/Bob"))
    assert NOWIKIEMAIL in box_messages(page.text)
    assert not shows_email_link(server, alice, "Bob")
    answer = api_post(
        server,
        alice,
        action="emailuser",
        target="Bob",
        subject="S",
        text="T",
        token=csrf_token(server, alice),
    )
    assert answer["error"]["code"] == "nowikiemail"
    assert shows_email_link(server, carol, "Bob")  # only the muted sender is refused

    save_prefs(server, bob, wpdisablemail="1", **{"wpemail-allow-new-users": "1", "wpemail-blacklist": ""})
    assert stored_options(server, "Bob")["email-blacklist"] == ""
    assert shows_email_link(server, alice, "Bob")


def test_unknown_and_hostile_mute_names_are_refused_escaped_and_change_nothing(server: LiveServer) -> None:
    bob = web_login(server, "Bob", PASSWORD)
    before = stored_options(server, "Bob")
    answer = save_prefs(server, bob, **{"wpemail-blacklist": f"Nobody Here\n{XSS}"})
    assert XSS not in answer.text
    assert "&lt;script&gt;" in answer.text
    assert "Nobody Here does not exist." in answer.text
    assert SAVED not in box_messages(answer.text)
    assert stored_options(server, "Bob") == before


@pytest.mark.parametrize("token", [None, "0123456789abcdef+\\"])
def test_a_missing_or_wrong_token_is_refused_and_changes_nothing(
    server: LiveServer, token: str | None
) -> None:
    bob = web_login(server, "Bob", PASSWORD)
    before = stored_options(server, "Bob")
    data = {"wpemail-blacklist": "Alice", "wpccmeonemails": "1"}  # would turn email off, mute Alice
    if token is not None:
        data["wpEditToken"] = token
    answer = bob.post(page_url(server, "Special:Preferences"), data=data)
    assert SESSION_FAILURE in box_messages(answer.text)
    assert stored_options(server, "Bob") == before
    sent = bob.post(page_url(server, "Special:Preferences"), data={"wpSendConfirmation": "1"})
    assert SESSION_FAILURE in box_messages(sent.text)


def test_send_confirmation_mails_a_link_that_confirms(server: LiveServer) -> None:
    dave = web_login(server, "Dave", PASSWORD)
    page = dave.get(page_url(server, "Special:Preferences"))
    assert "Your email address is not yet confirmed." in page.text
    assert 'name="wpdisablemail" id="wpAllowEmail" value="1" checked disabled>' in page.text
    assert not emailable(server, "Dave")
    sent = dave.post(
        page_url(server, "Special:Preferences"),
        data={"wpEditToken": hidden_value(page.text, "wpEditToken"), "wpSendConfirmation": "1"},
    )
    assert "Confirmation email sent." in box_messages(sent.text)
    link = confirm_link(mails_to(server, "dave@anchor.test")[0])
    confirmed = requests.get(link)
    assert "Your email address has been confirmed" in confirmed.text
    assert emailable(server, "Dave")
    again = dave.post(
        page_url(server, "Special:Preferences"),
        data={"wpEditToken": hidden_value(page.text, "wpEditToken"), "wpSendConfirmation": "1"},
    )
    assert "Your email address has already been confirmed." in box_messages(again.text)


# --- Special:ChangeEmail ---------------------------------------------------------------------------


def change_email(server: LiveServer, session: requests.Session, **fields: str) -> requests.Response:
    return submit_form(server, session, "Special:ChangeEmail", **fields)


def current_email(server: LiveServer, name: str) -> tuple[str, bool]:
    with server.open_wiki() as wiki:
        user = user_named(wiki, name)
        return user.email, user.email_confirmed


def test_change_email_checks_the_password_and_the_address(server: LiveServer) -> None:
    erin = web_login(server, "Erin", PASSWORD)
    form = erin.get(page_url(server, "Special:ChangeEmail"))
    assert form.status_code == 200
    for name in ("wpNewEmail", "wpPassword", "wpEditToken"):
        assert f'name="{name}"' in form.text
    assert "erin@anchor.test" in form.text

    wrong = change_email(server, erin, wpNewEmail="erin2@anchor.test", wpPassword="not-it")
    assert "Incorrect username or password entered. Please try again." in box_messages(wrong.text)
    invalid = change_email(server, erin, wpNewEmail="not an address", wpPassword=PASSWORD)
    assert box_messages(invalid.text) == [
        "The email address cannot be accepted as it appears to have an invalid format. Please enter a "
        "well-formatted address or empty that field."
    ]
    for token in (None, "bad+\\"):
        data = {"wpNewEmail": "erin2@anchor.test", "wpPassword": PASSWORD}
        if token:
            data["wpEditToken"] = token
        refused = erin.post(page_url(server, "Special:ChangeEmail"), data=data)
        assert SESSION_FAILURE in box_messages(refused.text)
    assert current_email(server, "Erin") == ("erin@anchor.test", True)


def test_change_email_sends_a_confirmation_to_the_new_unconfirmed_address(server: LiveServer) -> None:
    erin = web_login(server, "Erin", PASSWORD)
    returnto = f"Special:Preferences{XSS}"
    form = erin.get(server.index_url, params={"title": "Special:ChangeEmail", "returnto": returnto})
    assert XSS not in form.text
    done = erin.post(
        page_url(server, "Special:ChangeEmail"),
        data={
            "wpEditToken": hidden_value(form.text, "wpEditToken"),
            "wpNewEmail": "erin.new@anchor.test",
            "wpPassword": PASSWORD,
            "returnto": returnto,
        },
    )
    assert XSS not in done.text
    assert box_messages(done.text)[0].startswith(
        "A confirmation email has been sent to the specified email address."
    )
    assert current_email(server, "Erin") == ("erin.new@anchor.test", False)
    assert not emailable(server, "Erin")  # unconfirmed until the link is opened
    link = confirm_link(mails_to(server, "erin.new@anchor.test")[0])
    assert "Your email address has been confirmed" in requests.get(link).text
    assert current_email(server, "Erin") == ("erin.new@anchor.test", True)
    assert emailable(server, "Erin")
    same = change_email(server, erin, wpNewEmail="erin.new@anchor.test", wpPassword=PASSWORD)
    assert "Please enter a different new email address." in box_messages(same.text)
