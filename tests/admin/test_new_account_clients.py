"""An account created through action=createaccount, end to end with real clients: it logs in
with mwclient (clientlogin) and pywikibot (its main password), gets the confirmation mail in the
maildir, may email once confirmed, and an administrator's ``noemail`` block through action=block
turns its next ``emailuser`` into ``blockedfrommail``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mwclient
import mwclient.errors
import pytest
import requests

from tests.admin.support import Api, confirmation_link, logged_in, mails_to, module_server, wait_for
from tests.clients.support import FAMILY, write_pywikibot_config
from tests.live import LiveServer

pytestmark = pytest.mark.live
UA = "wikipost-tests/1.0 (tests@anchor.test)"
NAME = "Fresh client"
PASSWORD = "fresh-client-pass-4"
ADDRESS = "fresh.client@anchor.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    users = {"Admin": ("sysop",), "Receiver": ()}
    yield from module_server(tmp_path_factory, "new-account-clients", users, {"mail": {"backend": "maildir"}})


def mwclient_site(server: LiveServer) -> mwclient.Site:
    return mwclient.Site(
        f"127.0.0.1:{server.port}", path=f"{server.script_path}/", scheme="http", clients_useragent=UA
    )


def mwclient_email(site: mwclient.Site, subject: str) -> Any:
    """action=emailuser to Receiver through mwclient's own request path (its ``Site.email``
    cannot re-raise an API error: ``EmailError(*e)`` on an exception)."""
    token = site.get_token("email")
    return site.post("emailuser", target="Receiver", subject=subject, text="Hello.", token=token)


def pywikibot_login(tmp_path: Path, server: LiveServer, user: str, password: str) -> Any:
    """Log in with pywikibot (a main-account password in its password file) in a fresh process;
    what the site says about the user afterwards."""
    base = write_pywikibot_config(tmp_path / "pywikibot", server, None)
    config = base / "user-config.py"
    config.write_text(
        config.read_text() + f"usernames[{FAMILY!r}]['*'] = {user!r}\npassword_file = 'user-password.py'\n"
    )
    secrets = base / "user-password.py"
    secrets.write_text(f"({user!r}, {password!r})\n")
    secrets.chmod(0o600)
    script = textwrap.dedent(
        f"""
        import json, pywikibot
        site = pywikibot.Site({FAMILY!r}, {FAMILY!r})
        site.login()
        print("RESULT " + json.dumps({{"user": site.user(), "logged_in": site.logged_in(),
                                       "groups": list(site.userinfo["groups"])}}))
        """
    )
    env = {**os.environ, "PYWIKIBOT_DIR": str(base)}
    env.pop("PYWIKIBOT_NO_USER_CONFIG", None)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, env=env, cwd=base
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise AssertionError(f"pywikibot exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def test_a_new_account_logs_in_confirms_emails_and_is_blocked_from_mail(
    server: LiveServer, tmp_path: Path
) -> None:
    anon = Api(server)
    created = anon.post(
        action="createaccount",
        username=NAME,
        password=PASSWORD,
        retype=PASSWORD,
        email=ADDRESS,
        createreturnurl=server.base_url,
        createtoken=anon.token("createaccount"),
    )
    assert created["createaccount"] == {"status": "PASS", "username": "Fresh client"}

    site = mwclient_site(server)
    assert site.clientlogin(username=NAME, password=PASSWORD) is True
    assert site.api("query", meta="userinfo")["query"]["userinfo"]["name"] == NAME
    with pytest.raises(mwclient.errors.APIError) as unconfirmed:
        mwclient_email(site, "Too early")
    assert unconfirmed.value.code == "cantsend"

    [mail] = wait_for(lambda: mails_to(server, ADDRESS))
    assert requests.get(confirmation_link(mail), timeout=30).status_code == 200
    sent = mwclient_email(site, "Greetings")
    assert sent["emailuser"]["result"] == "Success"
    assert wait_for(lambda: mails_to(server, "receiver@anchor.test"))

    seen = pywikibot_login(tmp_path, server, NAME, PASSWORD)
    assert seen == {"user": NAME, "logged_in": True, "groups": ["*", "user", "autoconfirmed"]}

    admin = logged_in(server, "Admin")
    blocked = admin.post(action="block", user=NAME, noemail=1, reason="mail abuse", token=admin.token())
    assert blocked["block"]["noemail"] is True
    with pytest.raises(mwclient.errors.APIError) as refused:
        mwclient_email(site, "Blocked?")
    assert (refused.value.code, refused.value.info) == (
        "blockedfrommail",
        "You have been blocked from sending email.",
    )
