"""action=userrights against a live server: a bureaucrat changes groups (with expiries), the
``rights`` log entry, list=users and meta=userinfo changing at once, ``[users] add_groups`` /
``remove_groups`` for sysops, silently dropped groups, the token, every documented error, and
the introspection (paraminfo, help, siteinfo) generated from the declarations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.admin.support import Api, error_of, logged_in, module_server
from tests.live import LiveServer

pytestmark = pytest.mark.live
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    users = {
        "Crat": ("bureaucrat",),
        "Mod": ("sysop",),
        "Plain": (),
        "Target": (),
        "Second": (),
        "Third": ("bot",),
        "Blockedmod": ("sysop",),
    }
    config = {"users": {"add_groups": {"sysop": ["bot"]}, "remove_groups": {"sysop": ["bot"]}}}
    yield from module_server(tmp_path_factory, "userrights", users, config)


def change(api: Api, **params: str) -> dict[str, Any]:
    answer = api.post(action="userrights", token=api.token("userrights"), **params)
    return dict(answer)


def test_a_bureaucrat_changes_groups_and_everyone_sees_it_at_once(server: LiveServer) -> None:
    crat = logged_in(server, "Crat")
    target = logged_in(server, "Target")
    assert "block" not in target.userinfo()["rights"]

    added = change(crat, user="Target", add="sysop|bot", expiry="infinite|1 month", reason="trial")
    assert added["userrights"] == {
        "user": "Target",
        "userid": target.userinfo()["id"],
        "added": ["sysop", "bot"],
        "removed": [],
    }
    mine = target.userinfo("groups|rights|groupmemberships")
    assert mine["groups"][:2] == ["bot", "sysop"] and "block" in mine["rights"]
    expiries = {m["group"]: m["expiry"] for m in mine["groupmemberships"]}
    assert expiries["sysop"] == "infinity" and ISO.match(expiries["bot"])
    listed = crat.user("Target")
    assert listed["groups"] == ["bot", "sysop", "*", "user", "autoconfirmed"]
    assert listed["groupmemberships"] == [
        {"group": "bot", "expiry": expiries["bot"]},
        {"group": "sysop", "expiry": "infinity"},
    ]
    [entry] = crat.log("rights", "User:Target")
    assert (entry["action"], entry["user"], entry["comment"]) == ("rights", "Crat", "trial")
    assert entry["params"] == {
        "oldgroups": [],
        "newgroups": ["sysop", "bot"],
        "oldmetadata": [],
        "newmetadata": [
            {"group": "sysop", "expiry": "infinity"},
            {"group": "bot", "expiry": expiries["bot"]},
        ],
    }

    removed = change(crat, user="Target", remove="bot|bureaucrat")
    assert removed["userrights"] == {
        "user": "Target",
        "userid": listed["userid"],
        "added": [],
        "removed": ["bot"],
    }
    assert target.userinfo()["groups"][0] == "sysop" and "bot" not in target.userinfo()["groups"]
    newest = crat.log("rights", "User:Target")[0]
    assert newest["params"]["oldgroups"] == ["bot", "sysop"] and newest["params"]["newgroups"] == ["sysop"]

    again = change(crat, user="Target", add="sysop")  # held, same expiry: nothing to do, no entry
    assert again["userrights"]["added"] == [] and len(crat.log("rights", "User:Target")) == 2


def test_userid_and_the_id_syntax_name_the_user(server: LiveServer) -> None:
    crat = logged_in(server, "Crat")
    second = crat.user("Second")
    by_id = change(crat, userid=str(second["userid"]), add="bot")
    assert by_id["userrights"]["user"] == "Second" and by_id["userrights"]["added"] == ["bot"]
    assert "deprecated" in str(by_id.get("warnings"))
    by_hash = change(crat, user=f"#{second['userid']}", remove="bot")
    assert by_hash["userrights"]["removed"] == ["bot"]


def test_sysops_change_what_add_groups_and_remove_groups_give_them(server: LiveServer) -> None:
    mod = logged_in(server, "Mod")
    changeable = mod.userinfo("changeablegroups")["changeablegroups"]
    assert changeable == {"add": ["bot"], "remove": ["bot"], "add-self": [], "remove-self": []}
    done = change(mod, user="Plain", add="bot|bureaucrat|sysop")
    assert done["userrights"]["added"] == ["bot"]  # the others are dropped without an error
    removed = change(mod, user="Third", remove="bot")
    assert removed["userrights"]["removed"] == ["bot"]
    groups = {
        g["name"]: g
        for g in mod.get(action="query", meta="siteinfo", siprop="usergroups")["query"]["usergroups"]
    }
    assert groups["sysop"]["add"] == ["bot"] and groups["sysop"]["remove"] == ["bot"]
    assert "add" not in groups["bureaucrat"] and "userrights" in groups["bureaucrat"]["rights"]


def test_a_user_who_may_change_nothing_changes_nothing(server: LiveServer) -> None:
    plain = logged_in(server, "Second")
    assert plain.userinfo("changeablegroups")["changeablegroups"]["add"] == []
    done = change(plain, user="Second", add="sysop|bureaucrat", remove="bot")
    assert done["userrights"] == {
        "user": "Second",
        "userid": plain.userinfo()["id"],
        "added": [],
        "removed": [],
    }
    assert plain.log("rights", "User:Second")[0]["user"] == "Crat"  # the earlier test's entries only
    assert "sysop" not in plain.userinfo()["groups"]


@pytest.mark.parametrize(
    ("params", "code", "info"),
    [
        (
            {"user": "Plain", "add": "sysop|bot", "expiry": "1 day|2 days|3 days"},
            "toofewexpiries",
            "3 expiry timestamps were provided where 2 were needed.",
        ),
        ({"user": "Plain", "add": "sysop", "expiry": "next blue moon"}, "invalidexpiry", None),
        (
            {"user": "Plain", "add": "sysop", "expiry": "2001-01-01T00:00:00Z"},
            "pastexpiry",
            'Expiry time "2001-01-01T00:00:00Z" is in the past.',
        ),
        ({"add": "sysop"}, "missingparam", 'One of the parameters "user" and "userid" is required.'),
        (
            {"user": "Plain", "userid": "1", "add": "sysop"},
            "invalidparammix",
            'The parameters "user" and "userid" can not be used together.',
        ),
        (
            {"user": "Nobody here", "add": "sysop"},
            "nosuchuser",
            'There is no user by the name "Nobody here". Check your spelling.',
        ),
        ({"user": "192.0.2.9", "add": "sysop"}, "baduser", None),
        ({"userid": "987654", "add": "sysop"}, "invaliduser", "You have not specified a valid username."),
    ],
)
def test_errors(server: LiveServer, params: dict[str, str], code: str, info: str | None) -> None:
    crat = logged_in(server, "Crat")
    got = error_of(change(crat, **params))
    assert got[0] == code, got
    if info is not None:
        assert got[1] == info
    assert "sysop" not in crat.user("Plain")["groups"]


def test_the_userrights_token(server: LiveServer) -> None:
    crat = logged_in(server, "Crat")
    token = crat.token("userrights")
    assert token != "+\\" and token != crat.token("csrf")
    for wrong in ("+\\", crat.token("csrf")):
        answer = crat.post(action="userrights", user="Plain", add="sysop", token=wrong)
        assert error_of(answer)[0] == "badtoken"
    in_query = crat.session.post(
        server.api_url,
        params={"token": token},
        data={"action": "userrights", "user": "Plain", "add": "sysop", "format": "json"},
    ).json()
    assert error_of(in_query)[0] == "mustpostparams"
    assert "sysop" not in crat.user("Plain")["groups"]


def test_a_blocked_user_without_userrights_is_refused(server: LiveServer) -> None:
    with server.open_wiki() as wiki:
        blocked = wiki.users.get_by_name("Blockedmod")
        assert blocked is not None
        wiki.users.block(blocked.id, reason="rogue")
    mod = logged_in(server, "Blockedmod")
    answer = change(mod, user="Plain", add="bot")
    assert error_of(answer) == ("blocked", "You have been blocked from editing.")
    assert answer["error"]["blockinfo"]["blockreason"] == "rogue"


def test_paraminfo_help_and_siteinfo_come_from_the_declarations(server: LiveServer) -> None:
    api = Api(server)
    modules = "createaccount|userrights|block|unblock|query+blocks"
    info = {m["name"]: m for m in api.get(action="paraminfo", modules=modules)["paraminfo"]["modules"]}
    assert set(info) == {"createaccount", "userrights", "block", "unblock", "blocks"}
    names = {name: [p["name"] for p in m["parameters"]] for name, m in info.items()}
    assert names["userrights"] == [
        "user",
        "userid",
        "add",
        "expiry",
        "remove",
        "reason",
        "token",
        "tags",
        "watchuser",
    ]
    assert names["createaccount"][-1] == "token" and info["createaccount"]["prefix"] == "create"
    token = {
        name: m["parameters"][names[name].index("token")]["tokentype"]
        for name, m in info.items()
        if "token" in names[name]
    }
    assert token == {
        "createaccount": "createaccount",
        "userrights": "userrights",
        "block": "csrf",
        "unblock": "csrf",
    }
    add = info["userrights"]["parameters"][2]
    assert add["type"] == ["bot", "sysop", "interface-admin", "bureaucrat", "suppress"] and add["multi"]
    for name in ("createaccount", "userrights", "block", "unblock"):
        assert info[name]["mustbeposted"] and info[name]["writerights"]
    assert names["block"][:4] == ["user", "userid", "expiry", "reason"] and info["blocks"]["prefix"] == "bk"

    page = api.session.get(
        server.api_url, params={"action": "help", "modules": "block|userrights"}, timeout=30
    )
    assert page.status_code == 200
    for text in ("action=block", "action=userrights", "noemail", "reblock", "expiry"):
        assert text in page.text
    main = api.get(action="paraminfo", modules="main")["paraminfo"]["modules"][0]["parameters"][0]
    assert {"createaccount", "userrights", "block", "unblock"} <= set(main["type"])
    groups = {
        g["name"]: g
        for g in api.get(action="query", meta="siteinfo", siprop="usergroups", sinumberingroup=1)["query"][
            "usergroups"
        ]
    }
    assert {"block", "blockemail", "createaccount"} <= set(groups["sysop"]["rights"])
    assert "createaccount" in groups["*"]["rights"] and "number" not in groups["*"]
    assert groups["bureaucrat"]["number"] == 1 and groups["user"]["number"] >= 7
