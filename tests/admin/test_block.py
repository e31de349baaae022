"""action=block, action=unblock and list=blocks against a live server: a ``noemail`` block is
exactly what makes ``emailuser`` answer ``blockedfrommail``; the ``block``/``reblock``/
``unblock`` log entries; reblocking; every documented error and the rights each needs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.admin.support import Api, error_of, logged_in, module_server
from tests.live import LiveServer

pytestmark = pytest.mark.live
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
NOT_ALLOWED = "You don't have permission to block this user from editing."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    users = {
        "Admin": ("sysop",),
        "Admin2": ("sysop",),
        "Blocker": ("blocker",),
        "Plain": (),
        "Vandal": (),
        "Spammer": (),
        "Eve": (),
        "Listed": (),
    }
    # A group with the block right but not blockemail.
    yield from module_server(tmp_path_factory, "block", users, {"permissions": {"blocker": ["block"]}})


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Api:
    return logged_in(server, "Admin")


def block(api: Api, **params: Any) -> dict[str, Any]:
    return dict(api.post(action="block", token=api.token(), **params))


def unblock(api: Api, **params: Any) -> dict[str, Any]:
    return dict(api.post(action="unblock", token=api.token(), **params))


def email(api: Api, subject: str) -> dict[str, Any]:
    answer = api.post(action="emailuser", target="Plain", subject=subject, text="Hello.", token=api.token())
    return dict(answer)


def test_a_noemail_block_is_what_emailuser_answers_blockedfrommail(server: LiveServer, admin: Api) -> None:
    spammer = logged_in(server, "Spammer")
    assert email(spammer, "before")["emailuser"]["result"] == "Success"

    done = block(
        admin, user="spammer", expiry="3 days", reason="mail spam", noemail=1, nocreate=1, autoblock=1
    )
    result = done["block"]
    assert result["user"] == "Spammer" and result["userID"] == spammer.userinfo()["id"]
    assert ISO.match(result["expiry"]) and isinstance(result["id"], int)
    assert result["reason"] == "mail spam"
    flags = {
        k: result[k] for k in ("anononly", "nocreate", "autoblock", "noemail", "hidename", "allowusertalk")
    }
    assert flags == {
        "anononly": False,
        "nocreate": True,
        "autoblock": True,
        "noemail": True,
        "hidename": False,
        "allowusertalk": False,
    }
    assert error_of(email(spammer, "during")) == (
        "blockedfrommail",
        "You have been blocked from sending email.",
    )

    [entry] = admin.log("block", "User:Spammer")
    assert (entry["action"], entry["user"], entry["comment"]) == ("block", "Admin", "mail spam")
    assert entry["params"]["duration"] == "3 days" and entry["params"]["expiry"] == result["expiry"]
    assert entry["params"]["flags"] == ["nocreate", "noemail", "nousertalk"]
    [listed] = admin.get(action="query", list="blocks", bkusers="Spammer")["query"]["blocks"]
    assert listed["id"] == result["id"] and listed["by"] == "Admin" and listed["expiry"] == result["expiry"]
    assert (listed["noemail"], listed["nocreate"], listed["autoblock"], listed["allowusertalk"]) == (
        True,
        True,
        True,
        False,
    )
    info = admin.user("Spammer")
    assert info["blockid"] == result["id"] and info["blockreason"] == "mail spam"

    lifted = unblock(admin, user="Spammer", reason="promised to stop")
    assert lifted["unblock"] == {
        "id": result["id"],
        "user": "Spammer",
        "userid": result["userID"],
        "reason": "promised to stop",
    }
    newest = admin.log("block", "User:Spammer")[0]
    assert (newest["action"], newest["comment"], newest["params"]) == ("unblock", "promised to stop", {})
    assert email(spammer, "after")["emailuser"]["result"] == "Success"
    assert admin.get(action="query", list="blocks", bkusers="Spammer")["query"]["blocks"] == []


def test_reblocking(admin: Api) -> None:
    first = block(admin, user="Vandal", expiry="infinite", reason="first")
    assert first["block"]["expiry"] == "infinite"
    again = block(admin, user="Vandal", expiry="1 week")
    assert error_of(again) == ("alreadyblocked", '"Vandal" is already blocked.')
    same = block(admin, user="Vandal", expiry="infinite", reason="first", reblock=1)
    assert error_of(same)[0] == "alreadyblocked"  # nothing would change
    changed = block(admin, user="Vandal", expiry="1 week", reason="second", reblock=1, noemail=1)
    assert changed["block"]["id"] and changed["block"]["noemail"] is True
    actions = [(e["action"], e["comment"]) for e in admin.log("block", "User:Vandal")]
    assert actions == [("reblock", "second"), ("block", "first")]
    [listed] = admin.get(action="query", list="blocks", bkusers="Vandal")["query"]["blocks"]
    assert listed["reason"] == "second" and listed["noemail"] is True
    assert unblock(admin, id=str(listed["id"]))["unblock"]["user"] == "Vandal"


@pytest.mark.parametrize(
    ("who", "params", "code", "info"),
    [
        ("Plain", {"user": "Eve"}, "permissiondenied", NOT_ALLOWED),
        (
            "Blocker",
            {"user": "Eve", "noemail": "1"},
            "cantblock-email",
            "You don't have permission to block users from sending email through the wiki.",
        ),
        (
            "Admin",
            {"user": "Nobody here"},
            "nosuchuser",
            'There is no user by the name "Nobody here". Check your spelling.',
        ),
        ("Admin", {"user": "Bad|Name"}, "baduser", None),
        ("Admin", {"user": "Eve", "expiry": "next blue moon"}, "invalidexpiry", "Expiry time invalid."),
        (
            "Admin",
            {"user": "Eve", "expiry": "2001-01-01T00:00:00Z"},
            "ipb_expiry_old",
            "Expiry time is in the past.",
        ),
        ("Admin", {}, "missingparam", 'One of the parameters "user" and "userid" is required.'),
        (
            "Admin",
            {"user": "Eve", "userid": "2"},
            "invalidparammix",
            'The parameters "user" and "userid" can not be used together.',
        ),
        ("Admin", {"userid": "987654"}, "nosuchuserid", "There is no user with ID 987654."),
        ("Admin", {"user": "Eve", "hidename": "1"}, "permissiondenied", None),
        ("Admin", {"user": "Eve", "tags": "no-such-tag"}, "badtags", None),
    ],
)
def test_block_errors(
    server: LiveServer, who: str, params: dict[str, str], code: str, info: str | None
) -> None:
    api = logged_in(server, who)
    got = error_of(block(api, **params))
    assert got[0] == code, got
    if info is not None:
        assert got[1] == info
    assert "blockid" not in api.user("Eve")


def test_the_blocker_group_blocks_without_noemail(server: LiveServer) -> None:
    blocker = logged_in(server, "Blocker")
    assert block(blocker, user="Eve", expiry="2 hours")["block"]["user"] == "Eve"
    assert unblock(blocker, user="Eve")["unblock"]["user"] == "Eve"


@pytest.mark.parametrize(
    ("who", "params", "code", "info"),
    [
        ("Plain", {"user": "Listed"}, "permissiondenied", "You don't have permission to unblock users."),
        (
            "Admin",
            {"user": "Eve"},
            "cantunblock",
            "Error: Block ID Eve not found. It may have been unblocked already.",
        ),
        (
            "Admin",
            {"id": "987654"},
            "cantunblock",
            "Error: Block ID 987654 not found. It may have been unblocked already.",
        ),
        ("Admin", {}, "missingparam", 'One of the parameters "id", "user" and "userid" is required.'),
        (
            "Admin",
            {"id": "1", "user": "Eve"},
            "invalidparammix",
            'The parameters "id" and "user" can not be used together.',
        ),
        ("Admin", {"userid": "987654"}, "nosuchuserid", "There is no user with ID 987654."),
    ],
)
def test_unblock_errors(server: LiveServer, who: str, params: dict[str, str], code: str, info: str) -> None:
    api = logged_in(server, who)
    assert error_of(unblock(api, **params)) == (code, info)


def test_a_blocked_admin_may_only_lift_their_own_block(server: LiveServer, admin: Api) -> None:
    assert block(admin, user="Admin2", expiry="1 day", reason="rogue admin")["block"]["user"] == "Admin2"
    rogue = logged_in(server, "Admin2")
    refused = block(rogue, user="Plain")
    assert error_of(refused) == (
        "ipbblocked",
        "You cannot block or unblock other users because you are yourself blocked.",
    )
    assert error_of(unblock(rogue, user="Listed"))[0] == "ipbblocked"
    assert unblock(rogue, user="Admin2")["unblock"]["user"] == "Admin2"  # sysops hold unblockself


def test_list_blocks(server: LiveServer, admin: Api) -> None:
    for name in ("Listed", "Eve"):
        block(admin, user=name, expiry="infinite", reason=f"list {name}")
    anon = Api(server)
    newest = anon.get(action="query", list="blocks", bklimit="1")
    [first] = newest["query"]["blocks"]
    assert first["user"] == "Eve" and first["expiry"] == "infinity" and first["reason"] == "list Eve"
    following = anon.get(action="query", list="blocks", bklimit="1", **newest["continue"])
    assert following["query"]["blocks"][0]["user"] == "Listed"
    oldest_first = anon.get(action="query", list="blocks", bkdir="newer", bkprop="user|userid|byid")
    users = [b["user"] for b in oldest_first["query"]["blocks"]]
    assert users.index("Listed") < users.index("Eve")
    assert set(oldest_first["query"]["blocks"][0]) == {"user", "userid", "byid"}
    by_id = anon.get(action="query", list="blocks", bkids=str(first["id"]))["query"]["blocks"]
    assert [b["user"] for b in by_id] == ["Eve"]
    for params in ({"bkip": "192.0.2.1"}, {"bkshow": "!account"}, {"bkshow": "ip"}):
        assert anon.get(action="query", list="blocks", **params)["query"]["blocks"] == []
    assert error_of(anon.get(action="query", list="blocks", bkshow="account|!account"))[0] == "show"
    assert (
        error_of(anon.get(action="query", list="blocks", bkusers="Eve", bkip="192.0.2.1"))[0]
        == "invalidparammix"
    )
    assert error_of(anon.get(action="query", list="blocks", bkip="not an ip"))[0] == "param_ip"
    for name in ("Listed", "Eve"):
        unblock(admin, user=name)
