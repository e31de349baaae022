"""paraminfo and help describe the new modules from their declarations (against the live server)."""

from __future__ import annotations

import pytest

from tests.admin2.conftest import Api

pytestmark = pytest.mark.live
NEW = "parse|tag|watch|clearhasmsg|query+tags|query+watchlist|query+watchlistraw"


def test_paraminfo_describes_the_new_modules(anon: Api) -> None:
    answer = anon.get(action="paraminfo", modules=NEW)
    mods = {m["path"]: m for m in answer["paraminfo"]["modules"]}
    assert set(mods) == set(NEW.split("|"))
    assert (mods["tag"]["mustbeposted"], mods["tag"]["writerights"]) == (True, True)
    assert [p["name"] for p in mods["tag"]["parameters"]] == [
        "rcid",
        "revid",
        "logid",
        "add",
        "remove",
        "reason",
        "tags",
        "token",
    ]
    token = {p["name"]: p for p in mods["watch"]["parameters"]}["token"]
    assert token["tokentype"] == "watch"
    assert mods["clearhasmsg"]["mustbeposted"] is True and "parameters" in mods["clearhasmsg"]
    parse = {p["name"]: p for p in mods["parse"]["parameters"]}
    assert parse["prop"]["default"].startswith("text|langlinks|categories")
    assert {"text", "sections", "displaytitle", "revid"} <= set(parse["prop"]["type"])
    assert (mods["query+tags"]["group"], mods["query+tags"]["prefix"]) == ("list", "tg")
    assert mods["query+watchlist"]["prefix"] == "wl"
    main = anon.get(action="paraminfo", modules="main|query")["paraminfo"]["modules"]
    actions = next(p for p in main[0]["parameters"] if p["name"] == "action")["type"]
    assert {"parse", "tag", "watch", "clearhasmsg"} <= set(actions)
    lists = next(p for p in main[1]["parameters"] if p["name"] == "list")["type"]
    assert {"tags", "watchlist", "watchlistraw"} <= set(lists)
    generators = next(p for p in main[1]["parameters"] if p["name"] == "generator")["type"]
    assert {"watchlist", "watchlistraw"} <= set(generators)


def test_help_pages(anon: Api) -> None:
    page = anon.session.get(anon.server.api_url, params={"action": "help", "modules": NEW}, timeout=30).text
    for path in NEW.split("|"):
        assert path in page
    assert "This module requires write rights." in page and "This module only accepts POST requests." in page
