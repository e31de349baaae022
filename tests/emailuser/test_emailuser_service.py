"""emailuser rules beyond the transcript: D1 order, sender-side checks, ccme, reply-to mode,
durable acceptance (D3), the duplicate guard (D4) exact under concurrency, quota semantics."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.emailuser.helpers import API, csrf, emailuser, login_as, setup_users
from tests.emailuser.transcript import header
from wikipost.actor import Actor
from wikipost.app import build_app
from wikipost.services.emailuser import EmailUserError
from wikipost.wiki import Wiki


def actor(wiki: Wiki, name: str, *, drop: tuple[str, ...] = ()) -> Actor:
    user = wiki.users.get_by_name(name)
    assert user is not None
    a = wiki.users.actor_for(user)
    return Actor(a.id, a.name, a.groups, a.implicit_groups, a.rights - set(drop))


def error_of(fn: Callable[[], object]) -> str:
    with pytest.raises(EmailUserError) as info:
        fn()
    return info.value.code


def test_target_checks_come_before_sender_checks(wiki: Wiki) -> None:
    setup_users(wiki)
    svc = wiki.emailuser
    anon = wiki.users.anonymous("10.1.1.1")
    no_right = actor(wiki, "Alice", drop=("sendemail",))
    assert error_of(lambda: svc.send(anon, "10.1.1.1", "Nobody here", "s", "t", False)) == "notarget"
    assert error_of(lambda: svc.send(anon, "10.1.1.1", "Bob", "s", "t", False)) == "cantsend"
    assert error_of(lambda: svc.send(no_right, "ip", "Nobody here", "s", "t", False)) == "notarget"
    assert error_of(lambda: svc.send(no_right, "ip", "Carol", "s", "t", False)) == "noemail"
    assert error_of(lambda: svc.send(no_right, "ip", "Bob", "s", "t", False)) == "cantsend"
    frank = actor(wiki, "Frank")
    assert error_of(lambda: svc.send(frank, "ip", "Erin", "s", "t", False)) == "nowikiemail"
    assert error_of(lambda: svc.send(frank, "ip", "Bob", "s", "t", False)) == "blockedfrommail"


def test_user_email_disabled_after_target_checks(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki(mail={"enable_user_email": False})
    setup_users(wiki)
    alice = actor(wiki, "Alice")
    assert error_of(lambda: wiki.emailuser.send(alice, "ip", "Carol", "s", "t", False)) == "noemail"
    assert error_of(lambda: wiki.emailuser.send(alice, "ip", "Bob", "s", "t", False)) == "usermaildisabled"


def test_new_users_refused_when_target_says_so(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki(users={"autoconfirm_age": 86400})
    users = setup_users(wiki)
    wiki.users.set_option(users.bob.id, "email-allow-new-users", "0")
    newbie = actor(wiki, "Alice")  # registered just now: not autoconfirmed
    assert "autoconfirmed" not in newbie.rights
    assert error_of(lambda: wiki.emailuser.send(newbie, "ip", "Bob", "s", "t", False)) == "nowikiemail"
    assert wiki.emailuser.send(newbie, "ip", "Frank", "s", "t", False).result == "Success"
    wiki.clock.advance(86401)
    assert wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "s", "t", False).result == "Success"


def test_accepted_mail_is_in_the_outbox_before_success(wiki: Wiki) -> None:
    setup_users(wiki)
    result = wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "Hi", "Text", True)
    assert result.result == "Success" and len(result.outbox_ids) == 2
    rows = wiki.outbox.get(result.outbox_ids)
    assert [r.status for r in rows] == ["queued", "queued"]
    assert [r.kind for r in rows] == ["emailuser", "emailuser-copy"]
    assert wiki.mailer.outbox == []  # type: ignore[attr-defined]
    assert wiki.background().drain() >= 2
    assert [r.status for r in wiki.outbox.get(result.outbox_ids)] == ["sent", "sent"]
    sent = wiki.mailer.outbox  # type: ignore[attr-defined]
    assert [m.recipients for m in sent] == [("bob@anchor.test",), ("alice@anchor.test",)]
    assert header(sent[1].raw, "Subject") == "Copy of your message to Bob: Hi"


def test_from_is_the_sender_without_reply_to(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki(mail={"user_email_use_reply_to": False})
    setup_users(wiki)
    wiki.emailuser.send(actor(wiki, "Alice"), "ip", "Bob", "Hi", "Text", False)
    wiki.background().drain()
    (mail,) = wiki.mailer.outbox  # type: ignore[attr-defined]
    assert header(mail.raw, "From") == '"Alice" <alice@anchor.test>'
    assert header(mail.raw, "Return-Path") == "alice@anchor.test"
    assert mail.envelope_from == "alice@anchor.test"
    with pytest.raises(KeyError):
        header(mail.raw, "Reply-To")


def test_identical_retry_sends_nothing_new(wiki: Wiki) -> None:
    setup_users(wiki)
    alice = actor(wiki, "Alice")
    first = wiki.emailuser.send(alice, "ip", "Bob", "Hi", "Same", True)
    again = wiki.emailuser.send(alice, "ip", "bob", "Hi", "Same", True)
    other = wiki.emailuser.send(alice, "ip", "Bob", "Hi", "Same", False)  # ccme differs
    assert (first.result, again.result, other.result) == ("Success",) * 3
    assert again.duplicate and not other.duplicate
    assert wiki.outbox.counts()["queued"] == 3
    assert wiki.ratelimiter.remaining("emailuser", alice, "ip")["user"] == 18
    wiki.clock.advance(wiki.settings.mail.dedupe_seconds + 1)
    assert not wiki.emailuser.send(alice, "ip", "Bob", "Hi", "Same", True).duplicate


def test_concurrent_identical_requests_queue_one_mail(wiki: Wiki) -> None:
    setup_users(wiki)
    alice = actor(wiki, "Alice")
    barrier = threading.Barrier(16)
    results = []

    def worker() -> None:
        barrier.wait()
        results.append(wiki.emailuser.send(alice, "ip", "Bob", "Race", "Same text", False))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.result for r in results] == ["Success"] * 16
    assert sum(not r.duplicate for r in results) == 1
    assert len(wiki.outbox.list()) == 1


def test_concurrent_distinct_requests_respect_the_quota_exactly(wiki: Wiki) -> None:
    setup_users(wiki)
    alice = actor(wiki, "Alice")
    barrier = threading.Barrier(30)
    outcomes: list[str] = []

    def worker(n: int) -> None:
        barrier.wait()
        try:
            outcomes.append(wiki.emailuser.send(alice, "ip", "Bob", f"n{n}", "t", False).result)
        except EmailUserError as err:
            outcomes.append(err.code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("Success") == 20 and outcomes.count("ratelimited") == 10
    assert len(wiki.outbox.list()) == 20


def test_failed_checks_take_no_quota(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki(ratelimits={"emailuser": {"user": [1, 86400]}})
    setup_users(wiki)
    alice = actor(wiki, "Alice")
    for _ in range(3):
        assert error_of(lambda: wiki.emailuser.send(alice, "ip", "Carol", "s", "t", False)) == "noemail"
    assert wiki.emailuser.send(alice, "ip", "Bob", "s", "t", False).result == "Success"
    assert error_of(lambda: wiki.emailuser.send(alice, "ip", "Bob", "s2", "t", False)) == "ratelimited"


def test_ccme_to_self_sends_one_mail_and_copy_flag_is_presence(wiki: Wiki) -> None:
    users = setup_users(wiki)
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        login_as(wiki, client, users.alice)
        token = csrf(client)
        assert emailuser(client, token, target="Alice", subject="me", text="x", ccme="1") == {
            "emailuser": {"result": "Success"}
        }
        assert emailuser(client, token, target="Bob", subject="no", text="x", ccme="false") == {
            "emailuser": {"result": "Success"}
        }
    wiki.background().drain()
    assert [m.recipients[0] for m in wiki.mailer.outbox] == [  # type: ignore[attr-defined]
        "alice@anchor.test",
        "bob@anchor.test",
        "alice@anchor.test",
    ]


def test_xml_and_fv2_success_shapes(wiki: Wiki) -> None:
    users = setup_users(wiki)
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        login_as(wiki, client, users.alice)
        token = csrf(client)
        xml = client.post(
            API,
            data={
                "action": "emailuser",
                "target": "Bob",
                "subject": "xml",
                "text": "xml",
                "format": "xml",
                "token": token,
            },
        )
        assert xml.text == '<?xml version="1.0"?><api><emailuser result="Success" /></api>'
        fv2 = emailuser(client, token, target="Bob", subject="fv2", text="fv2", formatversion="2")
        assert fv2 == {"emailuser": {"result": "Success"}}
