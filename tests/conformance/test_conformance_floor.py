"""The transcript replay against a live server must not fall below the recorded floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conformance.runner import run

FLOOR = Path(__file__).with_name("floor.json")


@pytest.mark.live
def test_conformance_does_not_regress() -> None:
    floor = int(json.loads(FLOOR.read_text())["matched"])
    report = run()
    print(report.render())
    assert report.total >= 380, "transcripts not replayed in full"
    assert report.matched >= floor, (
        f"conformance fell to {report.matched}/{report.total} (floor {floor}):\n{report.render()}"
    )
