"""Delivers over SMTP with aiosmtplib: plain, STARTTLS or implicit TLS, optional AUTH.

One connection is opened lazily and reused for every later mail (the outbox drains batches
through it); it is dropped after a connection-level error and reopened on the next send.
aiosmtplib is asynchronous; the backend owns a private event loop and is called from worker
threads, one call at a time (a lock), so callers stay synchronous.

Outcomes: 2xx accepted; 4xx, timeouts and connection errors are temporary (retry later);
5xx is permanent. When no connection can be made, or the server stops answering within the
timeout, the rest of the call's mails get the same outcome without trying (each try would wait
out the timeout again). Reasons are
worded like PEAR Mail's, which 1.39's ``Failure`` results show.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import threading
from collections.abc import Sequence

import aiosmtplib

from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.message import OutgoingMail


class SmtpBackend(MailBackend):
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str = "",
        password: str = "",
        tls: str = "",
        timeout: float = 30.0,
        cert_bundle: str | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if tls not in ("", "starttls", "tls"):
            raise ValueError(f'smtp_tls must be "", "starttls" or "tls", not {tls!r}')
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.tls = tls
        self.timeout = timeout
        self.cert_bundle = cert_bundle
        self.local_hostname = local_hostname
        self._loop = asyncio.new_event_loop()
        self._client: aiosmtplib.SMTP | None = None
        self._lock = threading.Lock()
        self.connections_opened = 0  # how many times a connection was made (tests, bench)

    # --- connection -------------------------------------------------------------------------

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.tls == "tls",
            start_tls=self.tls == "starttls",
            cert_bundle=self.cert_bundle,
            local_hostname=self.local_hostname,
            username=self.username or None,
            password=self.password or None,
        )
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as err:
            await _quietly_close(client)
            raise DeliveryError(
                f"authentication failure [SMTP: {err.message} (code: {err.code}, response: {err.message})]",
                permanent=False,
                unreachable=True,
            ) from err
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as err:
            await _quietly_close(client)
            raise DeliveryError(self._connect_reason(err), unreachable=True) from err
        self.connections_opened += 1
        self._client = client
        return client

    def _connect_reason(self, err: BaseException) -> str:
        cause: BaseException | None = err
        while cause is not None and not isinstance(cause, OSError):
            cause = cause.__cause__ or cause.__context__
        errno_match = re.search(r"\[Errno (\d+)\]", str(err))
        if isinstance(cause, OSError) and cause.errno:
            detail = os.strerror(cause.errno)
        elif errno_match:
            detail = os.strerror(int(errno_match.group(1)))
        else:
            detail = str(err)
        return (
            f"Failed to connect to {self.host}:{self.port} [SMTP: Failed to connect socket: "
            f"{detail} (code: -1, response: )]"
        )

    def open(self) -> None:
        with self._lock:
            self._loop.run_until_complete(self._connect())

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._loop.run_until_complete(_quietly_close(self._client, polite=True))
                self._client = None

    def __del__(self) -> None:
        try:
            if not self._loop.is_closed() and not self._loop.is_running():
                self._loop.close()
        except Exception:  # interpreter shutdown
            pass

    # --- sending ----------------------------------------------------------------------------

    async def _send_all(self, messages: Sequence[OutgoingMail]) -> list[DeliveryError | None]:
        out: list[DeliveryError | None] = []
        for mail in messages:
            outcome = await self._send_one(mail)
            out.append(outcome)
            if outcome is not None and outcome.unreachable:
                # No connection: the others would wait out the same connect timeout each.
                out.extend(outcome for _ in range(len(messages) - len(out)))
                break
        return out

    async def _send_one(self, mail: OutgoingMail, retry_stale: bool = True) -> DeliveryError | None:
        reused = self._client is not None and self._client.is_connected
        try:
            client = await self._connect()
        except DeliveryError as err:
            return err
        try:
            await client.sendmail(mail.envelope_from, list(mail.recipients), mail.raw)
            return None
        except aiosmtplib.SMTPRecipientsRefused as err:
            codes = [e.code for e in err.recipients]
            await _reset(client)
            reasons = "; ".join(f"{e.recipient}: {e.code} {e.message}" for e in err.recipients)
            return DeliveryError(
                f"Failed to add recipient [SMTP: {reasons}]", permanent=all(500 <= c < 600 for c in codes)
            )
        except aiosmtplib.SMTPResponseException as err:
            await _reset(client)
            return DeliveryError(
                f"Failed to send data [SMTP: {err.message} (code: {err.code}, response: {err.message})]",
                permanent=500 <= err.code < 600,
            )
        except (TimeoutError, aiosmtplib.SMTPException, OSError, ssl.SSLError) as err:
            await _quietly_close(client)
            self._client = None
            if reused and retry_stale:  # the server dropped our idle pooled connection
                return await self._send_one(mail, retry_stale=False)
            # A server that does not answer in time would keep every other mail waiting as long.
            timed_out = isinstance(err, TimeoutError | aiosmtplib.SMTPTimeoutError)
            return DeliveryError(f"Failed to send data [SMTP: {err}]", unreachable=timed_out)

    def send_each(self, messages: Sequence[OutgoingMail]) -> list[DeliveryError | None]:
        if not messages:
            return []
        with self._lock:
            return self._loop.run_until_complete(self._send_all(messages))


async def _reset(client: aiosmtplib.SMTP) -> None:
    try:
        await client.rset()
    except Exception:  # a broken connection is found on the next send
        await _quietly_close(client)


async def _quietly_close(client: aiosmtplib.SMTP, polite: bool = False) -> None:
    try:
        if polite and client.is_connected:
            await client.quit()
    except Exception:
        pass
    finally:
        try:
            client.close()
        except Exception:
            pass
