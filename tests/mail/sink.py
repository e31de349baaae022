"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives (tests and bench).

Options: STARTTLS or implicit TLS with a self-signed certificate made by ``openssl``, AUTH with
a fixed user, and refusing recipients with a chosen reply (``refuse={"x@y": "550 …"}``).
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SinkHandler:
    refuse: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before accepting each mail (a slow server)
    hold_after: int | None = None  # accept this many mails, then hold each further DATA unanswered
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    async def handle_RCPT(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,  # noqa: N802
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold_after is not None:
            with self.arrived:
                held = len(self.received) >= self.hold_after
            if held:  # a server stuck mid-transaction: the client waits until it gives up
                await asyncio.Event().wait()  # cancelled when the sink stops
        with self.arrived:
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    bytes(envelope.original_content or envelope.content),
                )
            )
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """(cert, key) for CN/SAN 127.0.0.1, made with the openssl CLI."""
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Sink:
    """``with Sink() as sink: … sink.port … sink.handler.received``"""

    def __init__(
        self,
        *,
        refuse: dict[str, str] | None = None,
        delay: float = 0.0,
        tls: str = "",
        cert: tuple[Path, Path] | None = None,
        auth: tuple[str, str] | None = None,
        port: int | None = None,
        hold_after: int | None = None,
    ) -> None:
        self.handler = SinkHandler(refuse=dict(refuse or {}), delay=delay, hold_after=hold_after)
        self.port = port or free_port()
        self.auth = auth
        self.auth_attempts: list[tuple[str, bool]] = []
        kwargs: dict[str, Any] = {}
        context = None
        if tls:
            assert cert is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
        if tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        elif tls == "tls":
            kwargs.update(ssl_context=context)
        if auth is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=False)
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )
        self._tls = tls

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.auth is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.auth
        )
        self.auth_attempts.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> Sink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> Sink:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
