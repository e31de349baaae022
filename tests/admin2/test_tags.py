"""list=tags and action=tag against a live server: the tags with every prop in both format
versions and continuation; adding and removing tags on a revision, a recent change and a log
entry (and what prop=revisions, list=recentchanges and list=logevents then show); the tag/update
log entry; no-ops; each documented error; the changetags right; blocks; the rate limit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin2.conftest import BASIC_SECRET, EDIT_SECRET, MANUAL_TAG, Api, login
from tests.live import LiveServer

pytestmark = pytest.mark.live


def tag(api: Api, fv: str | None = "2", **params: str) -> Any:
    return api.post(action="tag", token=api.token(), fv=fv, **params)


def latest_revision(api: Api, title: str) -> dict[str, Any]:
    page = api.get(action="query", prop="revisions", titles=title, rvprop="ids|tags")["query"]["pages"][0]
    return dict(page["revisions"][0])


def test_list_tags_with_every_prop(anon: Api) -> None:
    fv1 = anon.get(
        action="query",
        list="tags",
        tglimit="max",
        fv=None,
        tgprop="displayname|description|hitcount|defined|source|active",
    )
    tags = {t["name"]: t for t in fv1["query"]["tags"]}
    assert tags["massmessage-delivery"] == {
        "name": "massmessage-delivery",
        "displayname": "MassMessage delivery",
        "description": "Message delivered by MassMessage",
        "hitcount": tags["massmessage-delivery"]["hitcount"],
        "defined": "",
        "source": ["extension"],
        "active": "",
    }
    assert tags[MANUAL_TAG] == {
        "name": MANUAL_TAG,
        "displayname": MANUAL_TAG,
        "description": "",
        "hitcount": tags[MANUAL_TAG]["hitcount"],
        "defined": "",
        "source": ["manual"],
        "active": "",
    }
    assert tags["mw-new-redirect"]["displayname"] == "New redirect"
    names = [t["name"] for t in fv1["query"]["tags"]]
    assert names == sorted(names)
    plain = anon.get(action="query", list="tags", tglimit="2")
    assert plain["query"]["tags"] == [{"name": names[0]}, {"name": names[1]}]
    assert plain["continue"] == {"tgcontinue": names[2], "continue": "-||"}
    rest = anon.get(action="query", list="tags", tglimit="2", tgcontinue=names[2], tgprop="defined")
    assert rest["query"]["tags"] == [{"name": names[2], "defined": True}, {"name": names[3], "defined": True}]


def test_add_and_remove_on_a_revision(admin: Api, anon: Api) -> None:
    admin.edit("Tags revision", "Tag me")
    rev = latest_revision(admin, "Tags revision")
    added = tag(admin, revid=str(rev["revid"]), add=MANUAL_TAG, reason="good one", tags=MANUAL_TAG)["tag"][0]
    assert list(added) == ["revid", "status", "actionlogid", "added", "removed"]
    assert added["status"] == "success" and added["added"] == [MANUAL_TAG] and added["removed"] == []
    assert latest_revision(admin, "Tags revision")["tags"] == [MANUAL_TAG]
    changes = anon.get(action="query", list="recentchanges", rctitle="Tags revision", rcprop="ids|tags")
    assert changes["query"]["recentchanges"][0]["tags"] == [MANUAL_TAG]
    entry = anon.get(
        action="query", list="logevents", letype="tag", leprop="ids|title|type|user|details|tags|comment"
    )
    first = entry["query"]["logevents"][0]
    assert first["logid"] == added["actionlogid"] and first["title"] == "Tags revision"
    assert (first["type"], first["action"], first["user"], first["comment"]) == (
        "tag",
        "update",
        "Admin",
        "good one",
    )
    assert first["params"] == {
        "revid": rev["revid"],
        "logid": False,
        "tagsAdded": [MANUAL_TAG],
        "tagsAddedCount": 1,
        "tagsRemoved": [],
        "tagsRemovedCount": 0,
        "initialTags": [],
    }
    assert first["tags"] == [MANUAL_TAG]  # tags= applied to the log entry itself
    not_in_rc = anon.get(action="query", list="recentchanges", rctype="log", rcprop="loginfo", rclimit="max")
    assert all(c.get("logtype") != "tag" for c in not_in_rc["query"]["recentchanges"])
    again = tag(admin, revid=str(rev["revid"]), add=MANUAL_TAG)["tag"][0]
    assert again == {"revid": rev["revid"], "status": "success", "noop": True}
    removed = tag(admin, revid=str(rev["revid"]), remove=MANUAL_TAG)["tag"][0]
    assert removed["removed"] == [MANUAL_TAG] and removed["added"] == []
    assert latest_revision(admin, "Tags revision")["tags"] == []
    counts = anon.get(action="query", list="tags", tgprop="hitcount", tglimit="max")["query"]["tags"]
    assert {t["name"]: t["hitcount"] for t in counts}[MANUAL_TAG] >= 1  # the log entry keeps its tag


def test_recent_changes_and_log_entries(admin: Api, anon: Api) -> None:
    admin.edit("Tags rc", "Tag my change")
    rcid = anon.get(action="query", list="recentchanges", rctitle="Tags rc", rcprop="ids")["query"][
        "recentchanges"
    ][0]["rcid"]
    on_rc = tag(admin, rcid=str(rcid), add=MANUAL_TAG, fv=None)["tag"][0]
    assert on_rc["rcid"] == rcid and on_rc["status"] == "success"
    assert latest_revision(admin, "Tags rc")["tags"] == [MANUAL_TAG]  # the revision is the same change
    protect = admin.post(action="protect", title="Tags rc", protections="edit=sysop", token=admin.token())
    assert "protect" in protect
    logid = anon.get(action="query", list="logevents", letype="protect", letitle="Tags rc")["query"][
        "logevents"
    ][0]["logid"]
    on_log = tag(admin, logid=str(logid), add=MANUAL_TAG)["tag"][0]
    assert on_log["logid"] == logid and on_log["added"] == [MANUAL_TAG]
    entry = anon.get(action="query", list="logevents", letype="protect", letitle="Tags rc", leprop="ids|tags")
    assert entry["query"]["logevents"][0]["tags"] == [MANUAL_TAG]
    update = anon.get(action="query", list="logevents", letype="tag", leprop="ids|title")["query"][
        "logevents"
    ][0]
    assert update["logid"] == on_log["actionlogid"] and update["title"] == "Special:Log/protect"


def test_errors_in_results_and_as_answers(admin: Api, alice: Api) -> None:
    admin.edit("Tags errors", "x")
    rev = latest_revision(admin, "Tags errors")["revid"]
    results = tag(admin, revid=f"{rev}|999999", rcid="999998", logid="999997", add=MANUAL_TAG)["tag"]
    assert results[1:] == [
        {
            "revid": 999999,
            "status": "error",
            "code": "nosuchrevid",
            "info": "There is no revision with ID 999999.",
        },
        {
            "rcid": 999998,
            "status": "error",
            "code": "nosuchrcid",
            "info": "There is no recent change with ID 999998.",
        },
        {
            "logid": 999997,
            "status": "error",
            "code": "nosuchlogid",
            "info": "There is no log entry with ID 999997.",
        },
    ]
    software = tag(admin, revid=str(rev), remove="mw-new-redirect")["tag"][0]
    assert software["status"] == "failure"
    assert software["errors"] == [
        {
            "message": "tags-update-remove-not-allowed-one",
            "params": ["mw-new-redirect"],
            "code": "tags-update-remove-not-allowed-one",
            "type": "error",
        }
    ]
    bad = tag(admin, revid=str(rev), add="massmessage-delivery")
    assert bad["error"]["code"] == "badtags"
    assert bad["error"]["info"] == 'The tag "massmessage-delivery" is not allowed to be manually applied.'
    none = tag(admin, add=MANUAL_TAG)
    assert none["error"] == {
        "code": "missingparam",
        "info": 'At least one of the parameters "revid", "rcid" and "logid" is required.',
        "docref": none["error"]["docref"],
    }
    unposted = admin.get(action="tag", revid=str(rev), add=MANUAL_TAG, token=admin.token())
    assert unposted["error"]["code"] in ("mustbeposted", "mustpostparams")
    forged = admin.post(action="tag", revid=str(rev), add=MANUAL_TAG, token="bogus+\\")
    assert forged["error"]["code"] == "badtoken"
    plaintext = admin.post(
        action="tag", revid="999999", add=MANUAL_TAG, token=admin.token(), errorformat="plaintext"
    )
    assert plaintext["tag"][0] == {
        "revid": 999999,
        "status": "error",
        "code": "nosuchrevid",
        "text": "There is no revision with ID 999999.",
    }


def test_the_changetags_right_blocks_and_the_rate_limit(server: LiveServer, admin: Api) -> None:
    admin.edit("Tags limited", "x")
    rev = str(latest_revision(admin, "Tags limited")["revid"])
    basic = login(server, "Alice@basic", BASIC_SECRET)
    denied = tag(basic, revid=rev, add=MANUAL_TAG)
    assert denied["error"]["code"] == "permissiondenied"
    assert denied["error"]["info"] == (
        "You don't have permission to add and remove arbitrary tags on individual revisions and log entries."
    )
    blocked = tag(login(server, "Frank"), revid=rev, add=MANUAL_TAG)
    assert blocked["error"]["code"] == "blocked"
    assert blocked["error"]["blockinfo"]["blockreason"] == "admin2: blocked"
    editor = login(server, "Alice@edit", EDIT_SECRET)  # limited to 3 an hour (conftest)
    statuses = [
        tag(editor, revid=rev, **{("add" if i % 2 == 0 else "remove"): MANUAL_TAG})["tag"][0]["status"]
        for i in range(4)
    ]
    assert statuses == ["success", "success", "success", "skipped"]
