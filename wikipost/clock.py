"""Time, passed explicitly so tests can move it (token and confirmation expiry, rate limits)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def iso8601(ts: float | int | None) -> str:
    """MediaWiki's API timestamp form, ``2026-11-24T19:21:31Z``; ``infinity`` for None."""
    if ts is None:
        return "infinity"
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mw_timestamp(ts: float | int) -> str:
    """MediaWiki's TS_MW form, ``20261124192131``."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y%m%d%H%M%S")


def parse_iso8601(text: str) -> float | None:
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y%m%d%H%M%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None
