"""What the fault tests share: an SMTP sink that misbehaves on demand, a small tmpfs that fills
up, live servers set up once per module, and processes found and watched through /proc."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.smtp import SMTP

from tests.anchorwiki import BOT_PASSWORDS, setup_anchorwiki
from tests.live import LiveServer, bot_login
from tests.mail.sink import Sink

ALICE_BOT = (f"{BOT_PASSWORDS[0][0]}@{BOT_PASSWORDS[0][1]}", BOT_PASSWORDS[0][2])
MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)\r?$", re.MULTILINE | re.IGNORECASE)


def wait_until(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``check`` every 20 ms until it returns something true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what} (last: {value!r})")
        time.sleep(0.02)


def message_id(data: bytes) -> str:
    found = MESSAGE_ID.search(data)
    assert found is not None, data[:500]
    return found.group(1).decode()


def subject(data: bytes) -> str:
    found = re.search(rb"^Subject: (.*?)\r?$", data, re.MULTILINE)
    assert found is not None, data[:500]
    return found.group(1).decode()


# --- an SMTP server with faults ------------------------------------------------------------------


@dataclass
class Faults:
    """What the sink does wrong right now; tests change it between phases.

    ``delay``: seconds before each command is answered (EHLO, MAIL, RCPT, DATA and the final
    reply after the data). ``mail_reply``: answer every MAIL FROM with this (e.g. a 4xx).
    ``drop_data``: cut this many DATA transfers after the message's first line. A client that
    gives up before the final reply leaves nothing behind: aiosmtpd cancels the handler when the
    connection goes, so a mail counts as received only once its 250 was sent.
    """

    delay: float = 0.0
    mail_reply: str = ""
    drop_data: int = 0
    dropped: int = 0

    def take_drop(self) -> bool:
        if self.drop_data > 0:
            self.drop_data -= 1
            self.dropped += 1
            return True
        return False


class FaultySMTP(SMTP):
    """aiosmtpd's SMTP with the faults of :class:`Faults` (one per connection, shared state)."""

    def __init__(self, handler: Any, faults: Faults, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.faults = faults

    async def _slow(self) -> None:
        if self.faults.delay:
            await asyncio.sleep(self.faults.delay)

    async def smtp_EHLO(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's naming
        await self._slow()
        await super().smtp_EHLO(arg)

    async def smtp_MAIL(self, arg: str) -> None:  # noqa: N802
        await self._slow()
        if self.faults.mail_reply:
            await self.push(self.faults.mail_reply)
            return
        await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg: str) -> None:  # noqa: N802
        await self._slow()
        await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        await self._slow()
        if self.envelope is not None and self.envelope.rcpt_tos and self.faults.take_drop():
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readuntil(b"\r\n")  # the first line of the message, then gone
            assert self.transport is not None
            self.transport.close()
            await asyncio.Event().wait()  # read nothing more: cancelled once the close is done
        await super().smtp_DATA(arg)


class FaultySink(Sink):
    """``tests/mail/sink.py``'s sink speaking :class:`FaultySMTP`; ``faults`` outlives restarts
    when passed to the next one (down, then back on the same port)."""

    def __init__(self, faults: Faults | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.faults = faults or Faults()
        self.handler.delay = self.faults.delay  # the reply after the data (SinkHandler's delay)
        controller = self.controller
        smtp_kwargs = dict(controller.SMTP_kwargs)
        controller.factory = lambda: FaultySMTP(controller.handler, self.faults, **smtp_kwargs)  # type: ignore[method-assign]

    def start(self) -> FaultySink:
        super().start()
        return self

    def __enter__(self) -> FaultySink:
        return self.start()

    def slow(self, seconds: float) -> None:
        """Answer every command, and the data, ``seconds`` late."""
        self.faults.delay = seconds
        self.handler.delay = seconds

    def message_ids(self) -> list[str]:
        with self.handler.arrived:
            return [message_id(r.data) for r in self.handler.received]


# --- a filesystem that fills up ------------------------------------------------------------------


@dataclass
class Tmpfs:
    """A tmpfs of ``size`` bytes mounted at ``path`` (root only); ``fill()`` leaves it full."""

    path: Path
    size: int
    filler: Path = field(init=False)

    def __post_init__(self) -> None:
        self.filler = self.path / ".filler"

    @classmethod
    @contextlib.contextmanager
    def mounted(cls, path: Path, size: int) -> Iterator[Tmpfs]:
        path.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs (needs root and CAP_SYS_ADMIN): {result.stderr.strip()}")
        try:
            yield cls(path, size)
        finally:
            if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(path)], capture_output=True)

    def fill(self) -> None:
        """Write until the filesystem says ENOSPC (unbuffered: nothing left to flush at close)."""
        with open(self.filler, "ab", buffering=0) as out:
            for size in (1 << 20, 4096, 1):  # big writes first, then whatever is left
                try:
                    while out.write(b"\0" * size):
                        pass
                except OSError as err:
                    assert err.errno == errno.ENOSPC, err

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


# --- live servers --------------------------------------------------------------------------------


def anchor_users(server: LiveServer) -> None:
    """The conformance wiki's users (Alice with her bot password, Bob …) in the store, and
    Hank, who takes mail too (at an address the tests' SMTP server may refuse)."""
    with server.open_wiki() as wiki:
        setup_anchorwiki(wiki)
        wiki.users.create("Hank", "hank-anchor-pass", email="hank@anchor.test", confirmed=True)


def alice(server: LiveServer) -> tuple[requests.Session, str]:
    return bot_login(server.api_url, *ALICE_BOT)


def emailuser(
    server: LiveServer, session: requests.Session, csrf: str, subject: str, target: str = "Bob"
) -> dict[str, Any]:
    response = session.post(
        server.api_url,
        data={
            "action": "emailuser",
            "target": target,
            "subject": subject,
            "text": f"Text of {subject}.",
            "token": csrf,
            "format": "json",
        },
        timeout=60,
    )
    answer: dict[str, Any] = response.json()
    return answer


# --- processes -----------------------------------------------------------------------------------


def proc_state(pid: int) -> str | None:
    """The process's state letter (``Z`` for a zombie), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[0]


def exited(pid: int) -> bool:
    """Gone, or a zombie nobody reaped yet (an orphan's new parent may never reap it)."""
    return proc_state(pid) in (None, "Z", "X")


def children(parent: int, *words: bytes) -> list[int]:
    """Live children of ``parent`` whose command line holds every one of ``words``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if fields[1] == str(parent) and fields[0] not in ("Z", "X") and all(w in argv for w in words):
            found.append(int(entry.name))
    return found


def catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler installed for ``signum`` (/proc/PID/status SigCgt)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) & (1 << (signum - 1)))
    except OSError:
        pass
    return False


def kill_quietly(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
