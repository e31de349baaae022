"""Real clients start anonymously against a live `wikipost serve`: siteinfo, userinfo, tokens."""

from __future__ import annotations

from pathlib import Path

import mwapi
import mwapi.errors
import mwclient
import pytest

from tests.clients.support import require_modules, run_pywikibot
from tests.live import LiveServer

UA = "wikipost-tests/1.0 (tests@anchor.test)"


def _mwapi(server: LiveServer, **kwargs: object) -> mwapi.Session:
    return mwapi.Session(server.base_url, user_agent=UA, api_path=f"{server.script_path}/api.php", **kwargs)


def test_mwapi_reads_the_anonymous_csrf_token(live_server: LiveServer) -> None:
    session = _mwapi(live_server)
    doc = session.get(action="query", meta="tokens")
    assert doc["query"]["tokens"]["csrftoken"] == "+\\"
    doc2 = _mwapi(live_server, formatversion=2).get(action="query", meta="tokens", type="csrf")
    assert doc2["query"]["tokens"] == {"csrftoken": "+\\"}


def test_mwapi_gets_api_errors_as_exceptions(live_server: LiveServer) -> None:
    session = _mwapi(live_server)
    with pytest.raises(mwapi.errors.APIError) as caught:
        session.get(action="no-such-action")
    assert caught.value.code == "badvalue"
    assert 'Unrecognized value for parameter "action"' in caught.value.info


def test_mwapi_login_token_sets_a_session_cookie(live_server: LiveServer) -> None:
    session = _mwapi(live_server)
    doc = session.get(action="query", meta="tokens", type="login")
    token = doc["query"]["tokens"]["logintoken"]
    assert token.endswith("+\\") and len(token) > 2
    assert any(c.name == "anchorwiki_session" for c in session.session.cookies)


def test_mwapi_reads_siteinfo(live_server: LiveServer) -> None:
    require_modules("query+siteinfo")
    doc = _mwapi(live_server, formatversion=2).get(
        action="query", meta="siteinfo", siprop="general|namespaces"
    )
    general = doc["query"]["general"]
    assert general["sitename"] == "AnchorWiki"
    assert general["server"] == live_server.base_url
    assert general["generator"].startswith("MediaWiki 1.")
    assert doc["query"]["namespaces"]["3"]["name"] == "User talk"


def test_mwclient_site_starts_anonymously(live_server: LiveServer) -> None:
    require_modules("query+siteinfo", "query+userinfo")
    site = mwclient.Site(
        f"127.0.0.1:{live_server.port}",
        path=f"{live_server.script_path}/",
        scheme="http",
        clients_useragent=UA,
    )
    assert site.site["sitename"] == "AnchorWiki"
    assert site.version is not None and site.version[:2] >= (1, 16)
    assert not site.logged_in
    assert site.namespaces[2] == "User"
    assert site.get_token("csrf") == "+\\"


def test_pywikibot_site_starts_anonymously(live_server: LiveServer, tmp_path: Path) -> None:
    require_modules("query+siteinfo", "query+userinfo", "paraminfo")
    result = run_pywikibot(
        tmp_path,
        live_server,
        """
        result = {
            "version": str(site.mw_version),
            "sitename": site.siteinfo["sitename"],
            "logged_in": site.logged_in(),
            "user_ns": site.namespaces[2].custom_name,
            "userinfo_name": site.userinfo["name"],
        }
    """,
    )
    assert result["sitename"] == "AnchorWiki"
    assert result["version"].startswith("1.")
    assert result["logged_in"] is False
    assert result["user_ns"] == "User"
    assert result["userinfo_name"] == "127.0.0.1"
