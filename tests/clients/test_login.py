"""Real clients log in with a bot password made by the CLI and read who they are."""

from __future__ import annotations

from pathlib import Path

import mwapi
import mwclient
import mwclient.errors
import pytest

from tests.clients.support import BOT_PASSWORD, create_account, require_modules, run_pywikibot
from tests.live import LiveServer

UA = "wikipost-tests/1.0 (tests@anchor.test)"


def _mwclient(server: LiveServer) -> mwclient.Site:
    return mwclient.Site(
        f"127.0.0.1:{server.port}", path=f"{server.script_path}/", scheme="http", clients_useragent=UA
    )


def _mwapi(server: LiveServer) -> mwapi.Session:
    return mwapi.Session(server.base_url, user_agent=UA, api_path=f"{server.script_path}/api.php")


def test_mwclient_bot_password_login(live_server: LiveServer) -> None:
    require_modules("login", "query+siteinfo", "query+userinfo")
    alice = create_account(live_server, "Alice")
    site = _mwclient(live_server)
    site.login(alice.bot_login, BOT_PASSWORD)
    assert site.logged_in
    assert site.username == "Alice"
    info = site.api("query", meta="userinfo", uiprop="groups|rights")["query"]["userinfo"]
    assert info["name"] == "Alice" and "anon" not in info
    assert "user" in info["groups"]
    token = site.get_token("csrf")
    assert token.endswith("+\\") and token != "+\\"


def test_mwclient_wrong_bot_password_is_a_login_error(live_server: LiveServer) -> None:
    require_modules("login", "query+siteinfo", "query+userinfo")
    alice = create_account(live_server, "Alice")
    site = _mwclient(live_server)
    with pytest.raises(mwclient.errors.LoginError) as caught:
        site.login(alice.bot_login, "x" * 32)
    assert caught.value.args[1]  # the `reason` mwclient reads must be there
    # (mwclient's own `logged_in` flag is True after any answer without userinfo; ask the server.)
    info = site.api("query", meta="userinfo")["query"]["userinfo"]
    assert "anon" in info and info["id"] == 0


def test_mwapi_bot_password_login_workaround(live_server: LiveServer) -> None:
    """mediawiki-utilities/python-mwapi#35: action=login by hand, then the session is Alice."""
    require_modules("login", "query+userinfo")
    alice = create_account(live_server, "Alice")
    session = _mwapi(live_server)
    token = session.get(action="query", meta="tokens", type="login")["query"]["tokens"]["logintoken"]
    doc = session.post(action="login", lgname=alice.bot_login, lgpassword=BOT_PASSWORD, lgtoken=token)
    assert doc["login"]["result"] == "Success"
    assert doc["login"]["lgusername"] == "Alice"
    info = session.get(action="query", meta="userinfo")["query"]["userinfo"]
    assert info["name"] == "Alice"
    csrf = session.get(action="query", meta="tokens")["query"]["tokens"]["csrftoken"]
    assert csrf != "+\\" and csrf.endswith("+\\")


def test_mwapi_stale_login_token_is_not_success(live_server: LiveServer) -> None:
    require_modules("login")
    alice = create_account(live_server, "Alice")
    session = _mwapi(live_server)
    doc = session.post(
        action="login",
        lgname=alice.bot_login,
        lgpassword=BOT_PASSWORD,
        lgtoken="0123456789abcdef0123456789abcdef01234567+\\",
    )
    assert doc["login"]["result"] in ("WrongToken", "NeedToken", "Failed")


def test_pywikibot_bot_password_login(live_server: LiveServer, tmp_path: Path) -> None:
    require_modules("login", "query+siteinfo", "query+userinfo", "paraminfo")
    create_account(live_server, "Alice")
    result = run_pywikibot(
        tmp_path,
        live_server,
        """
        site.login()
        result = {
            "logged_in": site.logged_in(),
            "user": site.user(),
            "name": site.userinfo["name"],
            "csrf": site.tokens["csrf"],
        }
    """,
        user="Alice",
    )
    assert result["logged_in"] is True
    assert result["user"] == "Alice" and result["name"] == "Alice"
    assert result["csrf"].endswith("+\\") and result["csrf"] != "+\\"
