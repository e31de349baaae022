"""1.39's full preference set: ``meta=userinfo&uiprop=options`` lists every default (typed and in
1.39's order, stored values in place, options without a default only once set), and
``action=options`` validates each change by its kind — toggle, choice, integer or number range,
time zone, free text — and by the rights the field needs, storing the good changes and warning
about the others. Against one live server for the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.admin.support import Api, logged_in, module_server
from tests.live import LiveServer
from wikipost.services.preference_options import DEFAULT_OPTIONS, OPTION_TABLE
from wikipost.services.preferences import BAD_PREFERENCE, is_valid_time_correction, option_problem

pytestmark = pytest.mark.live
PLAIN_RIGHTS = frozenset(
    {"read", "edit", "createpage", "createtalk", "move", "upload", "minoredit", "sendemail"}
)
WATCH_DEFAULTS = {
    "watchcreations": 1,
    "watchdefault": 1,
    "watchdeletion": 0,
    "watchmoves": 0,
    "watchrollback": 0,
    "watchuploads": 1,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    users = {"Plain": (), "Fresh": (), "Reset": (), "Watcher": (), "Admin": ("sysop",)}
    yield from module_server(tmp_path_factory, "options", users)


def options_of(api: Api, **params: Any) -> dict[str, Any]:
    answer = api.get(action="query", meta="userinfo", uiprop="options", **params)
    return dict(answer["query"]["userinfo"]["options"])


def change(api: Api, *entries: str) -> dict[str, Any]:
    """``change=`` with the entries as given, joined by U+001F (values may hold ``|``)."""
    return dict(api.post(action="options", change="\x1f" + "\x1f".join(entries), token=api.token()))


def warning_lines(answer: dict[str, Any]) -> list[str]:
    return str(answer["warnings"]["options"]["warnings"]).split("\n")


def test_userinfo_lists_every_default_typed_and_in_order(server: LiveServer) -> None:
    listed = [spec.name for spec in OPTION_TABLE if spec.default is not None]
    for api in (Api(server), logged_in(server, "Fresh")):
        options = options_of(api)
        assert list(options) == listed and len(options) >= 90
        assert {k: options[k] for k in ("date", "editfont", "gender", "skin", "language")} == {
            "date": "default",
            "editfont": "monospace",
            "gender": "unknown",
            "skin": "vector",
            "language": "en",
        }
        assert {k: options[k] for k in WATCH_DEFAULTS} == WATCH_DEFAULTS
        assert options["rclimit"] == 50 and options["watchlistdays"] == 7.0
        assert options["searchNs0"] == 1 and options["searchNs15"] == 0 and options["variant-zh"] == "zh"
        assert options["search-match-redirect"] is True
        for absent in ("timecorrection", "watchlisttoken", "email-blacklist"):
            assert absent not in options
    fv1 = Api(server).get(action="query", meta="userinfo", uiprop="options", formatversion="1")
    assert fv1["query"]["userinfo"]["options"]["search-match-redirect"] == ""


def test_options_stores_good_changes_in_place_and_warns_about_bad_ones(server: LiveServer) -> None:
    plain = logged_in(server, "Plain")
    good = ["skin=vector-2022", "gender=female", "rclimit=100", "watchdefault=0", "timecorrection=System|0"]
    more = ["watchlisttoken=secret", "userjs-tool=on", "date=bogus", "rclimit=0", "wllimit=5000", "rcdays=x"]
    refused = ["watchdeletion=1", "enotifwatchlistpages=0", "realname=Me", "timecorrection=Mars/Base"]
    answer = change(plain, *good, *more, *refused)
    assert answer["options"] == "success"
    # One line per refused change, in the order the keys first came (a repeated key keeps its
    # place and takes the later value, as PHP's array does).
    assert warning_lines(answer) == [
        'Validation error for "rclimit": The value you specified is below the minimum of 1.',
        'Validation error for "timecorrection": The time zone or offset you specified is invalid.',
        'Validation error for "date": The value you specified is not a valid option.',
        'Validation error for "wllimit": The value you specified is above the maximum of 1000.',
        'Validation error for "rcdays": The value you specified is not a number.',
        f'Validation error for "watchdeletion": {BAD_PREFERENCE}',
        f'Validation error for "enotifwatchlistpages": {BAD_PREFERENCE}',
        'Validation error for "realname": cannot be set by this module.',
    ]
    options = options_of(plain)
    assert options["skin"] == "vector-2022" and options["gender"] == "female"
    assert options["rclimit"] == 50 and options["date"] == "default" and options["watchdeletion"] == 0
    assert options["watchdefault"] == "0"
    keys = list(options)
    assert keys.index("watchdefault") < keys.index("language"), "a stored value stays in its place"
    assert keys[-2:] == ["userjs-tool", "watchlisttoken"] and options["watchlisttoken"] == "secret"
    assert "timecorrection" not in options


def test_a_valid_time_zone_integer_and_number_are_stored(server: LiveServer) -> None:
    plain = logged_in(server, "Plain")
    answer = change(
        plain, "timecorrection=ZoneInfo|60|Europe/Berlin", "wllimit=+20", "rcdays=0.5", "nickname=~Me~"
    )
    assert "warnings" not in answer
    options = options_of(plain)
    assert options["timecorrection"] == "ZoneInfo|60|Europe/Berlin"
    assert (options["wllimit"], options["rcdays"], options["nickname"]) == ("+20", "0.5", "~Me~")


def test_fields_that_need_a_right_follow_the_users_rights(server: LiveServer) -> None:
    admin = logged_in(server, "Admin")
    answer = change(
        admin, "watchdeletion=1", "watchrollback=1", "showrollbackconfirmation=1", "hidepatrolled=1"
    )
    assert "warnings" not in answer
    options = options_of(admin)
    assert [options[k] for k in ("watchdeletion", "watchrollback", "showrollbackconfirmation")] == ["1"] * 3


def test_a_change_without_value_resets_to_the_default(server: LiveServer) -> None:
    api = logged_in(server, "Reset")
    change(api, "skin=vector-2022", "watchuploads=0", "userjs-x=1")
    assert options_of(api)["skin"] == "vector-2022"
    assert "warnings" not in change(api, "skin", "watchuploads", "userjs-x")
    options = options_of(api)
    assert options["skin"] == "vector" and options["watchuploads"] == 1 and "userjs-x" not in options


def test_watchdefault_set_through_the_api_decides_whether_an_edit_watches(server: LiveServer) -> None:
    watcher = logged_in(server, "Watcher")
    change(watcher, "watchdefault=0", "watchcreations=0")
    edit = watcher.post(action="edit", title="Options unwatched", text="a", token=watcher.token())
    assert edit["edit"]["result"] == "Success" and "watched" not in edit["edit"]
    change(watcher, "watchdefault")
    edit = watcher.post(action="edit", title="Options watched", text="b", token=watcher.token())
    assert edit["edit"]["watched"] is True
    raw = watcher.get(action="query", list="watchlistraw")["watchlistraw"]
    assert {"ns": 0, "title": "Options watched"} in raw and {"ns": 0, "title": "Options unwatched"} not in raw


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("rclimit", "1.5", "The value you specified is not an integer."),
        ("rclimit", "", "The value you specified is below the minimum of 1."),
        ("rcdays", "0", "The value you specified is below the minimum of 0.041666666666667."),
        ("watchlistdays", "91", "The value you specified is above the maximum of 90."),
        ("imagesize", "6", "The value you specified is not a valid option."),
        ("userjs-" + "k" * 249, "1", "key too long (no more than 255 bytes allowed)."),
        (
            "userjs-a b",
            "1",
            'invalid characters in key (only "a-z", "A-Z", "0-9", "_", and "-" are allowed).',
        ),
        ("variant", "en", BAD_PREFERENCE),
        ("minordefault", "1", None),
        ("watchmoves", "anything", None),
        ("email-blacklist", "Alice", None),
        ("rclimit", None, None),
    ],
)
def test_option_problem_by_kind(name: str, value: str | None, problem: str | None) -> None:
    assert option_problem(name, value, rights=PLAIN_RIGHTS) == problem


def test_rights_and_configuration_remove_fields() -> None:
    assert option_problem("minordefault", "1", rights=frozenset({"edit"})) == BAD_PREFERENCE
    switched_off = frozenset({"disablemail"})
    assert (
        option_problem("disablemail", "1", rights=PLAIN_RIGHTS, switched_off=switched_off) == BAD_PREFERENCE
    )
    assert option_problem("userjs-x", None, rights=frozenset()) is None


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("System|0", True),
        ("Offset|-300", True),
        ("Offset|900", False),
        ("ZoneInfo|120|Europe/Helsinki", True),
        ("ZoneInfo|0|Nowhere/Town", False),
        ("+05:30", True),
        ("-3", True),
        ("15:00", False),
        ("soon", False),
    ],
)
def test_time_corrections(value: str, valid: bool) -> None:
    assert is_valid_time_correction(value) is valid


def test_default_options_are_the_stored_strings_of_the_table() -> None:
    assert DEFAULT_OPTIONS["watchlistdays"] == "7" and DEFAULT_OPTIONS["search-match-redirect"] == "1"
    assert DEFAULT_OPTIONS["email-blacklist"] == "" and "timecorrection" not in DEFAULT_OPTIONS
