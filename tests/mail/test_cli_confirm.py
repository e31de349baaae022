"""The mail CLI (typer's runner on a real store) and Special:ConfirmEmail over HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.emailuser.helpers import setup_users
from tests.emailuser.test_emailuser_service import actor
from wikipost.app import build_app
from wikipost.cli.main import app
from wikipost.wiki import Wiki


def cli(wiki: Wiki, tmp_path: Path, *args: str) -> str:
    config = tmp_path / "cli.toml"
    s = wiki.settings
    config.write_text(
        f'[database]\nurl = "{s.database.url}"\n[mail]\nbackend = "memory"\n'
        f'[site]\nname = "{s.site.name}"\nserver = "{s.site.server}"\n'
        f'password_sender = "{s.site.password_sender}"\nwiki_id = "{s.site.wiki_id}"\n'
    )
    result = CliRunner().invoke(app, ["--data-dir", str(s.data_dir), "--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_mail_list_shows_states_and_errors(make_wiki: Callable[..., Wiki], tmp_path: Path) -> None:
    wiki = make_wiki()
    setup_users(wiki)
    wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "First", "t", False)
    wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "Second", "t", False)
    (row, _) = wiki.outbox.claim(1) + [None]
    assert row is not None
    from wikipost.mail.backends.base import DeliveryError

    wiki.outbox.record([(row, DeliveryError("550 no such user", permanent=True))])
    everything = cli(wiki, tmp_path, "mail", "list")
    assert "failed" in everything and "550 no such user" in everything and "'Second'" in everything
    queued = cli(wiki, tmp_path, "mail", "list", "--status", "queued")
    assert "'Second'" in queued and "'First'" not in queued
    assert "queued 1" in queued and "failed 1" in queued


def test_ratelimit_reset_for_a_user(
    make_wiki: Callable[..., Wiki], tmp_path: Path, fresh_redis_url: str
) -> None:
    wiki = make_wiki(ratelimits={"storage": fresh_redis_url, "emailuser": {"user": [1, 86400]}})
    setup_users(wiki)
    alice = actor(wiki, "Alice")
    assert wiki.emailuser.send(alice, "ip", "Bob", "1", "t", False).result == "Success"
    assert not wiki.ratelimiter.allowed("emailuser", alice, "ip")
    config_extra = f'[ratelimits]\nstorage = "{fresh_redis_url}"\nemailuser = {{user = [1, 86400]}}\n'
    out = _cli_with(wiki, tmp_path, config_extra, "ratelimit", "reset", "--user", "alice")
    assert "Alice" in out
    assert wiki.ratelimiter.allowed("emailuser", alice, "ip")


def _cli_with(wiki: Wiki, tmp_path: Path, extra: str, *args: str) -> str:
    config = tmp_path / "cli2.toml"
    s = wiki.settings
    config.write_text(f'[database]\nurl = "{s.database.url}"\n[site]\nwiki_id = "{s.site.wiki_id}"\n' + extra)
    result = CliRunner().invoke(app, ["--data-dir", str(s.data_dir), "--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_confirmation_link_confirms_once(make_wiki: Callable[..., Wiki], tmp_path: Path) -> None:
    wiki = make_wiki()
    users = setup_users(wiki)
    assert users.dave.email_authenticated is None
    cli(wiki, tmp_path, "user", "send-confirmation", "dave")
    wiki.background().drain()
    (mail,) = wiki.mailer.outbox  # type: ignore[attr-defined]
    assert mail.recipients == ("dave@anchor.test",)
    link = re.search(rb"http://127\.0\.0\.1:8081/w/index\.php/Special:ConfirmEmail/(\w+)", mail.raw)
    assert link is not None
    token = link.group(1).decode()
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        bad = client.get("/w/index.php/Special:ConfirmEmail/" + "0" * 32)
        assert bad.status_code == 400 and "Invalid confirmation code" in bad.text
        ok = client.get("/w/index.php", params={"title": f"Special:ConfirmEmail/{token}"})
        assert ok.status_code == 200 and "has been confirmed" in ok.text
        again = client.get(f"/w/index.php/Special:ConfirmEmail/{token}")
        assert again.status_code == 400 and "already been used" in again.text
    dave = wiki.users.get_by_name("Dave")
    assert dave is not None and dave.email_confirmed
    # Only the hash is stored.
    from sqlalchemy import select

    from wikipost.db.schema.accounts import email_tokens

    with wiki.db.read() as conn:
        stored = conn.execute(select(email_tokens.c.token_hash)).scalars().all()
    assert token not in stored and len(stored) == 1


def test_confirmation_expires_after_seven_days(wiki: Wiki) -> None:
    setup_users(wiki)
    wiki.email_confirmation.send("Dave")
    wiki.background().drain()
    raw = wiki.mailer.outbox[0].raw  # type: ignore[attr-defined]
    token = re.search(rb"ConfirmEmail/(\w+)", raw).group(1).decode()  # type: ignore[union-attr]
    wiki.clock.advance(7 * 86400 + 1)
    outcome = wiki.email_confirmation.confirm(token)
    assert not outcome.ok and outcome.reason == "expired"
    dave = wiki.users.get_by_name("Dave")
    assert dave is not None and not dave.email_confirmed
