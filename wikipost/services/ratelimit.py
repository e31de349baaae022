"""Rate limits like $wgRateLimits (emailuser.md §6), counted with the ``limits`` library.

Categories: ``user`` (registered, per user id), ``newbie`` (registered without the
``autoconfirmed`` right; replaces ``user``), ``ip`` (per client address, for anonymous users and
newbies, in addition), ``anon`` (all anonymous users together), ``ip-all`` (every caller per
address) and group names (a group's entry replaces ``user`` when it allows a higher rate).
Users with ``noratelimit`` are exempt.

Counting uses a moving window, exact under concurrency: the memory storage takes a lock per
hit, Redis runs one Lua script, the ``database`` storage counts in a table under the store's
write lock. ``memory://`` counters live in the serving process (the embedded mode, one worker);
with ``redis://…`` or ``database`` every process and the CLI share them.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from wikipost.actor import Actor
from wikipost.db import Database
from wikipost.services.ratelimit_store import DatabaseStorage
from wikipost.settings import Settings

RATELIMITED_TEXT = (
    "As an anti-abuse measure, you are limited from performing this action too many times in a "
    "short space of time, and you have exceeded this limit. Please try again in a few minutes."
)


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


@dataclass(frozen=True)
class Bucket:
    """One counter that applies to a request: its category, key and limit."""

    category: str
    key: tuple[str, ...]
    item: RateLimitItem


class RateLimiter:
    def __init__(
        self, settings: Settings, storage: Storage | None = None, db: Database | None = None
    ) -> None:
        self.config: dict[str, dict[str, list[int]]] = settings.ratelimits.limits
        uri = settings.ratelimits.storage
        if storage is None:
            if uri == "database":
                if db is None:
                    raise ValueError('[ratelimits] storage = "database" needs the database')
                longest = max((s for g in self.config.values() for _, s in g.values()), default=1)
                storage = DatabaseStorage(db, longest_window=longest)
            else:
                made = EmbeddedMemoryStorage() if uri.startswith("memory://") else storage_from_string(uri)
                assert isinstance(made, Storage)  # the synchronous kind
                storage = made
        self.storage: Storage = storage
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.namespace = settings.site.wiki_id

    # --- which counters apply ---------------------------------------------------------------

    @staticmethod
    def is_newbie(actor: Actor) -> bool:
        return not actor.has_right("autoconfirmed")

    def buckets(self, action: str, actor: Actor, ip: str) -> list[Bucket]:
        limits = self.config.get(action)
        if not limits or actor.has_right("noratelimit"):
            return []
        out: list[Bucket] = []

        def add(category: str, who: str) -> None:
            hits, seconds = limits[category]
            out.append(
                Bucket(
                    category, (self.namespace, action, category, who), RateLimitItemPerSecond(hits, seconds)
                )
            )

        newbie = self.is_newbie(actor)
        if newbie and "ip" in limits:
            add("ip", ip)
        if actor.is_anon:
            if "anon" in limits:
                add("anon", "*")
        else:
            user_key = str(actor.id)
            if newbie and "newbie" in limits:
                add("newbie", user_key)
            else:
                best = "user" if "user" in limits else None
                for group in actor.groups:
                    if group in limits and (best is None or _rate(limits[group]) > _rate(limits[best])):
                        best = group
                if best is not None:
                    add(best, user_key)
        if "ip-all" in limits:
            add("ip-all", ip)
        return out

    # --- counting ---------------------------------------------------------------------------

    def allowed(self, action: str, actor: Actor, ip: str) -> bool:
        """Peek: would one more request pass every counter? Takes nothing."""
        return all(self.strategy.test(b.item, *b.key) for b in self.buckets(action, actor, ip))

    def hit(self, action: str, actor: Actor, ip: str) -> bool:
        """Take one unit from every counter that applies; False if any was exhausted."""
        return all([self.strategy.hit(b.item, *b.key) for b in self.buckets(action, actor, ip)])

    def remaining(self, action: str, actor: Actor, ip: str) -> dict[str, int]:
        return {
            b.category: self.strategy.get_window_stats(b.item, *b.key).remaining
            for b in self.buckets(action, actor, ip)
        }

    def reset(self, user_id: int | None = None, ip: str | None = None) -> None:
        """Clear every counter, or those of one user (all categories) and/or one address."""
        if user_id is None and ip is None:
            self.storage.reset()
            return
        for action, limits in self.config.items():
            for category, (hits, seconds) in limits.items():
                item = RateLimitItemPerSecond(hits, seconds)
                if user_id is not None and category not in ("ip", "ip-all", "anon", "subnet"):
                    self.strategy.clear(item, self.namespace, action, category, str(user_id))
                if ip is not None and category in ("ip", "ip-all"):
                    self.strategy.clear(item, self.namespace, action, category, ip)

    # --- meta=userinfo&uiprop=ratelimits ----------------------------------------------------

    def describe(self, actor: Actor) -> dict[str, dict[str, dict[str, int]]]:
        """The limits that concern this user, as ApiQueryUserInfo::getRateLimits lists them."""
        if actor.has_right("noratelimit"):
            return {}
        categories = ["anon" if actor.is_anon else "user"]
        if self.is_newbie(actor):
            categories += ["ip", "subnet"] + ([] if actor.is_anon else ["newbie"])
        categories += list(actor.groups)
        out: dict[str, dict[str, dict[str, int]]] = {}
        for action, limits in self.config.items():
            shown = {c: {"hits": limits[c][0], "seconds": limits[c][1]} for c in categories if c in limits}
            if shown:
                out[action] = shown
        return out


def _rate(pair: list[int]) -> float:
    hits, seconds = pair
    return hits / seconds if seconds else float("inf")


__all__: list[Any] = ["RATELIMITED_TEXT", "Bucket", "RateLimiter"]
