"""Transcript records tokens.*, login.*, userinfo.*, users.* (and the setup logins) replayed on
a wiki set up like the transcripts': same shapes, codes, texts and cookie names."""

from __future__ import annotations

from collections.abc import Callable

from tests.accounts.replay import Replayer, assert_same, load_records, set_cookie_names
from tests.anchorwiki import setup_anchorwiki
from wikipost.app import build_app
from wikipost.wiki import Wiki

PREFIXES = ("tokens.", "login.", "userinfo.", "users.", "setup.login.")
SKIP = {"users.messenger"}  # needs the mass-message deliveries of another domain


# 1.39's own values where our defaults differ (the transcripts ran with 1.39's defaults).
MW139_LIMITS = {"changeemail": {"user": [4, 86400]}, "confirmemail": {"user": [4, 86400]}}


def test_accounts_records_replay_like_mediawiki(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki(ratelimits=MW139_LIMITS)
    setup_anchorwiki(wiki)
    limits = wiki.settings.ratelimits.limits
    replayer = Replayer(build_app(wiki), limits)
    checked = 0
    for record in load_records():
        name = record.get("name", "")
        if not name.startswith(PREFIXES) or name in SKIP or record.get("method") is None:
            continue
        response = replayer.send(record)
        where = f"#{record['seq']} {name}"
        assert response.status_code == record["status"], where
        expected_headers = record["headers"]
        assert response.headers.get("mediawiki-api-error") == expected_headers["mediawiki-api-error"], where
        assert response.headers["content-type"].lower() == expected_headers["content-type"].lower(), where
        assert set_cookie_names(response) == sorted(expected_headers["set-cookie-names"]), where
        if isinstance(record["body"], dict):
            assert_same(record["body"], response.json(), where, limits)
        checked += 1
    assert checked >= 45
