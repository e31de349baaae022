"""The transcript replay against a live server must not fall below the recorded floor."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from tests.conformance.runner import StartServer, run
from tests.live import cluster_target, start_live_server

FLOOR = Path(__file__).with_name("floor.json")


@pytest.mark.live
def test_conformance_does_not_regress(request: pytest.FixtureRequest) -> None:
    floor = int(json.loads(FLOOR.read_text())["matched"])
    start_server: StartServer = start_live_server
    if cluster_target():  # the same replay through HAProxy onto two nodes (tests/cluster/target.py)
        from tests.cluster.target import start_cluster_server

        start_server = partial(start_cluster_server, backing=request.getfixturevalue("cluster_backing"))
    report = run(start_server=start_server)
    print(report.render())
    assert report.total >= 380, "transcripts not replayed in full"
    assert report.matched >= floor, (
        f"conformance fell to {report.matched}/{report.total} (floor {floor}):\n{report.render()}"
    )
