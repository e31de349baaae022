"""Which modules run in a worker thread (slow work) and which inline on the event loop."""

from __future__ import annotations

from wikipost.api.registry import build_registry
from wikipost.settings import Settings


def test_slow_modules_are_declared_blocking() -> None:
    registry = build_registry()
    settings = Settings()
    blocking = {m.name for m in registry.modules("action") if m.runs_blocking(settings)}
    # Password hashing, whole delivery lists, page saves.
    assert {"login", "clientlogin", "massmessage", "editmassmessagelist", "edit"} <= blocking
    # The hot paths run inline.
    assert not blocking & {"emailuser", "query", "paraminfo", "logout", "checktoken"}


def test_emailuser_blocks_only_when_it_waits_for_smtp() -> None:
    emailuser = build_registry().get("action", "emailuser")
    assert emailuser is not None
    assert not emailuser.runs_blocking(Settings())
    assert emailuser.runs_blocking(Settings().replace(mail={"delivery": "sync"}))
