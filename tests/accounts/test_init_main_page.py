"""`wikipost init` installs the wiki as MediaWiki 1.39's installer does: the administrator it is
given (user 1), then "MediaWiki default" (user 2) writing page 1, the Main Page — so that every
later id is 1.39's. Checked on a real `wikipost serve` against the pages transcript's records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conformance_compare import record
from tests.live import LiveServer, start_live_server
from wikipost.services.installer import MAIN_PAGE_TEXT


def api(server: LiveServer, session: requests.Session | None = None, **params: str) -> Any:
    return (session or requests).get(server.api_url, params={"format": "json", **params}, timeout=30).json()


def user_ids(server: LiveServer) -> dict[str, int]:
    answer = api(server, action="query", list="allusers", aulimit="max")
    return {u["name"]: u["userid"] for u in answer["query"]["allusers"]}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, list[str]]]:
    """A wiki installed with an administrator, started; the output of both `init` runs."""
    server = start_live_server(tmp_path_factory.mktemp("installed"), init=False, start=False)
    args = ["init", "--admin", "Admin", "--password", "admin-anchor-pass", "--email", "admin@anchor.test"]
    outputs = [server.cli(*args, "--confirmed").stdout, server.cli(*args, "--confirmed").stdout]
    server.start()
    yield server, outputs
    server.stop()


@pytest.mark.live
def test_the_main_page_is_page_1_by_the_installer_as_in_1_39(installed: tuple[LiveServer, list[str]]) -> None:
    server, _ = installed
    by_id = record("titles.pageids")
    theirs = by_id["body"]["query"]["pages"]["1"]
    ours = api(server, **by_id["params"])["query"]["pages"]["1"]
    assert {k: ours[k] for k in ("pageid", "ns", "title", "lastrevid", "length", "new")} == {
        k: theirs[k] for k in ("pageid", "ns", "title", "lastrevid", "length", "new")
    }
    by_revid = record("revisions.revids")
    assert api(server, **by_revid["params"])["query"]["pages"] == by_revid["body"]["query"]["pages"]
    text = api(server, action="query", prop="revisions", titles="Main Page", rvprop="content", rvslots="main")
    revision = next(iter(text["query"]["pages"].values()))["revisions"][0]
    assert revision["slots"]["main"]["*"] == MAIN_PAGE_TEXT and len(MAIN_PAGE_TEXT.encode()) == 755
    page = requests.get(f"{server.index_url}/Main_Page", timeout=30)
    assert page.status_code == 200 and "<strong>MediaWiki has been installed.</strong>" in page.text


@pytest.mark.live
def test_the_admin_is_user_1_and_ids_continue_as_in_1_39(installed: tuple[LiveServer, list[str]]) -> None:
    server, outputs = installed
    assert "created administrator Admin (user 1)" in outputs[0]
    assert "created MediaWiki default (user 2) and the Main Page" in outputs[0]
    assert "created" not in outputs[1]  # idempotent: the second run makes nothing
    server.cli("user", "create", "Alice", "--password", "alice-anchor-pass")
    assert user_ids(server) == {"Admin": 1, "MediaWiki default": 2, "Alice": 3}
    admin = api(server, action="query", list="users", ususers="Admin", usprop="groups")["query"]["users"][0]
    assert set(admin["groups"]) >= {"sysop", "bureaucrat", "interface-admin"}
    session = requests.Session()
    lgtoken = api(server, session, action="query", meta="tokens", type="login")["query"]["tokens"][
        "logintoken"
    ]
    form = {"action": "login", "lgname": "Admin", "lgpassword": "admin-anchor-pass", "lgtoken": lgtoken}
    login = session.post(server.api_url, data={**form, "format": "json"}, timeout=30).json()["login"]
    assert login["result"] == "Success" and login["lguserid"] == 1


@pytest.mark.live
def test_init_without_an_admin_still_installs_and_demo_admin_prints_once(tmp_path: Path) -> None:
    bare = start_live_server(tmp_path / "bare", init=False, start=False)
    assert "created MediaWiki default (user 1) and the Main Page" in bare.cli("init").stdout
    with bare.open_wiki() as wiki, wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, wiki.titles.parse("Main Page"))
        assert page is not None and page.id == 1 and wiki.users.count() == 1
    # The installer's own account is nobody's: the demo administrator still comes (as user 2).
    assert "created administrator Admin (user 2)" in bare.cli("init", "--demo-admin").stdout
    demo = start_live_server(tmp_path / "demo", init=False, start=False)
    first = demo.cli("init", "--demo-admin").stdout
    password = re.search(r"Admin account: Admin / (\S+)", first)
    assert password and "Admin@demo" in first and "(user 1)" in first and "(user 2)" in first
    again = demo.cli("init", "--demo-admin").stdout
    assert "Admin" not in again and "created" not in again
    with demo.open_wiki() as wiki:
        admin = wiki.users.get_by_name("Admin")
        assert admin is not None and admin.id == 1 and admin.email_confirmed
        assert wiki.botpasswords.get(admin.id, "demo") is not None
    refused = demo.cli("init", "--admin", "Someone", check=False)
    assert refused.returncode == 2 and "--password" in refused.stderr
