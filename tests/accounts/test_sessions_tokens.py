"""Sessions, cookies and tokens: bound to one session, rotated at login, dead after logout."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.accounts.helpers import API, get, login, new_client, post, token, userinfo
from tests.anchorwiki import setup_anchorwiki
from wikipost.wiki import Wiki

ALICE_BP = ("Alice@anchor", "alicebotpass0123456789abcdefghij")


def test_csrf_token_of_one_session_fails_in_another(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    other = new_client(client)
    assert login(client, "Alice", "alice-anchor-pass")["result"] == "Success"
    assert login(other, "Alice", "alice-anchor-pass")["result"] == "Success"
    mine, theirs = token(client), token(other)
    assert mine != theirs
    for kind in ("csrf", "watch", "patrol"):
        answer = post(other, action="checktoken", type=kind, token=token(client, kind))
        assert answer["checktoken"]["result"] == "invalid"
    answer = post(other, action="logout", token=mine)
    assert answer["error"]["code"] == "badtoken"
    assert answer["error"]["info"] == "Invalid CSRF token."
    assert userinfo(other)["name"] == "Alice"  # the failed logout changed nothing


def test_each_token_type_has_its_own_value(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    login(client, *ALICE_BP)
    tokens = get(client, action="query", meta="tokens", type="*")["query"]["tokens"]
    assert list(tokens) == [
        "createaccounttoken",
        "csrftoken",
        "logintoken",
        "patroltoken",
        "rollbacktoken",
        "userrightstoken",
        "watchtoken",
    ]
    assert len(set(tokens.values())) == 7
    assert all(v.endswith("+\\") and len(v) == 42 for v in tokens.values())


def test_logout_kills_the_session_and_its_tokens(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    login(client, "Bob", "bob-anchor-pass")
    old = token(client)
    stolen = dict(client.cookies)
    r = client.post(API, data={"action": "logout", "format": "json", "token": old})
    assert r.json() == {}
    cleared = {h.split("=", 1)[0] for h in r.headers.get_list("set-cookie") if "=deleted" in h}
    assert {"anchorwiki_session", "anchorwikiUserID", "anchorwikiToken"} <= cleared
    assert "anon" in userinfo(client)
    # The old cookies (session id and remember-me token) no longer log anyone in.
    replay = new_client(client)
    for name, value in stolen.items():
        replay.cookies.set(name, value)
    assert "anon" in userinfo(replay)
    login(client, "Bob", "bob-anchor-pass")
    answer = post(client, action="checktoken", type="csrf", token=old)
    assert answer["checktoken"]["result"] == "invalid"


def test_bot_password_logout_drops_the_bp_session(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    login(client, *ALICE_BP)
    r = client.post(API, data={"action": "logout", "format": "json", "token": token(client)})
    assert r.json() == {}
    assert "anchorwiki_BPsession=deleted" in r.headers["set-cookie"]
    assert "anon" in userinfo(client)


def test_anonymous_logout_with_the_constant_token(client: TestClient) -> None:
    assert post(client, action="logout", token="+\\") == {}
    assert post(client, action="logout", token="x")["error"]["code"] == "badtoken"


def test_session_id_rotates_at_login_and_cookie_attributes(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    r = client.get(API, params={"action": "query", "meta": "tokens", "type": "login", "format": "json"})
    first = client.cookies["anchorwiki_session"]
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "path=/" in cookie.lower() and "secure" not in cookie.lower()
    lgtoken = r.json()["query"]["tokens"]["logintoken"]
    post(client, action="login", lgname="Carol", lgpassword="carol-anchor-pass", lgtoken=lgtoken)
    assert client.cookies["anchorwiki_session"] != first
    fixated = new_client(client)
    fixated.cookies.set("anchorwiki_session", first)
    assert "anon" in userinfo(fixated)


def test_secure_cookie_only_over_https(client: TestClient) -> None:
    https = new_client(client, https=True)
    r = https.get(API, params={"action": "query", "meta": "tokens", "type": "login", "format": "json"})
    assert "secure" in r.headers["set-cookie"].lower()


def test_remember_me_cookie_recreates_an_expired_session_with_new_tokens(
    wiki: Wiki, client: TestClient
) -> None:
    setup_anchorwiki(wiki)
    login(client, "Dave", "dave-anchor-pass")
    old = token(client)
    wiki.clock.advance(wiki.settings.users.session_expiry + 10)
    assert userinfo(client)["name"] == "Dave"
    assert post(client, action="checktoken", type="csrf", token=old)["checktoken"]["result"] == "invalid"


def test_bot_password_session_rights_are_limited_by_grants(wiki: Wiki, client: TestClient) -> None:
    anchor = setup_anchorwiki(wiki)
    wiki.users.add_groups(anchor["Alice"].id, ["bot"])
    login(client, *ALICE_BP)
    rights = userinfo(client)["rights"]
    assert {"bot", "apihighlimits", "sendemail", "edit", "read", "writeapi"} <= set(rights)
    assert "viewmyprivateinfo" not in rights and "move" not in rights and "massmessage" not in rights
    bob = new_client(client)
    login(bob, "Bob@nomail", "bobbotpass0123456789abcdefghijkl")
    assert "sendemail" not in userinfo(bob)["rights"]
    # The alternative form: lgname=User, lgpassword=AppId@secret.
    third = new_client(client)
    answer = login(third, "Alice", "anchor@alicebotpass0123456789abcdefghij")
    assert answer == {"result": "Success", "lguserid": anchor["Alice"].id, "lgusername": "Alice"}
    assert "anchorwiki_BPsession" in third.cookies


def test_deleting_a_bot_password_ends_its_sessions(wiki: Wiki, client: TestClient) -> None:
    anchor = setup_anchorwiki(wiki)
    login(client, *ALICE_BP)
    assert userinfo(client)["name"] == "Alice"
    wiki.botpasswords.delete(anchor["Alice"].id, "anchor")
    assert "anon" in userinfo(client)


def test_checktoken_results_and_percent_encoding_warning(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    login(client, "Erin", "erin-anchor-pass")
    good = token(client)
    answer = post(client, action="checktoken", type="csrf", token=good)
    assert answer["checktoken"]["result"] == "valid"
    assert answer["checktoken"]["generated"].endswith("Z")
    wiki.clock.advance(100)
    assert (
        post(client, action="checktoken", type="csrf", token=good, maxtokenage="10")["checktoken"]["result"]
        == "expired"
    )
    assert post(client, action="checktoken", type="watch", token=good)["checktoken"]["result"] == "invalid"
    mangled = post(client, action="checktoken", type="csrf", token=good[:-2] + " \\")
    assert mangled["checktoken"] == {"result": "invalid"}
    assert mangled["warnings"]["checktoken"]["*"] == (
        'Check that symbols such as "+" in the token are properly percent-encoded in the URL.'
    )


def test_legacy_action_tokens(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    anon = get(client, action="tokens", type="edit|email")
    assert anon["tokens"] == {"edittoken": "+\\", "emailtoken": "+\\"}
    login(client, "Gina", "gina-anchor-pass")
    answer = get(client, action="tokens", type="edit|email|watch")
    csrf = token(client)
    assert answer["tokens"]["edittoken"] == answer["tokens"]["emailtoken"] == csrf
    assert answer["tokens"]["watchtoken"] != csrf
    assert answer["warnings"]["tokens"]["*"] == (
        '"action=tokens" has been deprecated. Please use "action=query&meta=tokens" instead.'
    )
    assert list(answer["warnings"]) == ["main", "tokens"]
    assert get(client, action="tokens")["tokens"] == {"edittoken": csrf}


def test_tokens_refused_without_same_origin(client: TestClient) -> None:
    answer = get(client, action="query", meta="tokens", type="login", origin="*")
    assert "tokens" not in answer.get("query", {})
    assert (
        "set-cookie"
        not in client.get(
            API, params={"action": "query", "meta": "tokens", "type": "login", "origin": "*"}
        ).headers
    )
