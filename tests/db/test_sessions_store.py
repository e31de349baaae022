"""Server-side sessions on both backends: save, load, rotate, reset and expire."""

from __future__ import annotations

from wikipost.services.sessions import Session
from wikipost.wiki import Wiki


def _cookie_value(headers: list[str], name: str) -> str | None:
    for header in headers:
        key, _, rest = header.partition("=")
        if key == name:
            return rest.split(";")[0]
    return None


def test_unused_session_is_not_stored_and_sends_no_cookie(any_wiki: Wiki) -> None:
    session = any_wiki.sessions.load({})
    assert session.id is None
    assert any_wiki.sessions.save(session, secure=False) == []


def test_saved_session_loads_with_its_data(any_wiki: Wiki) -> None:
    service = any_wiki.sessions
    session = service.load({})
    session.set("wsLoginToken", "abc")
    session.persist()
    headers = service.save(session, secure=False)
    sid = _cookie_value(headers, service.cookie_name)
    assert sid is not None and sid == session.id
    assert any("HttpOnly" in h for h in headers)
    loaded = service.load({service.cookie_name: sid})
    assert loaded.id == sid
    assert loaded.get("wsLoginToken") == "abc"
    loaded.user_id = 7
    loaded.set("x", [1, "two"])
    service.save(loaded, secure=True)
    again = service.load({service.cookie_name: sid})
    assert again.user_id == 7 and again.get("x") == [1, "two"]


def test_unknown_or_oversized_cookie_gives_an_empty_session(any_wiki: Wiki) -> None:
    service = any_wiki.sessions
    assert service.load({service.cookie_name: "nope"}).id is None
    assert service.load({service.cookie_name: "a" * 65}).id is None


def test_rotation_keeps_data_and_kills_the_old_id(any_wiki: Wiki) -> None:
    service = any_wiki.sessions
    session = Session()
    session.set("k", "v")
    session.persist()
    service.save(session, secure=False)
    old = session.id
    assert old is not None
    session.rotate()
    headers = service.save(session, secure=False)
    new = _cookie_value(headers, service.cookie_name)
    assert new is not None and new != old
    assert service.load({service.cookie_name: old}).id is None
    assert service.load({service.cookie_name: new}).get("k") == "v"


def test_bot_password_session_uses_the_bp_cookie(any_wiki: Wiki) -> None:
    service = any_wiki.sessions
    session = Session(user_id=3, bot_app="mybot")
    session.persist()
    headers = service.save(session, secure=False)
    sid = _cookie_value(headers, service.bp_cookie_name)
    assert sid == session.id
    assert _cookie_value(headers, service.cookie_name) is None  # 1.39 sets only _BPsession (#10)
    loaded = service.load({service.bp_cookie_name: str(sid)})
    assert loaded.bot_app == "mybot" and loaded.user_id == 3


def test_reset_deletes_the_row_and_both_cookies(any_wiki: Wiki) -> None:
    service = any_wiki.sessions
    session = Session(user_id=1)
    session.persist()
    service.save(session, secure=False)
    sid = session.id
    session.reset()
    headers = service.save(session, secure=False)
    assert _cookie_value(headers, service.cookie_name) == "deleted"
    assert _cookie_value(headers, service.bp_cookie_name) == "deleted"
    assert service.load({service.cookie_name: str(sid)}).id is None


def test_sessions_expire_and_are_purged(any_wiki: Wiki) -> None:
    service = any_wiki.sessions
    expiry = any_wiki.settings.users.session_expiry
    keep, drop = Session(), Session()
    for session in (keep, drop):
        session.persist()
        service.save(session, secure=False)
    any_wiki.clock.advance(expiry * 0.5)
    # Using a session slides its expiry forward.
    used = service.load({service.cookie_name: str(keep.id)})
    assert used.id == keep.id
    service.save(used, secure=False)
    any_wiki.clock.advance(expiry * 0.6)
    assert service.load({service.cookie_name: str(drop.id)}).id is None
    assert service.load({service.cookie_name: str(keep.id)}).id == keep.id
    assert service.purge_expired() == 1
    any_wiki.clock.advance(expiry + 1)
    assert service.purge_expired() == 1
    assert service.load({service.cookie_name: str(keep.id)}).id is None
