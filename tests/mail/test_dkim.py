"""DKIM signing (issue #15): a live ``wikipost serve`` delivering over SMTP to a real aiosmtpd
signs with a key made by openssl for this run, and dkimpy's own verifier accepts what arrived
against the public key published (here: answered) as ``<selector>._domainkey.<domain>``; a
changed body or header fails. A key that cannot be read is refused before anything starts."""

from __future__ import annotations

import base64
import dataclasses
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dkim
import pytest
import requests

from tests.live import LiveServer, bot_login, start_live_server
from tests.mail.sink import Received, Sink
from tests.mail.test_mail_cli import BOT, users
from wikipost.mail.backends.maildir import MaildirBackend
from wikipost.mail.backends.signing import DkimSigningBackend
from wikipost.mail.dkimsign import DkimSigner, load_private_key
from wikipost.mail.message import Address, OutgoingMail, compose

pytestmark = pytest.mark.live

SELECTOR = "wp2026"
DOMAIN = "anchor.test"  # the domain of the conformance wiki's password_sender
EMAILUSER_SIGNED = [
    b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"mime-version",
    b"content-type", b"content-transfer-encoding", b"list-unsubscribe",
]  # fmt: skip


@dataclass
class KeyPair:
    private: Path
    public_b64: str  # the p= of the TXT record: base64 DER SubjectPublicKeyInfo

    def dns(self, selector: str = SELECTOR, domain: str = DOMAIN) -> dict[bytes, bytes]:
        record = f"v=DKIM1; k=rsa; p={self.public_b64}".encode()
        return {f"{selector}._domainkey.{domain}.".encode(): record}


