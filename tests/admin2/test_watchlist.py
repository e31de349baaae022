"""action=watch, list=watchlistraw and list=watchlist against a live server, and what
``watchlist=`` on edit, protect and delete does: each watches the subject and the talk page,
pages that do not exist are watched too, the page set's invalid entries, the deprecated
``title``, the watch token, the rights, another user's list with its token, continuation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin2.conftest import BASIC_SECRET, EDIT_SECRET, Api, login
from tests.live import LiveServer

pytestmark = pytest.mark.live


def watch(api: Api, fv: str | None = "2", **params: str) -> Any:
    return api.post(action="watch", token=api.token("watch"), fv=fv, **params)


def raw(api: Api, **params: str) -> list[str]:
    answer = api.get(action="query", list="watchlistraw", wrlimit="max", **params)
    return [item["title"] for item in answer["watchlistraw"]]


def test_watch_and_unwatch_pages(server: LiveServer) -> None:
    carol = login(server, "Carol")
    carol.edit("Watch alpha", "Alpha", watchlist="nochange")
    answer = watch(carol, titles="Watch alpha|Watch nowhere|Special:Log|Bad[x|wikipedia:Foo", fv=None)
    assert answer["batchcomplete"] == ""
    assert answer["watch"] == [
        {
            "title": "Bad[x",
            "invalidreason": 'The requested page title contains invalid characters: "[".',
            "invalid": "",
        },
        {"ns": -1, "title": "Special:Log", "special": ""},
        {"title": "wikipedia:Foo", "iw": "wikipedia"},
        {"title": "Watch nowhere", "ns": 0, "watched": "", "missing": ""},
        {"title": "Watch alpha", "ns": 0, "watched": ""},
    ]
    assert raw(carol) == ["Watch alpha", "Watch nowhere", "Talk:Watch alpha", "Talk:Watch nowhere"]
    page_id = carol.get(action="query", titles="Watch alpha")["query"]["pages"][0]["pageid"]
    off = watch(carol, pageids=f"{page_id}|999999", unwatch="1")
    assert off["watch"] == [
        {"pageid": 999999, "missing": True},
        {"title": "Watch alpha", "ns": 0, "unwatched": True},
    ]
    assert raw(carol) == ["Watch nowhere", "Talk:Watch nowhere"]
    old = watch(carol, title="Talk:Watch alpha")
    assert old["watch"] == {"title": "Talk:Watch alpha", "ns": 1, "watched": True}
    assert old["warnings"]["watch"]["warnings"] == 'The parameter "title" has been deprecated.'
    assert raw(carol) == ["Watch alpha", "Watch nowhere", "Talk:Watch alpha", "Talk:Watch nowhere"]
    info = carol.get(action="query", prop="info", inprop="watched", titles="Talk:Watch alpha")
    assert info["query"]["pages"][0]["watched"] is True
    watch(carol, titles="Watch alpha|Watch nowhere", unwatch="1")
    assert raw(carol) == []


def test_watch_errors_and_rights(server: LiveServer, anon: Api, alice: Api) -> None:
    anonymous = anon.post(action="watch", titles="Watch beta", token="+\\")
    assert anonymous["error"] == {
        "code": "notloggedin",
        "info": "Please log in to view or edit items on your watchlist.",
        "docref": anonymous["error"]["docref"],
    }
    basic = login(server, "Alice@basic", BASIC_SECRET)
    denied = watch(basic, titles="Watch beta")
    assert denied["error"]["code"] == "permissiondenied"
    assert denied["error"]["info"] == "You don't have permission to edit your watchlist."
    csrf = alice.post(action="watch", titles="Watch beta", token=alice.token())
    assert csrf["error"]["code"] == "badtoken"
    mixed = watch(alice, title="Watch beta", titles="Watch gamma")
    assert mixed["error"]["code"] == "invalidparammix"
    assert mixed["error"]["info"] == 'The "title" parameter cannot be used with "titles".'
    bad = watch(alice, title="Special:Log")
    assert bad["error"] == {
        "code": "invalidtitle",
        "info": 'Bad title "Special:Log".',
        "docref": bad["error"]["docref"],
    }
    unposted = alice.get(action="watch", titles="Watch beta", token=alice.token("watch"))
    assert unposted["error"]["code"] == "mustpostparams"
    both = watch(alice, titles="Watch beta", pageids="1")
    assert both["error"]["code"] == "multisource"


def test_watchlistraw_ordering_continuation_and_owner(server: LiveServer, anon: Api) -> None:
    dave = login(server, "Dave")
    watch(dave, titles="Raw b|Raw a|User:Raw c|Help:Raw d")
    assert raw(dave) == [
        "Raw a",
        "Raw b",
        "Talk:Raw a",
        "Talk:Raw b",
        "User:Raw c",
        "User talk:Raw c",
        "Help:Raw d",
        "Help talk:Raw d",
    ]
    first = dave.get(action="query", list="watchlistraw", wrlimit="3", fv=None)
    assert first["watchlistraw"] == [
        {"ns": 0, "title": "Raw a"},
        {"ns": 0, "title": "Raw b"},
        {"ns": 1, "title": "Talk:Raw a"},
    ]
    assert first["continue"] == {"wrcontinue": "1|Raw_b", "continue": "-||"}
    second = dave.get(action="query", list="watchlistraw", wrlimit="3", wrcontinue="1|Raw_b")
    assert [i["title"] for i in second["watchlistraw"]] == ["Talk:Raw b", "User:Raw c", "User talk:Raw c"]
    assert raw(dave, wrnamespace="1|3") == ["Talk:Raw a", "Talk:Raw b", "User talk:Raw c"]
    assert raw(dave, wrdir="descending", wrfromtitle="User:Raw c") == [
        "User:Raw c",
        "Talk:Raw b",
        "Talk:Raw a",
        "Raw b",
        "Raw a",
    ]
    assert raw(dave, wrtotitle="Talk:Raw a") == ["Raw a", "Raw b", "Talk:Raw a"]
    assert raw(dave, wrshow="changed") == [] and len(raw(dave, wrshow="!changed")) == 8
    bad = dave.get(action="query", list="watchlistraw", wrcontinue="x|Raw_b")
    assert bad["error"]["code"] == "badcontinue"
    both = dave.get(action="query", list="watchlistraw", wrshow="changed|!changed")
    assert both["error"]["code"] == "show"
    assert anon.get(action="query", list="watchlistraw")["error"]["code"] == "notloggedin"
    with server.open_wiki() as wiki:  # action=options does not know the preference yet
        user = wiki.users.get_by_name("Dave")
        assert user is not None
        wiki.users.set_option(user.id, "watchlisttoken", "daves-secret-token")
    shared = anon.get(
        action="query", list="watchlistraw", wrowner="Dave", wrtoken="daves-secret-token", wrlimit="max"
    )
    assert len(shared["watchlistraw"]) == 8
    wrong = anon.get(action="query", list="watchlistraw", wrowner="Dave", wrtoken="guess")
    assert wrong["error"]["code"] == "bad_wltoken"
    nobody = anon.get(action="query", list="watchlistraw", wrowner="Nobody here", wrtoken="guess")
    assert nobody["error"] == {
        "code": "bad_wlowner",
        "info": 'There is no user by the name "Nobody here". Check your spelling.',
        "docref": nobody["error"]["docref"],
    }
    generated = dave.get(action="query", generator="watchlistraw", gwrlimit="2", prop="info")
    assert sorted(p["title"] for p in generated["query"]["pages"]) == ["Raw a", "Raw b"]
    basic = login(server, "Alice@basic", BASIC_SECRET)
    denied = basic.get(action="query", list="watchlistraw")
    assert denied["error"]["info"] == "You don't have permission to view your watchlist."
    watch(dave, titles="Raw a|Raw b|User:Raw c|Help:Raw d", unwatch="1")


def test_watchlist_lists_changes_to_watched_pages(server: LiveServer, admin: Api, alice: Api) -> None:
    erin = login(server, "Erin")
    watch(erin, titles="Changes one|Changes two")
    alice.edit("Changes one", "first")
    alice.edit("Changes one", "second", summary="second try")
    admin.edit("Talk:Changes two", "talk about two")
    alice.edit("Changes elsewhere", "not watched")
    latest = erin.get(
        action="query",
        list="watchlist",
        wlprop="ids|title|user|comment|sizes|timestamp|notificationtimestamp",
    )
    items = latest["query"]["watchlist"]
    assert [(i["title"], i["user"]) for i in items] == [
        ("Talk:Changes two", "Admin"),
        ("Changes one", "Alice"),
    ]
    assert items[1]["comment"] == "second try" and items[1]["type"] == "edit"
    assert items[1]["notificationtimestamp"] == "" and items[1]["oldlen"] == 5 and items[1]["newlen"] == 6
    assert list(items[0])[:3] == ["type", "ns", "title"]
    every = erin.get(
        action="query", list="watchlist", wlallrev="1", wlprop="title|flags", wlexcludeuser="Admin", fv=None
    )
    assert [(i["title"], i["type"], "new" in i) for i in every["query"]["watchlist"]] == [
        ("Changes one", "edit", False),
        ("Changes one", "new", True),
    ]
    paged = erin.get(action="query", list="watchlist", wlallrev="1", wllimit="1")
    assert "wlcontinue" in paged["continue"] and len(paged["query"]["watchlist"]) == 1
    rest = erin.get(
        action="query",
        list="watchlist",
        wlallrev="1",
        wllimit="5",
        wlcontinue=paged["continue"]["wlcontinue"],
    )
    assert len(rest["query"]["watchlist"]) == 2
    assert erin.get(action="query", list="watchlist", wlshow="unread")["query"]["watchlist"] == []
    patrol = erin.get(action="query", list="watchlist", wlprop="patrol")
    assert patrol["error"] == {
        "code": "patrol",
        "info": "You need the patrol or patrolmarks right to request the patrolled flag.",
        "docref": patrol["error"]["docref"],
    }
    anonymous = Api(server).get(action="query", list="watchlist")
    assert anonymous["error"]["code"] == "notloggedin"
    watch(erin, titles="Changes one|Changes two", unwatch="1")


def test_watchlist_parameter_of_edits(server: LiveServer) -> None:
    gina = login(server, "Gina")
    gina.edit("Watched by edit", "x", watchlist="watch")
    assert raw(gina) == ["Watched by edit", "Talk:Watched by edit"]
    unwatched = gina.edit("Watched by edit", "y", watchlist="unwatch")
    assert "watched" not in unwatched and raw(gina) == []
    kept = gina.edit("Watched by edit", "w", watchlist="nochange")
    assert "watched" not in kept and raw(gina) == []
    edited = gina.edit("Watched by edit", "z")  # preferences: watchdefault
    assert edited["watched"] is True and raw(gina) == ["Watched by edit", "Talk:Watched by edit"]
    login(server, "Admin").edit("Edited by a bot password", "x", watchlist="nochange")
    editor = login(server, "Alice@edit", EDIT_SECRET)  # may edit, may not create pages
    reported = editor.edit("Edited by a bot password", "y")
    assert reported["watched"] is True  # reported as 1.39 does; without editmywatchlist not stored
    assert "Edited by a bot password" not in raw(login(server, "Alice"))


def test_watchlist_parameter_of_protect_and_delete(server: LiveServer) -> None:
    """protect watches by the watchdefault preference, delete by watchdeletion (off by default)."""
    admin = login(server, "Admin")
    admin.edit("Protected and watched", "x", watchlist="nochange")
    admin.edit("Deleted and watched", "x", watchlist="nochange")
    watch(admin, titles="Protected and watched|Deleted and watched", unwatch="1")
    admin.post(action="protect", title="Protected and watched", protections="edit=sysop", token=admin.token())
    assert "Protected and watched" in raw(admin)
    admin.post(action="delete", title="Deleted and watched", token=admin.token())
    assert "Deleted and watched" not in raw(admin)  # preferences: watchdeletion is off
    admin.edit("Deleted and watched", "again", watchlist="nochange")
    admin.post(action="delete", title="Deleted and watched", watchlist="watch", token=admin.token())
    assert "Deleted and watched" in raw(admin)
