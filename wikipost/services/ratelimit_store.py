"""Where rate-limit counters live: in memory, in our own database, and the reset log.

``[ratelimits] storage = "database"`` counts in the ``ratelimit_entries`` table. Each acquire
is a write, so it is serialised with every other writer and exact across ``serve --workers N``
and the CLI; inside an open write transaction (emailuser takes its quota there) it joins that
transaction, so a refused request leaves no entry and an accepted one cannot lose its entry.

The :class:`ResetLog` is how ``wikipost ratelimit reset`` reaches counters that live in a
server's memory (``memory://``, the embedded default): the command records the reset in the
store, and the server applies it when it next looks (see ``RateLimiter``).
"""

from __future__ import annotations

import bisect
import threading
import time
from typing import Any

from limits.storage import MemoryStorage, MovingWindowSupport, Storage
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


class EmbeddedMemoryStorage(MemoryStorage):
    """``memory://`` without a timer thread per hit.

    limits' MemoryStorage starts a 10 ms ``threading.Timer`` whenever none is alive — a new
    thread for nearly every request — and its expiry pops per-key locks that another thread
    may be holding. Here old window entries are trimmed inline, at most once a second, under
    each key's lock, and locks are never replaced while in use.
    """

    STORAGE_SCHEME = ["wikipost-memory"]  # noqa: RUF012 - limits' registry attribute

    def __init__(self) -> None:
        self._next_sweep = 0.0
        self._sweep_lock = threading.Lock()
        super().__init__("memory://")

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - overrides the mangled name
        now = time.time()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + 1.0
            self._MemoryStorage__expire_events()
        finally:
            self._sweep_lock.release()

    def _MemoryStorage__expire_events(self) -> None:  # noqa: N802
        now = time.time()
        for key in list(self.events.keys()):
            with self.locks[key]:
                events = self.events.get(key)
                if events:
                    keep = bisect.bisect_left(events, -now, key=lambda e: -e.expiry)
                    del events[keep:]
        for key in list(self.expirations.keys()):
            if self.expirations.get(key, now + 1) <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)

    def clear(self, key: str) -> None:
        """Forget one counter under its lock (limits' own pops the lock another thread may hold)."""
        self.forget_until(key, None)

    def reset(self) -> int | None:
        """Forget every counter, each under its lock."""
        keys = self.keys()
        for key in keys:
            self.clear(key)
        return len(keys)

    def keys(self) -> set[str]:
        return set(self.events) | set(self.storage)

    def forget_until(self, key: str, until: float | None) -> None:
        """Forget what a moving-window counter took up to ``until`` (None: all of it); what it
        took later stays (a reset learnt of late must not forget hits made after it)."""
        with self.locks[key]:
            if until is None:
                self.events.pop(key, None)
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                return
            events = self.events.get(key)
            if events:  # newest first
                del events[bisect.bisect_left(events, -until, key=lambda e: -e.atime) :]


# The reset log's rows, beside the counters' own (whose keys start with "LIMITER/"): the time of
# the latest reset, and per reset scope ("all", "user/<id>", "ip/<address>") the time of the
# latest reset of that scope.
RESET_LATEST = "wikipost-reset-latest"
RESET_SCOPE = "wikipost-reset/"
_LATEST = select(func.max(entries.c.atime)).where(entries.c.key == RESET_LATEST)


class ResetLog:
    """Resets of in-process counters, recorded in the store for the processes that hold them.

    A reset is recorded with its time: the holder, when it learns of it later, forgets what its
    counters took up to that time and keeps what they took since. Times only grow (a reset in
    the same microsecond as the last one is recorded a microsecond later), so "the latest reset"
    tells a reader whether anything happened since it last looked. One row per scope ever reset.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def latest(self) -> float:
        """The time of the latest reset (0 before the first)."""
        with self.db.read() as conn:
            return float(conn.execute(_LATEST).scalar() or 0)

    def record(self, scopes: list[str]) -> float:
        """Record a reset of ``scopes`` now; its time."""
        with self.db.write() as conn:
            if not self.db.is_sqlite:
                conn.execute(_PG_KEY_LOCK, {"key": RESET_LATEST})
            at = max(time.time(), float(conn.execute(_LATEST).scalar() or 0) + 1e-6)
            keys = [RESET_LATEST] + [RESET_SCOPE + scope for scope in scopes]
            conn.execute(delete(entries).where(entries.c.key.in_(keys)))
            conn.execute(insert(entries), [{"key": key, "atime": at} for key in keys])
        return at

    def since(self, after: float) -> dict[str, float]:
        """The scopes reset after ``after``, with the time of their latest reset."""
        query = select(entries.c.key, entries.c.atime).where(
            entries.c.key.startswith(RESET_SCOPE, autoescape=True), entries.c.atime > after
        )
        with self.db.read() as conn:
            return {str(key).removeprefix(RESET_SCOPE): float(at) for key, at in conn.execute(query).all()}


__all__: list[Any] = ["DatabaseStorage", "EmbeddedMemoryStorage", "ResetLog"]
