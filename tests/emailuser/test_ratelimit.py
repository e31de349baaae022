"""The rate limiter: which counters apply, exact counting under concurrency, reset, and the
table meta=userinfo shows. The same contract runs on the memory storage and a real Redis."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from wikipost.actor import Actor
from wikipost.services.ratelimit import RateLimiter
from wikipost.settings import Settings
from wikipost.wiki import Wiki

USER = Actor(
    id=7,
    name="Alice",
    implicit_groups=("*", "user", "autoconfirmed"),
    rights=frozenset({"sendemail", "autoconfirmed"}),
)
NEWBIE = Actor(id=8, name="Newbie", implicit_groups=("*", "user"), rights=frozenset({"sendemail"}))
ANON = Actor(id=0, name="127.0.0.1")
SYSOP = Actor(id=9, name="Admin", groups=("sysop",), rights=frozenset({"noratelimit", "autoconfirmed"}))


@pytest.fixture(
    params=[
        "memory",
        "redis",
        "database-sqlite",
        pytest.param("database-postgres", marks=pytest.mark.postgres),
    ]
)
def limiter_factory(request: pytest.FixtureRequest) -> Callable[..., RateLimiter]:
    storage = "memory://"
    db = None
    if request.param == "redis":
        storage = request.getfixturevalue("fresh_redis_url")
    elif request.param.startswith("database"):
        # Counters in the store itself: exact across serve --workers and the CLI.
        storage = "database"
        make_wiki = request.getfixturevalue("make_wiki")
        db = (make_wiki(database="postgres") if request.param.endswith("postgres") else make_wiki()).db

    def make(**limits: list[int] | dict[str, list[int]]) -> RateLimiter:
        table = {"emailuser": limits} if limits else None
        settings = Settings().replace(ratelimits={"storage": storage, **({"limits": table} if table else {})})
        limiter = RateLimiter(settings, db=db)
        limiter.reset()
        return limiter

    return make


class TestRateLimiterContract:
    def test_user_gets_exactly_the_user_limit(self, limiter_factory: Callable[..., RateLimiter]) -> None:
        limiter = limiter_factory(user=[3, 86400], newbie=[1, 86400], ip=[1, 86400])
        assert [limiter.hit("emailuser", USER, "10.0.0.1") for _ in range(4)] == [True] * 3 + [False]
        assert not limiter.allowed("emailuser", USER, "10.0.0.2")  # per user, not per address

    def test_peek_takes_nothing(self, limiter_factory: Callable[..., RateLimiter]) -> None:
        limiter = limiter_factory(user=[1, 86400])
        for _ in range(5):
            assert limiter.allowed("emailuser", USER, "10.0.0.1")
        assert limiter.hit("emailuser", USER, "10.0.0.1")
        assert not limiter.allowed("emailuser", USER, "10.0.0.1")

    def test_newbie_gets_newbie_and_ip_limits(self, limiter_factory: Callable[..., RateLimiter]) -> None:
        limiter = limiter_factory(user=[20, 86400], newbie=[2, 86400], ip=[5, 86400])
        assert [b.category for b in limiter.buckets("emailuser", NEWBIE, "10.0.0.1")] == ["ip", "newbie"]
        assert limiter.hit("emailuser", NEWBIE, "10.0.0.1")
        assert limiter.hit("emailuser", NEWBIE, "10.0.0.2")
        assert not limiter.hit("emailuser", NEWBIE, "10.0.0.3")

    def test_anonymous_is_limited_per_address(self, limiter_factory: Callable[..., RateLimiter]) -> None:
        limiter = limiter_factory(user=[20, 86400], ip=[2, 86400])
        assert [limiter.hit("emailuser", ANON, "10.0.0.1") for _ in range(3)] == [True, True, False]
        assert limiter.hit("emailuser", ANON, "10.0.0.2")

    def test_noratelimit_is_exempt(self, limiter_factory: Callable[..., RateLimiter]) -> None:
        limiter = limiter_factory(user=[1, 86400])
        assert all(limiter.hit("emailuser", SYSOP, "10.0.0.1") for _ in range(10))

    def test_group_entry_replaces_user_when_more_generous(
        self, limiter_factory: Callable[..., RateLimiter]
    ) -> None:
        limiter = limiter_factory(user=[1, 86400], bot=[50, 86400])
        bot = Actor(id=11, name="Bot", groups=("bot",), rights=frozenset({"autoconfirmed"}))
        assert [b.category for b in limiter.buckets("emailuser", bot, "x")] == ["bot"]

    def test_exact_under_concurrency(self, limiter_factory: Callable[..., RateLimiter]) -> None:
        limiter = limiter_factory(user=[20, 86400])
        barrier = threading.Barrier(32)
        results: list[bool] = []
        lock = threading.Lock()

        def worker() -> None:
            barrier.wait()
            for _ in range(4):
                ok = limiter.hit("emailuser", USER, "10.0.0.1")
                with lock:
                    results.append(ok)

        threads = [threading.Thread(target=worker) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results.count(True) == 20 and len(results) == 128

    def test_reset_one_user_or_all(self, limiter_factory: Callable[..., RateLimiter]) -> None:
        limiter = limiter_factory(user=[1, 86400])
        other = Actor(id=12, name="Other", rights=frozenset({"autoconfirmed"}))
        assert limiter.hit("emailuser", USER, "a") and limiter.hit("emailuser", other, "a")
        limiter.reset(user_id=USER.id)
        assert limiter.allowed("emailuser", USER, "a")
        assert not limiter.allowed("emailuser", other, "a")
        limiter.reset()
        assert limiter.allowed("emailuser", other, "a")


def test_describe_matches_userinfo_shapes(wiki: Wiki) -> None:
    """The table meta=userinfo&uiprop=ratelimits shows (transcript records 38 and 39)."""
    described = wiki.ratelimiter.describe(ANON)
    assert described["emailuser"] == {"ip": {"hits": 5, "seconds": 86400}}
    assert all(set(v) <= {"ip", "anon", "subnet"} for v in described.values())
    user = wiki.ratelimiter.describe(USER)
    assert user["emailuser"] == {"user": {"hits": 20, "seconds": 86400}}
    newbie = wiki.ratelimiter.describe(NEWBIE)
    assert newbie["emailuser"] == {
        "user": {"hits": 20, "seconds": 86400},
        "ip": {"hits": 5, "seconds": 86400},
        "newbie": {"hits": 5, "seconds": 86400},
    }
    assert wiki.ratelimiter.describe(SYSOP) == {}
