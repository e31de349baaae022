"""`wikipost ratelimit reset` (what the runner does for "rate limiter reset before this request")
reaches a running server's counters wherever they live: in shared storage, or in the server's
own memory (the embedded default, through the store's reset log)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.live import LiveServer
from tests.servers import RedisServer

LIMITS = {"edit": {"ip": [2, 3600], "newbie": [2, 3600], "user": [90, 60]}}


def anon_edit(server: LiveServer, n: int) -> str:
    answer = requests.post(
        server.api_url,
        data={"action": "edit", "title": f"Reset test {n}", "text": "x", "token": "+\\", "format": "json"},
        timeout=30,
    ).json()
    return str(answer["edit"]["result"]) if "edit" in answer else str(answer["error"]["code"])


def limited_then_reset(server: LiveServer) -> list[str]:
    outcomes = [anon_edit(server, n) for n in range(3)]
    server.cli("ratelimit", "reset")
    return [*outcomes, anon_edit(server, 3)]


@pytest.mark.live
@pytest.mark.parametrize("storage", ["memory://", "database", "redis"])
def test_cli_reset_reaches_the_servers_counters(
    storage: str, live_server_factory: Callable[..., LiveServer], request: pytest.FixtureRequest
) -> None:
    if storage == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        redis.flush()
        storage = redis.url()
    config: dict[str, Any] = {"ratelimits": {"storage": storage, **LIMITS}}
    server = live_server_factory(config)
    assert limited_then_reset(server) == ["Success", "Success", "ratelimited", "Success"]
