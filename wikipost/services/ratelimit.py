"""Rate limits like $wgRateLimits (emailuser.md §6), counted with the ``limits`` library.

Categories: ``user`` (registered, per user id), ``newbie`` (registered without the
``autoconfirmed`` right; replaces ``user``), ``ip`` (per client address, for anonymous users and
newbies, in addition), ``anon`` (all anonymous users together), ``ip-all`` (every caller per
address) and group names (a group's entry replaces ``user`` when it allows a higher rate).
Users with ``noratelimit`` are exempt.

Counting uses a moving window, exact under concurrency: the memory storage takes a lock per
hit, Redis runs one Lua script, the ``database`` storage counts in a table under the store's
write lock. With ``redis://…`` or ``database`` every process and the CLI share the counters.

``memory://`` counters (the embedded default) live in the serving process, where the CLI cannot
reach them; a reset made elsewhere (``wikipost ratelimit reset``) is recorded in the store's
reset log instead, and the server applies it when it next looks: at most once a second on its
way, and always before it refuses a request, so a refusal never outlives a reset. Accepted
requests pay one indexed read a second for that, not one each.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from wikipost.actor import Actor
from wikipost.db import Database
from wikipost.services.ratelimit_store import DatabaseStorage, EmbeddedMemoryStorage, ResetLog
from wikipost.settings import Settings

RATELIMITED_TEXT = (
    "As an anti-abuse measure, you are limited from performing this action too many times in a "
    "short space of time, and you have exceeded this limit. Please try again in a few minutes."
)


@dataclass(frozen=True)
class Bucket:
    """One counter that applies to a request: its category, key and limit."""

    category: str
    key: tuple[str, ...]
    item: RateLimitItem


# How often a server with in-process counters looks at the reset log while nothing is refused.
RESET_CHECK_SECONDS = 1.0


class RateLimiter:
    def __init__(
        self, settings: Settings, storage: Storage | None = None, db: Database | None = None
    ) -> None:
        self.config: dict[str, dict[str, list[int]]] = settings.ratelimits.limits
        uri = settings.ratelimits.storage
        # Counters only this process holds (memory://) learn of resets made elsewhere from the
        # store's reset log; shared storages are reset where they are.
        self.reset_log: ResetLog | None = None
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
                if isinstance(made, EmbeddedMemoryStorage) and db is not None:
                    self.reset_log = ResetLog(db)
        self.storage: Storage = storage
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.namespace = settings.site.wiki_id
        self._seen_reset: float | None = None  # the reset log's latest, once looked at
        self._next_look = 0.0
        self._look_lock = threading.Lock()

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
        buckets = self.buckets(action, actor, ip)
        if not buckets:
            return True
        self._catch_up()
        if all(self.strategy.test(b.item, *b.key) for b in buckets):
            return True
        return self._catch_up(now=True) and all(self.strategy.test(b.item, *b.key) for b in buckets)

    def hit(self, action: str, actor: Actor, ip: str) -> bool:
        """Take one unit from every counter that applies; False if any was exhausted."""
        buckets = self.buckets(action, actor, ip)
        if not buckets:
            return True
        self._catch_up()
        if all([self.strategy.hit(b.item, *b.key) for b in buckets]):
            return True
        # A reset may have been recorded since the last look: a refusal must not outlive it.
        return self._catch_up(now=True) and all([self.strategy.hit(b.item, *b.key) for b in buckets])

    def remaining(self, action: str, actor: Actor, ip: str) -> dict[str, int]:
        self._catch_up()
        return {
            b.category: self.strategy.get_window_stats(b.item, *b.key).remaining
            for b in self.buckets(action, actor, ip)
        }

    def reset(self, user_id: int | None = None, ip: str | None = None) -> None:
        """Clear every counter, or those of one user (all categories) and/or one address.

        With in-process counters the reset is also recorded in the store's reset log, so that
        the server holding them (another process: this is what `wikipost ratelimit reset` does)
        applies it before its next refusal.
        """
        scopes = ["all"] if user_id is None and ip is None else []
        if user_id is not None:
            scopes.append(f"user/{user_id}")
        if ip is not None:
            scopes.append(f"ip/{ip}")
        self._clear(dict.fromkeys(scopes))
        if self.reset_log is not None:
            self.reset_log.record(scopes)

    def _clear(self, scopes: Mapping[str, float | None]) -> None:
        """Clear the counters of reset scopes ("all", "user/<id>", "ip/<address>") here, each up
        to the time it was reset (None: all of it, a reset made here and now)."""
        memory = self.storage if isinstance(self.storage, EmbeddedMemoryStorage) else None
        if "all" in scopes:
            until = scopes["all"]
            if memory is None or until is None:
                self.storage.reset()
            else:
                for key in memory.keys():
                    memory.forget_until(key, until)
        for scope, until in scopes.items():
            kind, _, who = scope.partition("/")
            if kind not in ("user", "ip"):
                continue
            for action, limits in self.config.items():
                for category, (hits, seconds) in limits.items():
                    per_address = category in ("ip", "ip-all")
                    if (kind == "ip") != per_address or (kind == "user" and category in ("anon", "subnet")):
                        continue
                    item = RateLimitItemPerSecond(hits, seconds)
                    if memory is None or until is None:
                        self.strategy.clear(item, self.namespace, action, category, who)
                    else:
                        memory.forget_until(item.key_for(self.namespace, action, category, who), until)

    def _catch_up(self, *, now: bool = False) -> bool:
        """Apply the resets recorded since the last look (by the CLI); True if there were any.

        Looks at most every RESET_CHECK_SECONDS, unless ``now``. The first look only notes where
        the log stands: no counter was taken before it.
        """
        log = self.reset_log
        if log is None or (not now and time.monotonic() < self._next_look):
            return False
        with self._look_lock:
            self._next_look = time.monotonic() + RESET_CHECK_SECONDS
            latest = log.latest()
            seen, self._seen_reset = self._seen_reset, latest
            if seen is None or latest == seen:
                return False
            # Latest going back means the log was emptied: forget everything taken until now.
            self._clear(log.since(seen) if latest > seen else {"all": time.time()})
            return True

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
