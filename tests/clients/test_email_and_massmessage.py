"""Real clients send email (mwclient Site.email, pywikibot User.send_email) and mass messages."""

from __future__ import annotations

import email
import email.policy
import time
from email.message import EmailMessage
from pathlib import Path

import mwclient
import mwclient.errors
import pytest

from tests.clients.support import (
    BOT_PASSWORD,
    create_account,
    mail_files,
    require_modules,
    run_pywikibot,
)
from tests.live import LiveServer

UA = "wikipost-tests/1.0 (tests@anchor.test)"
LOGIN = ("login", "query+siteinfo", "query+userinfo")


def _site(server: LiveServer, login: str) -> mwclient.Site:
    site = mwclient.Site(
        f"127.0.0.1:{server.port}", path=f"{server.script_path}/", scheme="http", clients_useragent=UA
    )
    site.login(login, BOT_PASSWORD)
    return site


def _delivered(server: LiveServer, count: int, timeout: float = 60) -> list[EmailMessage]:
    """Wait for ``count`` messages in the maildir (the server's worker delivers in the background)."""
    deadline = time.monotonic() + timeout
    while len(mail_files(server)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    server.cli("jobs", "run")  # anything still queued is delivered now
    messages = []
    for path in mail_files(server):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_mwclient_site_email_delivers_one_mail(live_server: LiveServer) -> None:
    require_modules(*LOGIN, "emailuser")
    alice = create_account(live_server, "Alice")
    bob = create_account(live_server, "Bob", bot_password=False)
    site = _site(live_server, alice.bot_login)
    # mwclient sends ccme=False literally; MediaWiki reads presence as true: Alice gets a copy.
    info = site.email("Bob", "Hello Bob, from mwclient.", "mwclient subject")
    assert info["emailuser"]["result"] == "Success"
    messages = _delivered(live_server, 2)
    to_bob = [m for m in messages if bob.email in str(m["To"])]
    assert len(to_bob) == 1
    assert to_bob[0]["Subject"] == "mwclient subject"
    assert "Hello Bob, from mwclient." in _body(to_bob[0])
    assert len([m for m in messages if alice.email in str(m["To"])]) == 1


def test_mwclient_email_to_user_without_address_is_no_specified_email(live_server: LiveServer) -> None:
    require_modules(*LOGIN, "emailuser")
    alice = create_account(live_server, "Alice")
    live_server.cli("user", "create", "Nomail", "--password", "Nomail-password-1")
    site = _site(live_server, alice.bot_login)
    with pytest.raises(mwclient.errors.NoSpecifiedEmail):
        site.email("Nomail", "text", "subject")
    assert _delivered(live_server, 0, timeout=0) == []


def test_pywikibot_user_send_email(live_server: LiveServer, tmp_path: Path) -> None:
    require_modules(*LOGIN, "paraminfo", "query+users", "emailuser")
    create_account(live_server, "Alice")
    bob = create_account(live_server, "Bob", bot_password=False)
    result = run_pywikibot(
        tmp_path,
        live_server,
        """
        site.login()
        bob = pywikibot.User(site, "Bob")
        result = {"emailable": bob.isEmailable(), "sent": bob.send_email("pwb subject", "pwb body")}
    """,
        user="Alice",
    )
    assert result == {"emailable": True, "sent": True}
    messages = _delivered(live_server, 1)
    assert [str(m["Subject"]) for m in messages if bob.email in str(m["To"])] == ["pwb subject"]


def test_pywikibot_recovers_from_badtoken(live_server: LiveServer, tmp_path: Path) -> None:
    """A stale csrf token: pywikibot refreshes its wallet and resends once; one mail goes out."""
    require_modules(*LOGIN, "paraminfo", "query+users", "emailuser")
    create_account(live_server, "Alice")
    bob = create_account(live_server, "Bob", bot_password=False)
    result = run_pywikibot(
        tmp_path,
        live_server,
        """
        site.login()
        good = site.tokens["csrf"]
        stale = "0123456789abcdef0123456789abcdef01234567+\\\\"
        site.tokens._tokens["csrf"] = stale
        sent = pywikibot.User(site, "Bob").send_email("after badtoken", "body")
        result = {"sent": sent, "refreshed": site.tokens["csrf"] != stale,
                  "good": good.endswith("+\\\\")}
    """,
        user="Alice",
    )
    assert result == {"sent": True, "refreshed": True, "good": True}
    messages = _delivered(live_server, 1)
    assert [str(m["Subject"]) for m in messages if bob.email in str(m["To"])] == ["after badtoken"]


def test_mwclient_massmessage_call(live_server: LiveServer) -> None:
    require_modules(*LOGIN, "edit", "massmessage", "query+revisions", "query+info")
    alice = create_account(live_server, "Alice", groups=("sysop", "bot"))
    create_account(live_server, "Bob", bot_password=False)
    site = _site(live_server, alice.bot_login)
    token = site.get_token("csrf")
    site.post(
        "edit", title="Project:Delivery list", text="{{#target:User talk:Bob}}\n", summary="list", token=token
    )
    doc = site.post(
        "massmessage",
        spamlist="Project:Delivery list",
        subject="Client news",
        message="Hello from mwclient.",
        token=token,
    )
    assert doc["massmessage"] == {"result": "success", "count": 1}
    live_server.cli("jobs", "run")
    page = site.pages["User talk:Bob"]
    deadline = time.monotonic() + 60
    while "Client news" not in page.text() and time.monotonic() < deadline:
        live_server.cli("jobs", "run")
        page = site.pages["User talk:Bob"]
    text = page.text()
    assert "== Client news ==" in text and "Hello from mwclient." in text
