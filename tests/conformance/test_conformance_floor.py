"""The transcript replay against a live server must not fall below the recorded floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conformance.runner import run
from tests.servers import RedisServer

FLOOR = Path(__file__).with_name("floor.json")


@pytest.mark.live
def test_conformance_does_not_regress(request: pytest.FixtureRequest) -> None:
    floor = int(json.loads(FLOOR.read_text())["matched"])
    try:
        redis: RedisServer | None = request.getfixturevalue("redis_server")
    except pytest.skip.Exception:
        redis = None  # rate limits in memory; the report notes it
    if redis is not None:
        redis.flush()
    report = run(redis_url=redis.url() if redis else None, use_redis=False)
    print(report.render())
    assert report.total >= 380, "transcripts not replayed in full"
    assert report.matched >= floor, (
        f"conformance fell to {report.matched}/{report.total} (floor {floor}):\n{report.render()}"
    )
