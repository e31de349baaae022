"""Composition: 1.39's encodings (transcript mails), and no header injection through a name or
a subject — CR/LF and typed encoded-words stay inside one header value."""

from __future__ import annotations

import email
import email.policy

import pytest

from tests.emailuser.transcript import header, header_names, mails_by_seq
from wikipost.mail.message import (
    Address,
    compose,
    format_address,
    is_valid_email,
    quoted_printable_header,
)


def mail(subject: str, name: str = "Bob", body: str = "Body") -> bytes:
    return compose(
        to=Address("bob@anchor.test", name),
        from_=Address("wiki@anchor.test", "AnchorWiki"),
        reply_to=Address("alice@anchor.test", "Alice"),
        subject=subject,
        body=body,
        date=0,
        message_id="<x.1@127.0.0.1>",
        list_unsubscribe="http://x/P",
    ).raw


def test_encodings_match_the_transcript_mails() -> None:
    mails = mails_by_seq()
    for seq in (4, 5, 11):
        raw = mails[seq]["raw"].encode()
        subject = email.message_from_bytes(raw, policy=email.policy.default)["Subject"]
        assert quoted_printable_header(str(subject)) == header(raw, "Subject")
    assert header_names(mail("x")) == header_names(mails[1]["raw"].encode())


def test_address_forms() -> None:
    assert format_address("ob@example.org", "O'Brien") == '"O\\\'Brien" <ob@example.org>'
    assert format_address("zoe@example.org", "Zoë") == "=?UTF-8?Q?Zo=C3=AB?= <zoe@example.org>"
    assert format_address("a@b.c") == "a@b.c"
    assert format_address("q@b.c", 'Say "hi" \\') == '"Say \\"hi\\" \\\\" <q@b.c>'


@pytest.mark.parametrize(
    "subject",
    [
        "Hello\r\nBcc: victim@evil.test",
        "Hello\nBcc: victim@evil.test",
        "Hello\rBcc: victim@evil.test",
        "=?UTF-8?Q?Hi=0D=0ABcc:_victim@evil.test?=",
        "x\r\n\r\nInjected body",
    ],
)
def test_subject_cannot_inject_headers(subject: str) -> None:
    raw = mail(subject)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc" not in head and b"\rBcc" not in head
    assert all(line.startswith(b" ") or b": " in line for line in head.split(b"\r\n"))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Bcc"] is None
    assert len(msg.get_all("Subject") or []) == 1
    assert "victim" not in str(msg["To"])
    # The subject round-trips through a standard parser as one value.
    if "=?" not in subject:
        assert str(msg["Subject"]).replace("\r", "").replace("\n", "") == subject.replace("\r", "").replace(
            "\n", ""
        )


def test_typed_encoded_word_is_not_interpreted() -> None:
    raw = mail("=?UTF-8?B?SGk=?=")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(msg["Subject"]) == "=?UTF-8?B?SGk=?="


def test_name_with_newline_cannot_inject() -> None:
    raw = mail("s", name="Bob\r\nBcc: victim@evil.test")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Bcc"] is None


def test_long_subject_is_folded_into_several_encoded_words() -> None:
    raw = mail("ü" * 1000)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(msg["Subject"]) == "ü" * 1000


def test_long_body_lines_use_quoted_printable() -> None:
    raw = mail("s", body="x" * 2000)
    assert b"Content-transfer-encoding: quoted-printable" in raw
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content().strip() == "x" * 2000


def test_email_syntax() -> None:
    assert is_valid_email("alice@anchor.test") and is_valid_email("a+b@localhost")
    for bad in ("", "alice", "a@b..c", "a b@c.d", "a@b.c\r\nBcc: x@y.z", "a@b.c\n"):
        assert not is_valid_email(bad), bad
