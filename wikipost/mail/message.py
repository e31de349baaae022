"""Mail composition as MediaWiki 1.39's UserMailer writes it (emailuser.md §7).

The header set, order and encodings follow the captured mails (mediawiki-1.39.mail.jsonl):
plain-text UTF-8 bodies with CRLF line endings, RFC 2047 Q-encoding only for header values
holding "illegal" bytes. Unlike 1.39, CR and LF count as illegal too, so no name or subject can
start a new header line; an encoded-word typed into a subject contains ``=`` and is therefore
itself encoded, never interpreted.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

# UserMailer::quotedPrintable: bytes that force encoding, and those written =XX once encoding.
# 1.39 leaves CR and LF out of the first set; we add them (header-injection safety).
_ILLEGAL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f-\xff=]")
_REPLACE = re.compile(rb"[\x00-\x1f\x7f-\xff=\t ?_]")
# Longest header line we write; longer encoded values are split into several encoded-words.
_MAX_ENCODED_WORD = 900
# A body line longer than SMTP's 998-octet limit makes us use quoted-printable instead of 8bit.
_MAX_LINE = 998

# emailuser.md §4: MediaWiki's (Sanitizer::validateEmail) address syntax.
_EMAIL = re.compile(r"[a-z0-9!#$%&'*+\-/=?^_`{|}~.]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*", re.IGNORECASE)


def is_valid_email(address: str) -> bool:
    return bool(address) and _EMAIL.fullmatch(address) is not None


def quoted_printable_header(value: str) -> str:
    """The value itself when it is safe, else ``=?UTF-8?Q?…?=`` word(s) (never raw CR/LF)."""
    data = value.encode("utf-8")
    if not _ILLEGAL.search(data):
        return value
    words: list[str] = []
    current = ""
    for char in value:
        piece = _REPLACE.sub(lambda m: f"={m.group(0)[0]:02X}".encode(), char.encode()).decode("ascii")
        if current and len(current) + len(piece) > _MAX_ENCODED_WORD:
            words.append(current)
            current = ""
        current += piece
    words.append(current)
    return "\r\n ".join(f"=?UTF-8?Q?{w}?=" for w in words)


def format_address(address: str, name: str = "") -> str:
    """MailAddress::toString: ``"Name" <addr>`` with addslashes, or an encoded name."""
    if not name:
        return address
    if _ILLEGAL.search(name.encode("utf-8")):
        return f"{quoted_printable_header(name)} <{address}>"
    escaped = name.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')
    return f'"{escaped}" <{address}>'


def new_message_id(wiki_id: str, host: str) -> str:
    """``<wikiid>.<14 hex>.<8 digits>@host`` like 1.39's uniqid-based ids, but random."""
    raw = secrets.token_bytes(11)  # one read of the system's random source
    return f"<{wiki_id}.{raw[:7].hex()}.{int.from_bytes(raw[7:]) % 10**8:08d}@{host}>"


def rfc2822_date(ts: float) -> str:
    return _date_of_second(int(ts))


@functools.lru_cache(maxsize=4)
def _date_of_second(second: int) -> str:
    """Mails accepted in the same second share their Date header: formatted once."""
    return format_datetime(datetime.fromtimestamp(second, UTC))


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


@dataclass(frozen=True)
class OutgoingMail:
    """A composed message: what a backend sends (envelope + the exact bytes)."""

    message_id: str
    envelope_from: str
    recipients: tuple[str, ...]
    raw: bytes
    subject: str = ""
    # Set by the outbox: when the mail was accepted, and whether an earlier attempt may have
    # delivered it already (a worker died before recording it). The maildir names a mail's
    # file after these, so a second delivery of the same mail finds the first.
    accepted_at: float = 0.0
    redelivery: bool = False


@dataclass(frozen=True)
class Address:
    address: str
    name: str = ""

    def __str__(self) -> str:
        return format_address(self.address, self.name)


def compose(
    *,
    to: Address,
    from_: Address,
    subject: str,
    body: str,
    date: float,
    message_id: str,
    list_unsubscribe: str,
    reply_to: Address | None = None,
    return_path: str | None = None,
    auto_submitted: str = "",
) -> OutgoingMail:
    """Headers in 1.39's order, then the body (CRLF); 8bit unless a line is too long.

    ``auto_submitted`` (RFC 3834, e.g. ``"auto-generated"``): for mail the wiki writes by itself,
    so that vacation responders leave it alone. 1.39 sends it with no mail; it goes first, where
    UserMailer puts the extra headers a caller passes (``$options['headers']``).
    """
    text = _crlf(body)
    if not text.endswith("\r\n"):
        text += "\r\n"
    data = text.encode("utf-8")
    encoding = "8bit"
    if any(len(line) > _MAX_LINE for line in data.split(b"\r\n")):
        import quopri

        data = quopri.encodestring(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
        encoding = "quoted-printable"
    envelope_from = return_path or from_.address
    if auto_submitted and not re.fullmatch(r"[a-z-]+", auto_submitted):
        raise ValueError(f"not an Auto-Submitted value: {auto_submitted!r}")
    headers = [("Auto-Submitted", auto_submitted)] if auto_submitted else []
    headers += [("From", str(from_)), ("Return-Path", envelope_from)]
    if reply_to is not None:
        headers.append(("Reply-To", str(reply_to)))
    headers += [
        ("Date", rfc2822_date(date)),
        ("Message-ID", message_id),
        ("X-Mailer", "MediaWiki mailer"),
        ("List-Unsubscribe", f"<{list_unsubscribe}>"),
        ("MIME-Version", "1.0"),
        ("Content-type", "text/plain; charset=UTF-8"),
        ("Content-transfer-encoding", encoding),
        ("Subject", quoted_printable_header(subject)),
        ("To", str(to)),
    ]
    head = "".join(f"{k}: {v}\r\n" for k, v in headers).encode("utf-8")
    return OutgoingMail(message_id, envelope_from, (to.address,), head + b"\r\n" + data, subject)
