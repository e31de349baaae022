"""Fixes found while writing the full-session test (issue #13), against the package's live server
(tests/admin2/conftest.py): page creation's ``create`` log entry, ``protections=`` removing every
protection, ``rcprop=patrolled`` needing the patrol right, page ids never reused after a deletion,
and the automatic delete reason naming the only contributor."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin2.conftest import Api

pytestmark = pytest.mark.live
PATROL_TEXT = "You need the patrol or patrolmarks right to request the patrolled flag."


def page_info(api: Api, title: str) -> dict[str, Any]:
    page: dict[str, Any] = api.get(action="query", prop="info", inprop="protection", titles=title)["query"][
        "pages"
    ][0]
    return page


def test_creating_a_page_writes_a_create_log_entry(alice: Api) -> None:
    created = alice.edit("Fixes created page", "Hello", summary="first words")
    answer = alice.get(
        action="query",
        list="logevents",
        letype="create",
        letitle="Fixes created page",
        leprop="ids|title|type|user|comment|details",
    )
    [entry] = answer["query"]["logevents"]
    assert entry == {
        "logid": entry["logid"],
        "ns": 0,
        "title": "Fixes created page",
        "pageid": created["pageid"],
        "logpage": created["pageid"],
        "params": {},
        "type": "create",
        "action": "create",
        "user": "Alice",
        "comment": "first words",
    }
    alice.edit("Fixes created page", "Hello again")
    again = alice.get(action="query", list="logevents", letype="create", letitle="Fixes created page")
    assert len(again["query"]["logevents"]) == 1  # only the creation is logged
    changes = alice.get(action="query", list="recentchanges", rctitle="Fixes created page", rcprop="title")
    assert [c["type"] for c in changes["query"]["recentchanges"]] == ["edit", "new"]  # no log row


def test_empty_protections_remove_every_protection(admin: Api, bob: Api) -> None:
    admin.edit("Fixes protected page", "Protect me")
    protected = admin.post(
        action="protect",
        title="Fixes protected page",
        protections="edit=sysop|move=sysop",
        token=admin.token(),
    )
    assert len(protected["protect"]["protections"]) == 2, protected
    assert len(page_info(admin, "Fixes protected page")["protection"]) == 2

    refused = bob.post(action="protect", title="Fixes protected page", protections="", token=bob.token())
    assert refused["error"]["code"] == "permissiondenied"
    assert len(page_info(admin, "Fixes protected page")["protection"]) == 2

    removed = admin.post(action="protect", title="Fixes protected page", protections="", token=admin.token())
    assert removed["protect"] == {"title": "Fixes protected page", "reason": "", "protections": []}, removed
    assert page_info(admin, "Fixes protected page")["protection"] == []
    log = admin.get(action="query", list="logevents", letype="protect", letitle="Fixes protected page")
    assert [e["action"] for e in log["query"]["logevents"]] == ["unprotect", "protect"]

    again = admin.post(action="protect", title="Fixes protected page", protections="", token=admin.token())
    assert again["protect"]["protections"] == []
    log = admin.get(action="query", list="logevents", letype="protect", letitle="Fixes protected page")
    assert len(log["query"]["logevents"]) == 2  # nothing changed: nothing logged


def test_one_type_given_removes_the_others(admin: Api) -> None:
    admin.edit("Fixes partly protected", "Protect me")
    admin.post(
        action="protect",
        title="Fixes partly protected",
        protections="edit=sysop|move=sysop",
        token=admin.token(),
    )
    admin.post(
        action="protect",
        title="Fixes partly protected",
        protections="edit=autoconfirmed",
        token=admin.token(),
    )
    levels = {(p["type"], p["level"]) for p in page_info(admin, "Fixes partly protected")["protection"]}
    assert levels == {("edit", "autoconfirmed")}


def test_the_patrolled_flag_needs_the_patrol_right(alice: Api, admin: Api) -> None:
    for params in ({"rcprop": "title|patrolled"}, {"rcshow": "!patrolled"}):
        answer = alice.get(action="query", list="recentchanges", **params)
        assert answer["error"]["code"] == "permissiondenied", answer
        assert answer["error"]["info"] == PATROL_TEXT
    allowed = admin.get(action="query", list="recentchanges", rcprop="title|patrolled", rclimit="1")
    assert "patrolled" in allowed["query"]["recentchanges"][0]


def test_page_ids_are_never_reused_after_a_deletion(admin: Api) -> None:
    first = admin.edit("Fixes deleted page", "Soon gone")
    deleted = admin.post(action="delete", title="Fixes deleted page", reason="test", token=admin.token())
    assert "delete" in deleted, deleted
    again = admin.edit("Fixes deleted page", "Back again")
    assert again["pageid"] > first["pageid"]
    other = admin.edit("Fixes page after the deletion", "New")
    assert other["pageid"] > again["pageid"]


def test_the_automatic_delete_reason_names_the_only_contributor(admin: Api, alice: Api, bob: Api) -> None:
    alice.edit("Fixes one author", "Only Alice wrote this")
    alice.edit("Fixes one author", "Only Alice wrote this, twice")
    one = admin.post(action="delete", title="Fixes one author", token=admin.token())
    assert one["delete"]["reason"] == (
        'content was: "Only Alice wrote this, twice", and the only contributor was '
        '"[[Special:Contributions/Alice|Alice]]"'
    )
    alice.edit("Fixes two authors", "Alice wrote this")
    bob.edit("Fixes two authors", "Bob changed it")
    two = admin.post(action="delete", title="Fixes two authors", token=admin.token())
    assert two["delete"]["reason"] == 'content was: "Bob changed it"'