def make_key(directory: Path, bits: int = 2048) -> KeyPair:
    """An RSA key pair made with the openssl CLI, as the README tells operators to."""
    private = directory / f"dkim-{bits}.pem"
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            f"rsa_keygen_bits:{bits}",
            "-out",
            str(private),
        ],
        check=True,
        capture_output=True,
    )
    der = subprocess.run(
        ["openssl", "pkey", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return KeyPair(private, base64.b64encode(der).decode())


def verify(data: bytes, records: dict[bytes, bytes]) -> bool:
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return records.get(name)

    return bool(dkim.verify(data, dnsfunc=dnsfunc))


def tags(data: bytes) -> dict[str, str]:
    """The DKIM-Signature's tags, unfolded."""
    found = re.match(rb"DKIM-Signature:(.*?)\r\n(?![ \t])", data, re.DOTALL)
    assert found is not None, data[:300]
    text = re.sub(r"\s+", "", found.group(1).decode())
    return dict(part.split("=", 1) for part in text.split(";") if part)


def header(data: bytes, name: str) -> str | None:
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    found = re.search(rf"^{re.escape(name)}: (.*)$", head, re.MULTILINE | re.IGNORECASE)
    return found.group(1).strip() if found else None


@dataclass
class Rig:
    server: LiveServer
    sink: Sink
    key: KeyPair
    session: requests.Session
    csrf: str

    def emailuser(self, subject: str) -> Received:
        before = len(self.sink.received)
        answer = self.session.post(
            self.server.api_url,
            data={
                "action": "emailuser",
                "target": "Bob",
                "subject": subject,
                "text": "Hello Bob, grüße.",
                "token": self.csrf,
                "format": "json",
            },
            timeout=60,
        ).json()
        assert answer == {"emailuser": {"result": "Success"}}, answer
        received = self.sink.handler.wait_for(before + 1)
        assert len(received) == before + 1, self.server.log()
        return received[-1]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    tmp = Path(tmp_path_factory.mktemp("dkim"))
    key = make_key(tmp)
    with Sink() as sink:
        config = {
            "mail": {
                "backend": "smtp",
                "smtp_port": sink.port,
                "dkim_selector": SELECTOR,
                "dkim_private_key_file": str(key.private),
            },
            "jobs": {"poll_seconds": 0.05},
        }
        server = start_live_server(tmp, config, start=False)
        users(server, "Alice", "Bob", bot=True)
        server.start()
        try:
            session, csrf = bot_login(server.api_url, *BOT)
            yield Rig(server, sink, key, session, csrf)
        finally:
            server.stop()


def test_emailuser_mail_arrives_signed_and_verifies(rig: Rig) -> None:
    data = rig.emailuser("Signed hello").data
    assert data.startswith(b"DKIM-Signature: ")
    sig = tags(data)
    assert (sig["v"], sig["a"], sig["c"], sig["d"], sig["s"]) == (
        "1",
        "rsa-sha256",
        "relaxed/relaxed",
        DOMAIN,
        SELECTOR,
    )
    assert sig["h"].encode().split(b":") == EMAILUSER_SIGNED
    assert verify(data, rig.key.dns())
    # What 1.39 sends with emailuser mail is unchanged: no Auto-Submitted (person to person),
    # List-Unsubscribe to Special:Preferences, a Message-ID on the host of [site] server.
    assert header(data, "Auto-Submitted") is None
    assert header(data, "List-Unsubscribe") == f"<{rig.server.index_url}/Special:Preferences>"
    assert re.fullmatch(r"<anchorwiki\.[0-9a-f]{14}\.\d{8}@127\.0\.0\.1>", header(data, "Message-ID") or "")


def test_a_changed_body_or_header_or_another_key_fails(rig: Rig) -> None:
    data = rig.emailuser("Tamper with me").data
    records = rig.key.dns()
    assert verify(data, records)
    assert not verify(data.replace(b"Hello Bob", b"Hello Rob"), records)
    assert not verify(data.replace(b"Subject: Tamper with me", b"Subject: Tampered with"), records)
    assert not verify(data.replace(b'Reply-To: "Alice"', b'Reply-To: "Mallory"'), records)
    other = make_key(rig.server.data_dir)
    assert not verify(data, other.dns())
    assert not verify(data, {})  # no key published


def test_the_wikis_own_mail_is_auto_submitted_and_signed(rig: Rig) -> None:
    before = len(rig.sink.received)
    rig.server.cli("user", "send-confirmation", "Bob")
    received = rig.sink.handler.wait_for(before + 1)
    assert len(received) == before + 1, rig.server.log()
    data = received[-1].data
    assert header(data, "Auto-Submitted") == "auto-generated"
    assert "auto-submitted" in tags(data)["h"].split(":")
    assert verify(data, rig.key.dns())


def _mail(body: str = "Hello.\n") -> OutgoingMail:
    return compose(
        to=Address("bob@anchor.test", "Bob"),
        from_=Address("wiki@anchor.test", "AnchorWiki"),
        subject="Maildir",
        body=body,
        date=1_790_000_000.0,
        message_id="<anchorwiki.00000000000000.00000000@127.0.0.1>",
        list_unsubscribe="http://127.0.0.1:8081/w/index.php/Special:Preferences",
    )


def test_a_redelivered_signed_mail_finds_its_first_copy_in_the_maildir(tmp_path: Path) -> None:
    """Each attempt is signed anew (t= changes), yet the maildir names a mail by its unsigned
    bytes: a second delivery after a crash lands on the first file instead of adding one."""
    key = make_key(tmp_path)
    signer = DkimSigner(SELECTOR, DOMAIN, load_private_key(str(key.private)))
    maildir = MaildirBackend(tmp_path / "maildir")
    backend = DkimSigningBackend(maildir, signer)
    mail = dataclasses.replace(_mail(), accepted_at=1_790_000_000.0)
    assert backend.send_each([mail]) == [None]
    assert backend.send_each([dataclasses.replace(mail, redelivery=True)]) == [None]
    (stored,) = maildir.messages()
    assert verify(stored, key.dns())
    # Signing a signed mail replaces its signature rather than stacking a second one.
    twice = signer.sign(signer.sign(mail))
    assert twice.raw.count(b"DKIM-Signature:") == 1 and verify(twice.raw, key.dns())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read it (No such file or directory)"),
        (
            b"-----BEGIN PRIVATE KEY-----\nU0VDUkVUU0VDUkVU\n-----END PRIVATE KEY-----\n",
            "not a PEM RSA private key",
        ),
        (b"SECRETSECRET not a key at all", "not a PEM RSA private key"),
    ],
)
def test_an_unusable_key_is_refused_at_startup_naming_the_file(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    key_file = tmp_path / "broken.pem"
    if content is not None:
        key_file.write_bytes(content)
    config = {
        "mail": {"backend": "memory", "dkim_selector": SELECTOR, "dkim_private_key_file": str(key_file)}
    }
    server = LiveServer(tmp_path / "live", config)
    for command in (["serve", "--port", str(server.port)], ["mail", "list"]):
        result = server.cli(*command, check=False, timeout=60)
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert f"error: [mail] dkim_private_key_file {key_file}: {expected}" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        assert "SECRET" not in result.stderr and "U0VDUkVU" not in result.stderr


def test_a_short_key_or_a_half_configuration_is_refused(tmp_path: Path) -> None:
    short = make_key(tmp_path, bits=512)
    cases = [
        (
            {"dkim_selector": SELECTOR, "dkim_private_key_file": str(short.private)},
            "512-bit key is too short",
        ),
        ({"dkim_selector": SELECTOR}, "dkim_selector and dkim_private_key_file must be set together"),
        (
            {"dkim_selector": "bad selector\r\nX-Evil: 1", "dkim_private_key_file": str(short.private)},
            "is not a DNS name",
        ),
    ]
    for n, (mail, expected) in enumerate(cases):
        server = LiveServer(tmp_path / f"live{n}", {"mail": mail})
        result = server.cli("mail", "list", check=False)
        assert result.returncode == 2 and expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
