"""The default $wgRateLimits are 1.39's: meta=userinfo&uiprop=ratelimits lists what the
transcripts show for an anonymous and an autoconfirmed user, in the same order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.accounts.helpers import get, login
from wikipost.wiki import Wiki

TRANSCRIPT = (
    Path(__file__).resolve().parents[1] / "fixtures" / "conformance" / "mediawiki-1.39.transcript.jsonl"
)


def recorded_ratelimits(name: str) -> dict[str, Any]:
    for line in TRANSCRIPT.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("name") == name:
            return dict(record["body"]["query"]["userinfo"]["ratelimits"])
    raise AssertionError(f"no record {name}")


def ratelimits(client: TestClient) -> dict[str, Any]:
    return dict(
        get(client, action="query", meta="userinfo", uiprop="ratelimits")["query"]["userinfo"]["ratelimits"]
    )


def test_anonymous_limits_are_139_defaults(client: TestClient) -> None:
    got = ratelimits(client)
    expected = recorded_ratelimits("userinfo.anon")
    assert got == expected
    assert list(got) == list(expected)


def test_autoconfirmed_user_limits_are_139_defaults(wiki: Wiki, client: TestClient) -> None:
    wiki.users.create("Alice", "alice-anchor-pass", email="alice@anchor.test", confirmed=True)
    assert login(client, "Alice", "alice-anchor-pass")["result"] == "Success"
    got = ratelimits(client)
    expected = recorded_ratelimits("userinfo.alice")
    assert got == expected
    assert list(got) == list(expected)
    assert got["confirmemail"] == {"user": {"hits": 4, "seconds": 86400}}
