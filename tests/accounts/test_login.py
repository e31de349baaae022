"""action=login and action=clientlogin outcomes, and the failed-login throttle."""

from __future__ import annotations

import threading

from starlette.testclient import TestClient

from tests.accounts.helpers import API, get, login, new_client, post, token
from tests.anchorwiki import setup_anchorwiki
from wikipost.wiki import Wiki

THROTTLED = "You have made too many recent login attempts. Please wait 5 minutes before trying again."
WRONG = "Incorrect username or password entered. Please try again."


def test_wrong_password_floods_are_throttled_per_user_and_ip(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    for _ in range(5):
        assert login(client, "Carol", "wrong") == {"result": "Failed", "reason": WRONG}
    # The sixth attempt is refused even with the right password.
    assert login(client, "Carol", "carol-anchor-pass") == {"result": "Failed", "reason": THROTTLED}
    # Another IP, and another user from the same IP, are not affected.
    elsewhere = new_client(client, ip="127.0.0.9")
    assert login(elsewhere, "Carol", "carol-anchor-pass")["result"] == "Success"
    assert login(new_client(client), "Dave", "dave-anchor-pass")["result"] == "Success"
    wiki.clock.advance(301)
    assert login(client, "Carol", "carol-anchor-pass")["result"] == "Success"


def test_success_clears_the_counter(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    for _ in range(4):
        login(client, "Erin", "nope")
    assert login(client, "Erin", "erin-anchor-pass")["result"] == "Success"
    other = new_client(client)
    for _ in range(4):
        assert login(other, "Erin", "nope")["reason"] == WRONG


def test_bot_password_throttle_and_clientlogin_throttle_message(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    for _ in range(5):
        login(client, "Alice@anchor", "alicebotpass0123456789abcdefghik")
    assert login(client, "Alice@anchor", "alicebotpass0123456789abcdefghij")["reason"] == THROTTLED
    for _ in range(5):
        clientlogin(client, "Bob", "wrong")
    answer = clientlogin(client, "Bob", "bob-anchor-pass")["clientlogin"]
    assert answer["status"] == "FAIL" and answer["messagecode"] == "login-throttled"


def test_throttle_is_exact_under_concurrency(wiki: Wiki) -> None:
    throttle = wiki.login.throttle
    allowed: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        ok = throttle.increase("password", "Racer", "10.0.0.1") is None
        with lock:
            allowed.append(ok)

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 5 and len(allowed) == 40


def test_login_outcomes(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    no_creds = post(client, action="login", lgtoken=token(client, "login"))
    assert no_creds["login"] == {
        "result": "Failed",
        "reason": "The supplied credentials could not be authenticated.",
    }
    assert get(client, action="login", origin="*")["error"]["code"] == "mustbeposted"
    r = client.post(API + "?origin=*", data={"action": "login", "format": "json", "lgname": "Bob"})
    assert r.json()["login"] == {
        "result": "Aborted",
        "reason": "Cannot log in when the same-origin policy is not applied.",
    }
    r = client.post(API + "?lgpassword=x", data={"action": "login", "format": "json"})
    assert r.json()["error"]["code"] == "mustpostparams"
    # Secret with letters outside [0-9a-w]: not tried as a bot password.
    assert login(client, "Alice@anchor", "xyzbotpass0123456789abcdefghijkl")["reason"] == WRONG
    login(client, "Alice@anchor", "alicebotpass0123456789abcdefghij")
    again = login(client, "Bob", "bob-anchor-pass")
    assert again == {
        "result": "Aborted",
        "reason": ("Cannot log in when using MediaWiki\\Session\\BotPasswordSessionProvider sessions."),
    }


def test_failed_reason_in_modern_error_format(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    lgtoken = token(client, "login")
    answer = post(
        client,
        action="login",
        lgname="Bob",
        lgpassword="x",
        lgtoken=lgtoken,
        errorformat="plaintext",
        formatversion="2",
    )
    assert answer["login"]["reason"] == {"code": "wrongpassword", "text": WRONG}


def clientlogin(client: TestClient, username: str, password: str) -> dict[str, object]:
    return dict(
        post(
            client,
            action="clientlogin",
            username=username,
            password=password,
            loginreturnurl="http://example.org/",
            logintoken=token(client, "login"),
        )
    )


def test_clientlogin_passes_main_accounts_and_fails_bot_passwords(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    bp = clientlogin(client, "Alice@anchor", "alicebotpass0123456789abcdefghij")["clientlogin"]
    assert bp == {
        "status": "FAIL",
        "message": "Incorrect username or password entered.\nPlease try again.",
        "messagecode": "wrongpassword",
    }
    assert clientlogin(client, "alice", "alice-anchor-pass")["clientlogin"] == {
        "status": "PASS",
        "username": "Alice",
    }
    assert get(client, action="query", meta="userinfo")["query"]["userinfo"]["name"] == "Alice"
    fresh = new_client(client)
    bad = post(
        fresh,
        action="clientlogin",
        username="Bob",
        password="x",
        logintoken="+\\",
        loginreturnurl="http://example.org/",
    )
    assert bad["error"]["code"] == "badtoken"
    missing = post(
        fresh, action="clientlogin", username="Bob", password="x", logintoken=token(fresh, "login")
    )
    assert missing["error"] == {
        **missing["error"],
        "code": "missingparam",
        "info": ('At least one of the parameters "logincontinue" and "loginreturnurl" is required.'),
    }
