"""One whole session against one live server, the way MediaWiki's own API tests run: anonymous
``action=createaccount`` of three users, ``action=userrights`` by a bureaucrat (``sysop`` to one,
``bot`` to another), an edit by each of them, a mass message to their talk pages run by signed
Special:RunJobs requests until ``none-ready`` (the server's worker polls once an hour and the send
is queued in the store, so nothing else runs the queue), and then what the reads show:
``list=users`` groups, ``prop=revisions``, the ``newusers``, ``rights`` and ``create`` log
entries and the new-message notices."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.admin2.conftest import PASSWORD, Api, login
from tests.live import LiveServer, start_live_server
from wikipost.services.massmessage import SendRequest
from wikipost.services.runjobs import signed_request

pytestmark = pytest.mark.live
NEWCOMERS = ("Session one", "Session two", "Session three")
NEW_PASSWORD = "session-pass-4711"
RETURN_URL = "http://127.0.0.1/return"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config = {
        "jobs": {"poll_seconds": 3600.0},
        "users": {"account_creation_throttle": [[100, 86400]]},
    }
    live = start_live_server(tmp_path_factory.mktemp("session"), config, start=False)
    live.cli("user", "create", "Crat", "--password", PASSWORD, "--group", "bureaucrat")
    live.start()
    try:
        yield live
    finally:
        live.stop()


def run_jobs(server: LiveServer, maxjobs: int) -> dict[str, Any]:
    """One signed, synchronous Special:RunJobs request; its JSON report."""
    values = {
        "title": "Special:RunJobs",
        "tasks": "jobs",
        "maxjobs": str(maxjobs),
        "async": "0",
        "stats": "1",
        "sigexpiry": str(int(time.time()) + 60),
    }
    answer = requests.post(
        server.index_url, data=signed_request(values, server.settings().site.secret_key), timeout=60
    )
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def log_entries(api: Api, letype: str) -> list[tuple[str, str, str]]:
    """(action, title, performer) of every ``letype`` entry, oldest first."""
    answer = api.get(action="query", list="logevents", letype=letype, lelimit="max", ledir="newer")
    return [(e["action"], e["title"], e["user"]) for e in answer["query"]["logevents"]]


def test_a_full_session(server: LiveServer) -> None:
    anon = Api(server)
    for name in NEWCOMERS:
        created = anon.post(
            action="createaccount",
            createtoken=anon.token("createaccount"),
            username=name,
            password=NEW_PASSWORD,
            retype=NEW_PASSWORD,
            createreturnurl=RETURN_URL,
        )
        assert created["createaccount"] == {"status": "PASS", "username": name}, created
    assert log_entries(anon, "newusers") == [("create", f"User:{n}", n) for n in NEWCOMERS]

    crat = login(server, "Crat")
    one, two, three = NEWCOMERS
    for user, group in ((one, "sysop"), (two, "bot")):
        changed = crat.post(action="userrights", user=user, add=group, token=crat.token("userrights"))
        assert changed["userrights"]["added"] == [group], changed
    assert log_entries(anon, "rights") == [
        ("rights", f"User:{one}", "Crat"),
        ("rights", f"User:{two}", "Crat"),
    ]
    users = anon.get(action="query", list="users", ususers="|".join(NEWCOMERS), usprop="groups")
    groups = {u["name"]: u["groups"] for u in users["query"]["users"]}
    assert groups == {
        one: ["sysop", "*", "user", "autoconfirmed"],
        two: ["bot", "*", "user", "autoconfirmed"],
        three: ["*", "user", "autoconfirmed"],
    }

    sessions = {name: login(server, name, NEW_PASSWORD) for name in NEWCOMERS}
    for name, session in sessions.items():
        extra = {"bot": "1"} if name == two else {}
        session.edit(f"Session page of {name}", f"Written by [[User:{name}]].", summary="mine", **extra)
    targets = {"description": "", "targets": [{"title": f"User talk:{n}"} for n in NEWCOMERS]}
    sessions[one].edit("Session list", json.dumps(targets), contentmodel="MassMessageListContent")

    with server.open_wiki() as wiki:  # queued in the store: no datagram wakes the worker
        sender = wiki.users.get_by_name(one)
        assert sender is not None
        request = SendRequest(
            spamlist="Session list", subject="Session news", message="Hi ~~~~", page_message=None
        )
        _, count = wiki.massmessage.submit(wiki.users.actor_for(sender), request)
    assert count == 3
    ran: list[str] = []
    for _ in range(10):
        report = run_jobs(server, maxjobs=2)
        ran += [job["type"] for job in report["jobs"] if job["status"] == "ok"]
        if report["reached"] == "none-ready":
            break
    assert report["reached"] == "none-ready"
    assert ran == ["massmessage-submit"] + ["massmessage-deliver"] * 3

    for name, session in sessions.items():
        page = anon.get(
            action="query", prop="revisions", titles=f"Session page of {name}", rvprop="user|comment|content"
        )["query"]["pages"][0]
        [revision] = page["revisions"]
        assert (revision["user"], revision["comment"]) == (name, "mine")
        assert revision["content"] == f"Written by [[User:{name}]]."
        talk = anon.get(action="query", prop="revisions", titles=f"User talk:{name}", rvprop="user|comment")
        assert talk["query"]["pages"][0]["revisions"] == [
            {"user": "MediaWiki message delivery", "comment": "/* Session news */ new section"}
        ]
        info = session.get(action="query", meta="userinfo", uiprop="hasmsg")["query"]["userinfo"]
        assert info["name"] == name and info["messages"] is True

    created = log_entries(anon, "create")
    assert created == [
        ("create", "Main Page", "MediaWiki default"),  # written by ``init``, as 1.39's installer
        *[("create", f"Session page of {n}", n) for n in NEWCOMERS],
        ("create", "Session list", one),
        *[("create", f"User talk:{n}", "MediaWiki message delivery") for n in NEWCOMERS],
    ]
    bots = anon.get(action="query", list="recentchanges", rcshow="bot", rcprop="title|user", rctype="new")
    assert {(c["title"], c["user"]) for c in bots["query"]["recentchanges"]} >= {
        (f"Session page of {two}", two)
    }
