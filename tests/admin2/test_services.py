"""The services under the modules, in process: what ``watchlist=`` decides for an edit, a
protection and a deletion (the preferences 1.39 reads for each); who a talk-page edit notifies;
how a Special:RunJobs request is read; where the secret key comes from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wikipost.actor import Actor
from wikipost.services import changetags, notices, watchlist
from wikipost.services.runjobs import RunJobsRefused, check_request, ensure_secret_key, signed_request
from wikipost.settings import Settings, load_settings
from wikipost.wiki import Wiki

KEY = "k" * 64


def test_watchlist_values_follow_the_preferences(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki()
    user = wiki.users.create("Watcher", "watcher-pass-1")
    robot = wiki.users.create("Watchbot", "watchbot-pass-1", groups=("bot",))
    actor, bot = wiki.users.actor_for(user), wiki.users.actor_for(robot)
    page, talk = wiki.titles.parse("Watched"), wiki.titles.parse("Talk:Watched")
    with wiki.db.write() as conn:
        wiki.pages.save(conn, title=page, actor=bot, text="exists")
        value = watchlist.watch_value
        assert value(conn, actor, page, "preferences", user_option="watchdefault") is True  # protect
        assert value(conn, actor, page, "preferences", user_option="watchdeletion") is False  # delete
        assert value(conn, actor, page, "nochange") is False
        assert value(conn, bot, page, "preferences") is False  # bots: nochange
        assert watchlist.apply_watch(conn, actor, talk, "watch") is True
        assert watchlist.is_watched(conn, actor.id, page)  # the talk page watches the subject row
        assert value(conn, actor, page, "preferences", user_option="watchdeletion") is True
        assert watchlist.apply_watch(conn, actor, page, "preferences", unwatch=True) is False
        assert not watchlist.is_watched(conn, actor.id, page)
    wiki.users.set_options(user.id, {"watchdefault": "0", "watchdeletion": "1"})
    with wiki.db.write() as conn:
        assert watchlist.watch_value(conn, actor, page, "preferences") is False  # edit of an old page
        wiki.pages.save(conn, title=wiki.titles.parse("Created"), actor=actor, text="new")
        assert watchlist.watch_value(conn, actor, wiki.titles.parse("Created"), "preferences") is True
        assert watchlist.watch_value(conn, actor, page, "preferences", user_option="watchdeletion") is True
        anonymous = wiki.users.anonymous("127.0.0.1")
        assert watchlist.apply_watch(conn, anonymous, page, "preferences") is True  # reported only
        assert watchlist.apply_watch(conn, anonymous, page, "nochange") is False


def test_who_a_talk_page_edit_notifies(make_wiki: Callable[..., Wiki]) -> None:
    titles = make_wiki().titles
    person = Actor(id=5, name="Alice", rights=frozenset({"edit"}))
    bot = Actor(id=6, name="Robot", rights=frozenset({"edit", "nominornewtalk"}))
    talk = titles.parse("User talk:Bob_Smith")
    assert notices.recipient(talk, person, minor=False) == "Bob Smith"
    assert notices.recipient(talk, person, minor=True) == "Bob Smith"
    assert notices.recipient(talk, bot, minor=True) is None
    assert notices.recipient(talk, bot, minor=False) == "Bob Smith"
    assert notices.recipient(titles.parse("User talk:Alice"), person, minor=False) is None
    assert notices.recipient(titles.parse("User talk:Bob/Archive"), person, minor=False) is None
    assert notices.recipient(titles.parse("User:Bob"), person, minor=False) is None


def test_runjobs_requests_are_read_as_1_39_reads_them() -> None:
    base = {"title": "Special:RunJobs", "tasks": "jobs", "sigexpiry": "2000000000"}
    defaults = check_request(signed_request(base, KEY), KEY, now=1_900_000_000)
    assert (defaults.max_jobs, defaults.max_time, defaults.run_async, defaults.stats) == (
        1,
        30.0,
        True,
        False,
    )
    given = {**base, "maxjobs": "25abc", "maxtime": "0", "async": "0", "stats": "yes", "type": "mail"}
    read = check_request(signed_request(given, KEY), KEY, now=1_900_000_000)
    assert (read.max_jobs, read.max_time, read.run_async, read.stats, read.job_type) == (
        25,
        30.0,
        False,
        True,
        "mail",
    )
    with pytest.raises(RunJobsRefused, match="Invalid or stale signature provided."):
        check_request(signed_request(base, KEY), KEY, now=2_000_000_001)
    with pytest.raises(RunJobsRefused, match="Invalid or stale signature provided."):
        check_request(signed_request(base, KEY), "", now=1_900_000_000)  # no key: nothing verifies
    with pytest.raises(RunJobsRefused, match="Missing parameters: title, signature"):
        check_request({"tasks": "jobs", "sigexpiry": "1"}, KEY, now=0)


def test_the_secret_key_comes_from_the_configuration_or_init(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    written = ensure_secret_key(settings)
    assert written == tmp_path / "secret_key" and ensure_secret_key(settings) is None
    assert load_settings(None, tmp_path, environ={}).site.secret_key == written.read_text().strip()
    config = tmp_path / "wiki.toml"
    config.write_text('[site]\nsecret_key = "from the configuration"\n')
    assert load_settings(config, tmp_path, environ={}).site.secret_key == "from the configuration"
    configured = load_settings(config, tmp_path / "other", environ={})
    assert ensure_secret_key(configured) is None and not (tmp_path / "other" / "secret_key").exists()


def test_tag_updates_and_watchlists_on_both_stores(any_wiki: Wiki) -> None:
    """The SQL of tag updates and of reading a watchlist, on SQLite and on PostgreSQL."""
    wiki = any_wiki
    user = wiki.users.create("Store user", "store-user-pass")
    actor = wiki.users.actor_for(user)
    with wiki.db.write() as conn:
        wiki.changetags.create(conn, "store-tag")
        saved = wiki.pages.save(conn, title=wiki.titles.parse("Store page"), actor=actor, text="x")
        change = changetags.resolve_change(conn, rc_id=None, rev_id=saved.rev_id, log_id=None)
        assert change.rc_id is not None and change.log_id is None
        first = changetags.update_tags(conn, change, ["store-tag"], [])
        assert (first.added, first.removed, first.initial) == (["store-tag"], [], [])
        again = changetags.update_tags(conn, change, ["store-tag"], ["absent"])
        assert (again.added, again.removed) == ([], [])
        assert changetags.tags_of(conn, change) == ["store-tag"]
        assert changetags.hitcounts(conn)["store-tag"] == 1
        for name in ("b page", "A page", "User:C page"):
            watchlist.add(conn, user.id, wiki.titles.parse(name))
        items = watchlist.raw_items(conn, user.id)
        assert [(i.namespace, i.dbkey) for i in items] == [
            (0, "A_page"),
            (0, "B_page"),
            (1, "A_page"),
            (1, "B_page"),
            (2, "C_page"),
            (3, "C_page"),
        ]
        page = watchlist.raw_items(conn, user.id, start=(1, "B_page"), descending=True, limit=2)
        assert [(i.namespace, i.dbkey) for i in page] == [(1, "B_page"), (1, "A_page")]


def test_watchlist_query_on_both_stores(any_wiki: Wiki) -> None:
    """list=watchlist's join (a row watches the subject and the talk page) on both stores."""
    from starlette.testclient import TestClient

    from wikipost.app import build_app

    wiki = any_wiki
    watcher = wiki.users.create("Store watcher", "store-watcher-pass")
    editor = wiki.users.actor_for(wiki.users.create("Store editor", "store-editor-pass"))
    with wiki.db.write() as conn:
        watchlist.add(conn, watcher.id, wiki.titles.parse("Joined"))
        for name in ("Joined", "Talk:Joined", "Not joined"):
            wiki.pages.save(conn, title=wiki.titles.parse(name), actor=editor, text="x")
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        query = {"action": "query", "meta": "tokens", "type": "login", "format": "json"}
        token = client.get("/w/api.php", params=query).json()["query"]["tokens"]["logintoken"]
        login = {"action": "login", "lgname": "Store watcher", "lgpassword": "store-watcher-pass"}
        client.post("/w/api.php", data={**login, "lgtoken": token, "format": "json"})
        params = {"action": "query", "list": "watchlist", "wlshow": "!unread", "format": "json"}
        answer = client.get("/w/api.php", params={**params, "formatversion": "2"}).json()
    assert sorted(i["title"] for i in answer["query"]["watchlist"]) == ["Joined", "Talk:Joined"]
