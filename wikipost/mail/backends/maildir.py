"""Delivers into a local Maildir (the embedded default): one file per mail, exact bytes.

The Maildir protocol: each mail is written under ``tmp/`` and then renamed into ``new/``, so a
reader never sees a partial file. Durability is per batch rather than per file: the batch's
files are written, the filesystem is synced once (``syncfs``), they are renamed, and it is
synced once more — only then does the outbox hear they were delivered. An fsync per file costs
a journal commit per mail, which at a few hundred mails a second is most of the drain's time.
"""

from __future__ import annotations

import ctypes
import mailbox
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.message import OutgoingMail


def _filesystem_syncer() -> Callable[[int], None] | None:
    """``syncfs(2)`` where the C library has it (Linux), else None."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the C library is loaded already
        syncfs = libc.syncfs
    except (OSError, AttributeError):
        return None

    def sync(fd: int) -> None:
        if syncfs(fd) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno))

    return sync


_SYNCFS = _filesystem_syncer()


class MaildirBackend(MailBackend):
    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._opened = False
        self._lock = threading.Lock()
        self._counter = 0
        self._host = socket.gethostname().replace("/", r"\057").replace(":", r"\072")

    def open(self) -> None:
        with self._lock:
            if not self._opened:
                for sub in ("tmp", "new", "cur"):
                    (self.path / sub).mkdir(parents=True, exist_ok=True)
                self._opened = True

    def close(self) -> None:
        with self._lock:
            self._opened = False

    def _unique_name(self) -> str:
        """``<seconds>.M<microseconds>P<pid>Q<n>.<host>``, as Python's mailbox module names files."""
        now = time.time()
        with self._lock:
            self._counter += 1
            n = self._counter
        return f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{n}.{self._host}"

    def send_each(self, messages: Sequence[OutgoingMail]) -> list[DeliveryError | None]:
        self.open()
        out: list[DeliveryError | None] = []
        written: list[tuple[int, str, str]] = []  # (index in out, tmp path, new path)
        for mail in messages:
            name = self._unique_name()
            tmp = str(self.path / "tmp" / name)
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    view = memoryview(mail.raw)
                    while view:
                        view = view[os.write(fd, view) :]
                    if _SYNCFS is None:
                        os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as err:
                out.append(DeliveryError(f"Maildir {self.path}: {err}"))
                continue
            written.append((len(out), tmp, str(self.path / "new" / name)))
            out.append(None)
        if not written:
            return out
        try:
            self._sync()
            for _index, tmp, new in written:
                os.rename(tmp, new)
            self._sync()
        except OSError as err:
            # Not known to be durable: delivered again later (same Message-ID), not lost.
            for index, _tmp, _new in written:
                out[index] = DeliveryError(f"Maildir {self.path}: {err}")
        return out

    def _sync(self) -> None:
        fd = os.open(self.path / "new", os.O_RDONLY)
        try:
            if _SYNCFS is not None:
                _SYNCFS(fd)
            else:
                os.fsync(fd)  # the directory entries; the files were fsynced one by one
        finally:
            os.close(fd)

    def messages(self) -> list[bytes]:
        """Every stored mail's bytes (tests, ``mail list`` checks)."""
        box = mailbox.Maildir(self.path, create=True)
        return [box.get_bytes(key) for key in sorted(box.keys())]
