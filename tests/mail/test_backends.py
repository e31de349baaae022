"""One contract for every mail backend (maildir, smtp, memory), plus SMTP specifics against a
real aiosmtpd server on 127.0.0.1: connection reuse, AUTH, STARTTLS, implicit TLS, 4xx/5xx."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.mail.sink import Sink, self_signed_cert
from wikipost.mail.backends import MailBackend, MaildirBackend, MemoryBackend, SmtpBackend
from wikipost.mail.message import Address, OutgoingMail, compose, new_message_id


def make_mail(n: int, to: str = "bob@anchor.test") -> OutgoingMail:
    return compose(
        to=Address(to, "Bob"),
        from_=Address("wiki@anchor.test", "AnchorWiki"),
        reply_to=Address("alice@anchor.test", "Alice"),
        subject=f"Grüße {n}",
        body=f"Line one {n}\n.\nÜnicode — last line",
        date=1_795_549_247,
        message_id=new_message_id("anchorwiki", "127.0.0.1"),
        list_unsubscribe="http://127.0.0.1:8081/w/index.php/Special:Preferences",
    )


class Harness:
    """A backend plus a way to read back what it delivered (raw bytes, in order)."""

    def __init__(self, backend: MailBackend, delivered: Callable[[], list[bytes]]) -> None:
        self.backend = backend
        self.delivered = delivered


@pytest.fixture(params=["memory", "maildir", "smtp"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    kind = request.param
    if kind == "memory":
        memory = MemoryBackend()
        yield Harness(memory, lambda: [m.raw for m in memory.outbox])
    elif kind == "maildir":
        maildir = MaildirBackend(tmp_path / "maildir")
        # Maildir keys are unordered: order by the subject's number for the contract.
        yield Harness(maildir, lambda: sorted(maildir.messages(), key=_subject_number))
    else:
        with Sink() as sink:
            smtp = SmtpBackend("127.0.0.1", sink.port, timeout=10)
            yield Harness(smtp, lambda: [_smtp_raw(r.data) for r in sink.received])
            smtp.close()


def _subject_number(raw: bytes) -> int:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return int(str(msg["Subject"]).split()[-1])


def _smtp_raw(data: bytes) -> bytes:
    return data if data.endswith(b"\r\n") else data + b"\r\n"


# --- the contract -----------------------------------------------------------------------------


def test_send_messages_counts_and_keeps_bytes(harness: Harness) -> None:
    mails = [make_mail(n) for n in range(3)]
    with harness.backend as backend:
        assert backend.send_messages(mails) == 3
    delivered = harness.delivered()
    assert [d.replace(b"\r\n", b"\n") for d in delivered] == [m.raw.replace(b"\r\n", b"\n") for m in mails]


def test_empty_list_sends_nothing(harness: Harness) -> None:
    with harness.backend as backend:
        assert backend.send_messages([]) == 0
    assert harness.delivered() == []


def test_reopens_after_close(harness: Harness) -> None:
    backend = harness.backend
    with backend:
        backend.send_messages([make_mail(1)])
    with backend:
        backend.send_messages([make_mail(2)])
    assert backend.send_messages([make_mail(3)]) == 1  # without an explicit open
    backend.close()
    assert [_subject_number(d) for d in harness.delivered()] == [1, 2, 3]


def test_each_outcome_is_reported(harness: Harness) -> None:
    outcomes = harness.backend.send_each([make_mail(1), make_mail(2)])
    harness.backend.close()
    assert outcomes == [None, None]


# --- SMTP specifics ---------------------------------------------------------------------------


def test_maildir_moves_every_mail_from_tmp_into_new(tmp_path: Path) -> None:
    maildir = MaildirBackend(tmp_path / "maildir")
    mails = [make_mail(n) for n in range(5)]
    assert maildir.send_each(mails) == [None] * 5
    assert list((tmp_path / "maildir" / "tmp").iterdir()) == []
    stored = sorted((tmp_path / "maildir" / "new").iterdir())
    assert len({p.name for p in stored}) == 5
    assert sorted(p.read_bytes() for p in stored) == sorted(m.raw for m in mails)


def test_maildir_that_cannot_be_written_reports_each_mail(tmp_path: Path) -> None:
    maildir = MaildirBackend(tmp_path / "maildir")
    maildir.open()
    (tmp_path / "maildir" / "tmp").rmdir()
    (tmp_path / "maildir" / "tmp").write_text("not a directory")
    results = maildir.send_each([make_mail(1), make_mail(2)])
    assert all(r is not None and "Maildir" in r.reason for r in results)
    assert list((tmp_path / "maildir" / "new").iterdir()) == []


def test_smtp_reuses_one_connection_for_many_mails() -> None:
    with Sink() as sink:
        backend = SmtpBackend("127.0.0.1", sink.port, timeout=10)
        for batch in range(3):
            assert backend.send_messages([make_mail(batch * 10 + n) for n in range(5)]) == 5
        assert backend.connections_opened == 1
        backend.close()
        assert len(sink.received) == 15
        assert sink.received[0].mail_from == "wiki@anchor.test"
        assert sink.received[0].rcpt_tos == ["bob@anchor.test"]


def test_smtp_refusals_are_classified() -> None:
    refuse = {"gone@anchor.test": "550 5.1.1 No such user", "busy@anchor.test": "451 4.3.0 Try later"}
    with Sink(refuse=refuse) as sink:
        backend = SmtpBackend("127.0.0.1", sink.port, timeout=10)
        ok, gone, busy, ok2 = backend.send_each(
            [make_mail(1), make_mail(2, "gone@anchor.test"), make_mail(3, "busy@anchor.test"), make_mail(4)]
        )
        backend.close()
    assert ok is None and ok2 is None
    assert gone is not None and gone.permanent and "550" in gone.reason
    assert busy is not None and not busy.permanent and "451" in busy.reason
    assert len(sink.received) == 2  # the connection survived the refusals


def test_smtp_server_down_is_temporary_with_pear_like_reason() -> None:
    with Sink() as sink:
        port = sink.port
    backend = SmtpBackend("127.0.0.1", port, timeout=5)
    (outcome,) = backend.send_each([make_mail(1)])
    assert outcome is not None and not outcome.permanent
    assert outcome.reason == (
        f"Failed to connect to 127.0.0.1:{port} [SMTP: Failed to connect "
        "socket: Connection refused (code: -1, response: )]"
    )


def test_smtp_auth(tmp_path: Path) -> None:
    with Sink(auth=("wiki", "s3cret")) as sink:
        good = SmtpBackend("127.0.0.1", sink.port, username="wiki", password="s3cret", timeout=10)
        assert good.send_messages([make_mail(1)]) == 1
        good.close()
        bad = SmtpBackend("127.0.0.1", sink.port, username="wiki", password="wrong", timeout=10)
        (outcome,) = bad.send_each([make_mail(2)])
        anonymous = SmtpBackend("127.0.0.1", sink.port, timeout=10)
        (refused,) = anonymous.send_each([make_mail(3)])
        anonymous.close()
    assert outcome is not None and "authentication" in outcome.reason
    assert refused is not None  # AUTH required: MAIL FROM without it is refused
    results = [ok for _mech, ok in sink.auth_attempts]
    assert results[0] is True and not any(results[1:])  # the wrong password tried, refused
    assert len(sink.received) == 1


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_smtp_tls_modes_verify_the_certificate(tmp_path: Path, mode: str) -> None:
    cert = self_signed_cert(tmp_path)
    with Sink(tls=mode, cert=cert, auth=("wiki", "s3cret")) as sink:
        trusting = SmtpBackend(
            "127.0.0.1",
            sink.port,
            tls=mode,
            cert_bundle=str(cert[0]),
            username="wiki",
            password="s3cret",
            timeout=10,
        )
        assert trusting.send_messages([make_mail(1), make_mail(2)]) == 2
        trusting.close()
        # Without our CA the self-signed certificate is rejected: nothing goes out in clear.
        distrusting = SmtpBackend(
            "127.0.0.1", sink.port, tls=mode, username="wiki", password="s3cret", timeout=10
        )
        (outcome,) = distrusting.send_each([make_mail(3)])
    assert outcome is not None and not outcome.permanent
    assert len(sink.received) == 2


def test_starttls_required_by_server_refuses_plain_client(tmp_path: Path) -> None:
    cert = self_signed_cert(tmp_path)
    with Sink(tls="starttls", cert=cert) as sink:
        plain = SmtpBackend("127.0.0.1", sink.port, timeout=10)
        (outcome,) = plain.send_each([make_mail(1)])
        plain.close()
    assert outcome is not None
    assert sink.received == []


def test_smtp_reconnects_when_the_pooled_connection_was_dropped() -> None:
    with Sink() as sink:
        port = sink.port
        backend = SmtpBackend("127.0.0.1", port, timeout=10)
        assert backend.send_messages([make_mail(1)]) == 1
    # The server went away (dropping our idle connection) and came back on the same port.
    with Sink(port=port) as sink:
        assert backend.send_messages([make_mail(2)]) == 1
        backend.close()
        assert len(sink.received) == 1
    assert backend.connections_opened == 2
