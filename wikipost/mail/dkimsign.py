"""DKIM signatures (RFC 6376) on outgoing mail, made with dkimpy.

Mail is signed when it is handed to the backend (wikipost/mail/backends/signing.py), once per
delivery attempt, not when it is composed: signing costs an RSA operation in pure Python
(about 10 ms), which belongs in the worker, not on the request path; mail already queued is
signed with the key configured when it goes out (a key rotation covers it); and a retry carries
a fresh ``t=``. The outbox keeps the unsigned bytes. A mail delivered twice (a worker died
before recording it) is the same mail with another signature: the maildir recognises its first
copy by the unsigned bytes (:func:`unsigned`), SMTP receivers by the unchanged Message-ID.

The signature covers the headers listed in :data:`SIGNED_HEADERS` that the mail has, with
relaxed/relaxed canonicalisation, rsa-sha256, ``d=`` the signing domain and ``s=`` the selector.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from wikipost.mail.message import OutgoingMail

# In this order in h=; only those the mail carries are signed.
SIGNED_HEADERS = (
    "from", "to", "subject", "date", "message-id", "reply-to", "mime-version", "content-type",
    "content-transfer-encoding", "list-unsubscribe", "auto-submitted",
)  # fmt: skip
CANONICALIZATION = (b"relaxed", b"relaxed")
MIN_KEY_BITS = 1024  # RFC 8301: signers MUST NOT use shorter RSA keys

# A selector is one or more DNS labels, like a domain (RFC 6376 3.1).
_LABELS = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*"
)
_SIGNATURE_HEADER = re.compile(rb"\ADKIM-Signature:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*", re.IGNORECASE)


class DkimError(ValueError):
    """The DKIM configuration or key cannot sign; the message names the setting or the file."""


def load_private_key(path: str) -> bytes:
    """The PEM bytes of an unencrypted RSA private key (PKCS#1 or PKCS#8) of at least 1024 bits.

    Errors name the file, never its content."""
    from dkim.crypto import UnparsableKeyError, parse_pem_private_key

    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise DkimError(f"dkim_private_key_file {path}: cannot read it ({err.strerror or err})") from err
    data = data.replace(b"\r\n", b"\n")
    if b"ENCRYPTED" in data:
        raise DkimError(f"dkim_private_key_file {path}: the key is encrypted; DKIM needs it unencrypted")
    try:
        key = parse_pem_private_key(data)
    except (UnparsableKeyError, ValueError, IndexError, TypeError) as err:
        raise DkimError(
            f"dkim_private_key_file {path}: not a PEM RSA private key (PKCS#1 or PKCS#8)"
        ) from err
    bits = int(key["modulus"]).bit_length()
    if bits < MIN_KEY_BITS:
        raise DkimError(
            f"dkim_private_key_file {path}: a {bits}-bit key is too short (at least {MIN_KEY_BITS})"
        )
    return data


def check_dkim_settings(selector: str, domain: str, key_file: str) -> None:
    """Raise :class:`DkimError` unless the three ``[mail] dkim_*`` settings can sign (or are all
    empty: no signing). The domain may stay empty (then [site] password_sender's is used)."""
    if not (selector or domain or key_file):
        return
    if not selector or not key_file:
        raise DkimError("dkim_selector and dkim_private_key_file must be set together")
    if not _LABELS.fullmatch(selector):
        raise DkimError(f"dkim_selector {selector!r} is not a DNS name (letters, digits, '-', '_', '.')")
    if domain and not _LABELS.fullmatch(domain):
        raise DkimError(f"dkim_domain {domain!r} is not a domain name")
    load_private_key(key_file)


def unsigned(raw: bytes) -> bytes:
    """``raw`` without the DKIM-Signature headers a signer put in front of it."""
    while True:
        found = _SIGNATURE_HEADER.match(raw)
        if found is None:
            return raw
        raw = raw[found.end() :]


def _header_names(raw: bytes) -> set[str]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    return {
        line.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
        for line in head.split(b"\r\n")
        if line and line[:1] not in (b" ", b"\t") and b":" in line
    }


class DkimSigner:
    """Signs mails with one key for one ``d=`` domain and selector."""

    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        if not _LABELS.fullmatch(selector) or not _LABELS.fullmatch(domain):
            raise DkimError(f"cannot sign as selector {selector!r} of domain {domain!r}")
        self.selector = selector
        self.domain = domain
        self._key = private_key

    @classmethod
    def from_settings(cls, selector: str, domain: str, key_file: str, sender: str) -> DkimSigner | None:
        """The signer ``[mail] dkim_*`` describe (``sender``'s domain when no domain is set), or
        None when DKIM is not configured."""
        if not selector:
            return None
        check_dkim_settings(selector, domain, key_file)
        return cls(selector, domain or sender.rpartition("@")[2].lower(), load_private_key(key_file))

    def signature(self, raw: bytes) -> bytes:
        """The ``DKIM-Signature:`` header (folded, CRLF-terminated) for the message ``raw``."""
        import dkim

        present = _header_names(raw)
        headers = [name.encode("ascii") for name in SIGNED_HEADERS if name in present]
        try:
            header: bytes = dkim.sign(
                raw,
                self.selector.encode("ascii"),
                self.domain.encode("ascii"),
                self._key,
                canonicalize=CANONICALIZATION,
                include_headers=headers,
            )
        except dkim.DKIMException as err:
            raise DkimError(f"DKIM signing failed: {err}") from err
        return header if header.endswith(b"\r\n") else header + b"\r\n"

    def sign(self, mail: OutgoingMail) -> OutgoingMail:
        """The mail with a fresh DKIM-Signature in front (an earlier one is replaced)."""
        raw = unsigned(mail.raw)
        return dataclasses.replace(mail, raw=self.signature(raw) + raw)
