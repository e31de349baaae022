"""action=createaccount against live servers: PASS with the ``newusers`` log entry and the
confirmation mail, every FAIL message 1.39 gives for the password provider, the request errors,
the ``createaccount`` right, a block that prevents account creation and the per-IP throttle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.admin.support import (
    PASSWORD,
    Api,
    confirmation_link,
    error_of,
    logged_in,
    mails_to,
    module_server,
    wait_for,
)
from tests.live import LiveServer

pytestmark = pytest.mark.live
RETURN_URL = "http://127.0.0.1/return"
NEW_PASSWORD = "fresh-account-pass-7"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    users = {"Admin": ("sysop", "bureaucrat"), "Existing": (), "Nocreate": ()}
    config = {"users": {"account_creation_throttle": [[100, 86400]]}}
    yield from module_server(tmp_path_factory, "createaccount", users, config)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Anonymous users may not create accounts, users may (two a day per address)."""
    anonymous = ["read", "edit", "createpage", "createtalk", "writeapi", "editmyoptions"]
    config: dict[str, dict[str, Any]] = {
        "users": {"account_creation_throttle": [[2, 86400]]},
        "permissions": {"*": anonymous, "user": ["read", "edit", "writeapi", "createaccount"]},
    }
    yield from module_server(
        tmp_path_factory, "createaccount-strict", {"Maker": (), "Admin": ("sysop",)}, config
    )


def create(api: Api, username: str, password: str = NEW_PASSWORD, **fields: Any) -> dict[str, Any]:
    """POST action=createaccount with a fresh createaccount token; the ``createaccount`` part."""
    data = {"username": username, "password": password, "retype": password, "createreturnurl": RETURN_URL}
    data.update(fields)
    answer = api.post(action="createaccount", createtoken=api.token("createaccount"), **data)
    assert "createaccount" in answer, answer
    return dict(answer["createaccount"])


def test_an_anonymous_creation_passes_logs_and_mails_a_confirmation(server: LiveServer) -> None:
    anon = Api(server)
    token = anon.token("createaccount")
    assert token.endswith("+\\") and token != "+\\"  # real, bound to the session

    done = create(anon, "new_comer", email="newcomer@anchor.test")
    assert done == {"status": "PASS", "username": "New comer"}
    assert "anon" in anon.userinfo()  # the API does not log the creator in
    [entry] = anon.log("newusers", "User:New comer")
    assert (entry["action"], entry["user"], entry["comment"]) == ("create", "New comer", "")
    created = anon.user("New comer", "groups|emailable|registration")
    assert entry["params"] == {"userid": created["userid"]}
    assert created["groups"] == ["*", "user", "autoconfirmed"] and not created["emailable"]

    [mail] = wait_for(lambda: mails_to(server, "newcomer@anchor.test"))
    assert "New comer" in str(mail["To"]) and "email address confirmation" in str(mail["Subject"])
    assert requests.get(confirmation_link(mail), timeout=30).status_code == 200
    newcomer = logged_in(server, "New comer", NEW_PASSWORD)
    info = newcomer.userinfo("email")
    assert info["email"] == "newcomer@anchor.test" and "emailauthenticated" in info


def test_a_logged_in_creator_stays_logged_in_and_logs_create2(server: LiveServer) -> None:
    admin = logged_in(server, "Admin")
    done = create(admin, "Made by admin", reason="for the project")
    assert done == {"status": "PASS", "username": "Made by admin"}
    assert admin.userinfo()["name"] == "Admin"
    [entry] = admin.log("newusers", "User:Made by admin")
    assert (entry["action"], entry["user"], entry["comment"]) == ("create2", "Admin", "for the project")
    assert mails_to(server, "made") == []  # no address, no mail
    logged_in(server, "Made by admin", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("username", "fields", "code", "message"),
    [
        ("Existing", {}, "userexists", "Username entered already in use.\nPlease choose a different name."),
        ("existing", {}, "userexists", "Username entered already in use.\nPlease choose a different name."),
        ("Bad@name", {}, "invaliduser", "You have not specified a valid username."),
        ("192.0.2.7", {}, "invaliduser", "You have not specified a valid username."),
        (
            "Mailer",
            {"email": "not an address"},
            "invalidemailaddress",
            "The email address cannot be accepted as it appears to have an invalid format.\n"
            "Please enter a well-formatted address or empty that field.",
        ),
        ("Typist", {"retype": "something-else-1"}, "badretype", "The passwords you entered do not match."),
        ("Shorty", {"password": "abc123", "retype": "abc123"}, "passwordtooshort", None),
        ("Commoner", {"password": "password1", "retype": "password1"}, "passwordincommonlist", None),
        (
            "Selfnamed",
            {"password": "selfname", "retype": "selfname"},
            "password-substring-username-match",
            "Your password must not appear within your username.",
        ),
        ("Short", {"password": "Short", "retype": "Short"}, "rawmessage", None),
        (
            "Nopass",
            {"password": None, "retype": None},
            "authmanager-create-no-primary",
            "The supplied credentials could not be used for account creation.",
        ),
    ],
)
def test_refusals_fail_with_mediawikis_message(
    server: LiveServer, username: str, fields: dict[str, Any], code: str, message: str | None
) -> None:
    anon = Api(server)
    data = {"username": username, "password": NEW_PASSWORD, "retype": NEW_PASSWORD, **fields}
    sent = {k: v for k, v in data.items() if v is not None}  # None: the field is left out
    token = anon.token("createaccount")
    answer = anon.post(action="createaccount", createreturnurl=RETURN_URL, createtoken=token, **sent)
    done = answer["createaccount"]
    assert done["status"] == "FAIL" and done["messagecode"] == code, done
    if message is not None:
        assert done["message"] == message
    if code == "passwordtooshort":
        assert done["message"] == "Passwords must be at least 8 characters."
    if code == "rawmessage":  # several policies fail: a list, as Status::getMessage makes it
        assert done["message"] == (
            "* Passwords must be at least 8 characters.\n"
            "* Your password must not appear within your username."
        )
    if code != "userexists":
        entry = anon.user(username, "groups")
        assert entry.get("missing") or entry.get("invalid"), entry


