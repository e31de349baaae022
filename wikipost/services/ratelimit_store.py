"""A ``limits`` storage in our own database: moving-window counters shared by every process.

``[ratelimits] storage = "database"`` counts in the ``ratelimit_entries`` table. Each acquire
is a write, so it is serialised with every other writer and exact across ``serve --workers N``
and the CLI; inside an open write transaction (emailuser takes its quota there) it joins that
transaction, so a refused request leaves no entry and an accepted one cannot lose its entry.
"""

from __future__ import annotations

import time
from typing import Any

from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import bindparam, delete, func, insert, select, text

from wikipost.db import Database
from wikipost.db.schema.ratelimits import ratelimit_entries as entries

_COUNT = select(func.count(), func.min(entries.c.atime)).where(
    entries.c.key == bindparam("key"), entries.c.atime >= bindparam("since")
)
_INSERT = insert(entries)
_CLEAR = delete(entries).where(entries.c.key == bindparam("key"))
# PostgreSQL writers do not exclude each other: serialise the count-then-insert per key.
_PG_KEY_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")
_EXPIRE = delete(entries).where(entries.c.atime < bindparam("before"))


class DatabaseStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["wikipost-database"]  # noqa: RUF012 - limits' registry attribute

    def __init__(self, db: Database, *, longest_window: int = 86400) -> None:
        self.db = db
        self.longest_window = longest_window
        self._next_sweep = 0.0
        super().__init__("wikipost-database://")

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return Exception

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self.db.write() as conn:
            if not self.db.is_sqlite:
                conn.execute(_PG_KEY_LOCK, {"key": key})
            count = conn.execute(_COUNT, {"key": key, "since": now - expiry}).first()
            if count is not None and count[0] + amount > limit:
                return False
            conn.execute(_INSERT, [{"key": key, "atime": now}] * amount)
            if now >= self._next_sweep:
                self._next_sweep = now + 60
                conn.execute(_EXPIRE, {"before": now - self.longest_window})
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        with self.db.read() as conn:
            row = conn.execute(_COUNT, {"key": key, "since": now - expiry}).first()
        if row is None or not row[0]:
            return now, 0
        return float(row[1]), int(row[0])

    def clear(self, key: str) -> None:
        with self.db.write() as conn:
            conn.execute(_CLEAR, {"key": key})

    def reset(self) -> int | None:
        with self.db.write() as conn:
            return int(conn.execute(delete(entries)).rowcount)

    # Fixed-window counters are not used (the limiter is a moving window).
    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        raise NotImplementedError("the database storage supports the moving window only")

    def get(self, key: str) -> int:
        return 0

    def get_expiry(self, key: str) -> float:
        return time.time()

    def check(self) -> bool:
        return True


__all__: list[Any] = ["DatabaseStorage"]
