"""The accounts commands, through typer's CliRunner on a real store."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.accounts.helpers import login, userinfo
from wikipost.app import build_app
from wikipost.cli.main import app
from wikipost.settings import Settings
from wikipost.wiki import build_wiki


def run(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_user_botpassword_block_commands(tmp_path: Path) -> None:
    run(tmp_path, "init")
    run(
        tmp_path,
        "user",
        "create",
        "Ann",
        "--password",
        "ann-pass-1",
        "--email",
        "ann@x.test",
        "--confirmed",
        "--group",
        "sysop",
    )
    run(tmp_path, "user", "create", "Ben", "--password", "ben-pass-1")
    run(tmp_path, "user", "set-password", "Ben", "ben-pass-2")
    run(tmp_path, "user", "set-option", "Ann", "email-blacklist", "Ben|Ann")
    out = run(tmp_path, "botpassword", "create", "Ann", "tool", "--grants", "basic,sendemail")
    login_name = out.split("login name: ")[1].split()[0]
    secret = out.split("password: ")[1].split()[0]
    assert login_name == "Ann@tool" and len(secret) == 32
    run(tmp_path, "block", "Ben", "--noemail", "--reason", "spam", "--expiry", "3 days", "--by", "Ann")
    bad = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "user", "create", "Ann", "--password", "x"])
    assert bad.exit_code == 1

    wiki = build_wiki(Settings(data_dir=tmp_path))
    try:
        ann, ben = wiki.users.get_by_name("Ann"), wiki.users.get_by_name("Ben")
        assert ann is not None and ben is not None and ann.groups == ("sysop",) and ann.email_confirmed
        assert wiki.users.get_options(ann.id)["email-blacklist"] == f"{ben.id}\n{ann.id}"
        block = wiki.users.get_block(ben.id)
        assert block is not None and block.block_email and block.by_name == "Ann"
        assert block.expiry is not None and block.reason == "spam"
        with TestClient(build_app(wiki), base_url="http://127.0.0.1:8080") as client:
            assert login(client, login_name, secret)["result"] == "Success"
            assert "sendemail" in userinfo(client)["rights"]
            other = TestClient(client.app, base_url="http://127.0.0.1:8080")
            assert login(other, "Ben", "ben-pass-2")["result"] == "Success"
        run(tmp_path, "unblock", "Ben")
        assert wiki.users.get_block(ben.id) is None
    finally:
        wiki.close()


def test_demo_admin_only_on_an_empty_store(tmp_path: Path) -> None:
    run(tmp_path, "init")
    first = run(tmp_path, "demo-admin")
    assert "Admin@demo" in first and "Try:" in first
    assert run(tmp_path, "demo-admin") == ""
    wiki = build_wiki(Settings(data_dir=tmp_path))
    try:
        admin = wiki.users.get_by_name("Admin")
        assert admin is not None and set(admin.groups) == {"bureaucrat", "interface-admin", "sysop"}
        bp = wiki.botpasswords.get(admin.id, "demo")
        assert bp is not None and set(bp.grants) == {"basic", "highvolume", "sendemail", "editpage"}
    finally:
        wiki.close()


def test_init_creates_only_the_installers_system_user(tmp_path: Path) -> None:
    run(tmp_path, "init")
    wiki = build_wiki(Settings(data_dir=tmp_path))
    try:
        assert wiki.users.count() == 1
        (only,) = wiki.users.get_many(ids=[1])
        assert only.name == "MediaWiki default" and only.is_system
    finally:
        wiki.close()