def test_message_formats(server: LiveServer) -> None:
    anon = Api(server)
    raw = create(anon, "Existing", createmessageformat="raw")
    assert raw["message"] == {"key": "userexists", "params": []} and raw["messagecode"] == "userexists"
    html = create(anon, "Existing", createmessageformat="html")
    assert html["message"] == "Username entered already in use.<br />Please choose a different name."
    none = create(anon, "Existing", createmessageformat="none")
    assert "message" not in none and none["messagecode"] == "userexists"


def test_request_errors(server: LiveServer) -> None:
    anon = Api(server)
    token = anon.token("createaccount")
    no_url = anon.post(action="createaccount", username="Urlless", createtoken=token)
    assert error_of(no_url) == (
        "missingparam",
        'At least one of the parameters "createcontinue" and "createreturnurl" is required.',
    )
    bad_url = anon.post(action="createaccount", username="X1", createreturnurl="no scheme", createtoken=token)
    assert error_of(bad_url)[0] == "badurl_createreturnurl"
    later = anon.post(action="createaccount", createcontinue=1, createtoken=token)["createaccount"]
    assert later["status"] == "FAIL" and later["messagecode"] == "authmanager-create-not-in-progress"
    stale = anon.post(action="createaccount", username="Stale", createreturnurl=RETURN_URL, createtoken="+\\")
    assert error_of(stale)[0] == "badtoken"
    fetched = anon.get(
        action="createaccount", username="Viaget", createreturnurl=RETURN_URL, createtoken=token
    )
    assert error_of(fetched)[0] == "mustpostparams"
    assert anon.user("Urlless").get("missing") and anon.user("Stale").get("missing")


def test_a_block_that_prevents_account_creation_stops_the_creator(server: LiveServer) -> None:
    with server.open_wiki() as wiki:
        blocked = wiki.users.get_by_name("Nocreate")
        admin = wiki.users.get_by_name("Admin")
        assert blocked is not None and admin is not None
        wiki.users.block(blocked.id, by=admin, reason="sock farm", create_account=True)
    nocreate = logged_in(server, "Nocreate")
    answer = create(nocreate, "Sock puppet")
    assert answer["status"] == "FAIL" and answer["messagecode"] == "blocked"
    assert "Your username or IP address has been blocked." in answer["message"]
    assert "<em>sock farm</em>" in answer["message"]
    assert nocreate.user("Sock puppet").get("missing")


def test_the_createaccount_right_is_needed(strict: LiveServer) -> None:
    anon = Api(strict)
    assert anon.userinfo("cancreateaccount")["cancreateaccount"] is False
    answer = create(anon, "Anonymous creation")
    assert answer["status"] == "FAIL" and answer["messagecode"] == "permissiondenied"
    assert answer["message"].startswith(
        "The action you have requested is limited to users in one of the groups:"
    )
    assert anon.user("Anonymous creation").get("missing")


def test_the_throttle_counts_per_address_and_spares_noratelimit(strict: LiveServer) -> None:
    maker = logged_in(strict, "Maker")
    assert maker.userinfo("cancreateaccount")["cancreateaccount"] is True
    assert create(maker, "First made")["status"] == "PASS"
    assert create(maker, "Second made")["status"] == "PASS"
    third = create(maker, "Third made")
    assert third["status"] == "FAIL" and third["messagecode"] == "acct_creation_throttle_hit"
    assert third["message"] == (
        "Visitors to this wiki using your IP address have created 2 accounts in the last 1 day, "
        "which is the maximum allowed in this time period.\nAs a result, visitors using this IP "
        "address cannot create any more accounts at the moment."
    )
    assert maker.user("Third made").get("missing")
    admin = logged_in(strict, "Admin", PASSWORD)  # sysop: noratelimit
    assert create(admin, "Third made")["status"] == "PASS"
