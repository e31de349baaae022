"""New-message notices against a live server: someone else's edit to a user's talk page sets
``meta=userinfo&uiprop=hasmsg``, a mass-message delivery too; the owner's own edits, null
edits, subpages and minor edits by holders of ``nominornewtalk`` do not; action=clearhasmsg
clears it (a POST without a token, as in 1.39)."""

from __future__ import annotations

import json
import time

import pytest

from tests.admin2.conftest import EDIT_SECRET, Api, login
from tests.live import LiveServer

pytestmark = pytest.mark.live


def has_message(api: Api) -> bool:
    info = api.get(action="query", meta="userinfo", uiprop="hasmsg")["query"]["userinfo"]
    return bool(info["messages"])


def clear(api: Api) -> None:
    assert api.post(action="clearhasmsg") == {"clearhasmsg": "success"}


def test_edits_to_a_talk_page_set_the_notice(server: LiveServer, alice: Api, bob: Api) -> None:
    assert has_message(bob) is False
    alice.edit("User talk:Bob", "Hello Bob")
    assert has_message(bob) is True
    fv1 = bob.get(action="query", meta="userinfo", uiprop="hasmsg", fv=None)["query"]["userinfo"]
    assert fv1 == {"id": fv1["id"], "name": "Bob", "messages": ""}
    clear(bob)
    assert has_message(bob) is False
    fv1 = bob.get(action="query", meta="userinfo", uiprop="hasmsg", fv=None)["query"]["userinfo"]
    assert "messages" not in fv1
    bob.edit("User talk:Bob", "My own reply")
    assert has_message(bob) is False
    null = alice.post(action="edit", title="User talk:Bob", text="My own reply", token=alice.token())
    assert null["edit"]["nochange"] is True and has_message(bob) is False
    alice.edit("User talk:Bob/Archive", "Old talk")
    assert has_message(bob) is False
    alice.edit("User talk:Bob", "A minor note from a person", minor="1")
    assert has_message(bob) is True  # users lack nominornewtalk
    clear(bob)
    bot = login(server, "Robot")  # group bot: nominornewtalk
    bot.edit("User talk:Bob", "A minor note from a bot", minor="1", bot="1")
    assert has_message(bob) is False
    bot.edit("User talk:Bob", "A real note from a bot", bot="1")
    assert has_message(bob) is True
    clear(bob)
    person = login(server, "Alice@edit", EDIT_SECRET)  # the grant's nominornewtalk is not Alice's
    person.edit("User talk:Bob", "A minor note through a bot password", minor="1")
    assert has_message(bob) is True
    clear(bob)


def test_clearhasmsg_is_a_post_without_a_token(anon: Api, bob: Api) -> None:
    unposted = bob.get(action="clearhasmsg")
    assert unposted["error"] == {
        "code": "mustbeposted",
        "info": 'The "clearhasmsg" module requires a POST request.',
        "docref": unposted["error"]["docref"],
    }
    assert anon.post(action="clearhasmsg", fv=None) == {"clearhasmsg": "success"}
    info = anon.get(action="query", meta="userinfo", uiprop="hasmsg")["query"]["userinfo"]
    assert info["messages"] is False


def test_a_mass_message_delivery_sets_the_notice(server: LiveServer, admin: Api) -> None:
    carol = login(server, "Carol")
    assert has_message(carol) is False
    targets = {"description": "", "targets": [{"title": "User:Carol"}, {"title": "User:Gina"}]}
    admin.edit("Notices list", json.dumps(targets), contentmodel="MassMessageListContent")
    sent = admin.post(
        action="massmessage",
        spamlist="Notices list",
        subject="News",
        message="Hello ~~~~",
        token=admin.token(),
    )
    assert sent["massmessage"]["result"] == "success", sent
    deadline = time.monotonic() + 30
    while not has_message(carol):  # delivered by the server's worker, in the background
        assert time.monotonic() < deadline, "the delivery did not set the notice"
        time.sleep(0.05)
    page = carol.get(action="query", prop="revisions", titles="User talk:Carol", rvprop="user|tags")
    revision = page["query"]["pages"][0]["revisions"][0]
    assert revision == {"user": "MediaWiki message delivery", "tags": ["massmessage-delivery"]}
    clear(carol)
    assert has_message(carol) is False


def test_reading_ones_own_talk_page_in_the_browser_clears_the_notice(
    server: LiveServer, alice: Api, bob: Api
) -> None:
    """The web view shares the API's session: Bob reading User talk:Bob clears his notice; an old
    revision, or someone else reading it, does not."""
    clear(bob)
    alice.edit("User talk:Bob", "Read me, Bob")
    page = f"{server.base_url}/w/index.php/User_talk:Bob"
    assert alice.session.get(page).status_code == 200
    assert has_message(bob) is True
    revisions = bob.get(action="query", prop="revisions", titles="User talk:Bob", rvlimit="2")
    old = revisions["query"]["pages"][0]["revisions"][-1]["revid"]
    bob.session.get(f"{server.base_url}/w/index.php", params={"title": "User talk:Bob", "oldid": old})
    assert has_message(bob) is True
    assert bob.session.get(page).status_code == 200
    assert has_message(bob) is False
