"""Live servers the operations tests share (one of each per run of tests/ops, started lazily).

``ops_server``: serve with its worker process, JSON logs and a small
``[health] max_worker_lag_seconds``, so a stopped worker turns /readyz to 503 quickly.
``thread_server``: the in-thread runner (``[jobs] runner = "thread"``) polling once a minute,
text logs, no /metrics.
Both have the conformance wiki's users (Alice with her bot password, Bob …, Admin a sysop).
Tests that change a server's state put it back and wait for it to be ready again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.anchorwiki import setup_anchorwiki
from tests.live import LiveServer, start_live_server
from tests.ops.support import LAG_SECONDS, wait_ready


def _server(tmp: Path, config: dict[str, dict[str, Any]]) -> Iterator[LiveServer]:
    server = start_live_server(tmp, config, start=False)
    with server.open_wiki() as wiki:
        setup_anchorwiki(wiki)
    server.start()
    try:
        wait_ready(server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def ops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _server(
        tmp_path_factory.mktemp("ops"),
        {
            "mail": {"backend": "maildir"},
            "health": {"max_worker_lag_seconds": LAG_SECONDS},
            "logging": {"format": "json"},
        },
    )


@pytest.fixture(scope="package")
def thread_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _server(
        tmp_path_factory.mktemp("ops-thread"),
        {
            "mail": {"backend": "maildir"},
            # Polls rarely: the idle worker's heartbeat must not depend on polling.
            "jobs": {"runner": "thread", "poll_seconds": 60},
            "health": {"max_worker_lag_seconds": LAG_SECONDS, "metrics": False},
            "logging": {"format": "text"},
        },
    )
