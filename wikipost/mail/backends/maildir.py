"""Delivers into a local Maildir (the embedded default): one file per mail, exact bytes.

The Maildir protocol: each mail is written under ``tmp/`` and then renamed into ``new/``, so a
reader never sees a partial file. Durability is per batch rather than per file: the batch's
files are written, the filesystem is synced once (``syncfs``), they are renamed, and it is
synced once more — only then does the outbox hear they were delivered. An fsync per file costs
a journal commit per mail, which at a few hundred mails a second is most of the drain's time.

Delivery is idempotent: a mail's file name follows from the mail (see ``file_name``), so a mail
delivered again after a crash lands on its first copy. A full filesystem leaves no partial
file behind and reports the maildir unreachable: the outbox retries later.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import mailbox
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.dkimsign import unsigned
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


# The maildir itself is unusable (full, read-only, not a directory …): every mail would fail alike.
_UNREACHABLE_ERRNOS = {
    errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES,
    errno.EPERM, errno.ENOENT, errno.ENOTDIR, errno.EIO,
}  # fmt: skip


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

    def file_name(self, mail: OutgoingMail) -> str:
        """``<accepted>.W<digest of the bytes>.<host>``: the same mail always gets the same name,
        so delivering it again (a worker died before the outbox recorded it) finds the first copy
        instead of adding a second. Readers that move it to ``cur/`` keep the name (+ ``:2,…``).
        The digest leaves out a DKIM-Signature in front: each attempt is signed anew."""
        accepted = int(mail.accepted_at or time.time())
        return f"{accepted}.W{hashlib.sha256(unsigned(mail.raw)).hexdigest()[:32]}.{self._host}"

    def _tmp_name(self, name: str) -> str:
        """Unique per attempt: two workers delivering the same mail never share a tmp file."""
        with self._lock:
            self._counter += 1
            n = self._counter
        return f"{name}.P{os.getpid()}Q{n}"

    def _delivered_names(self, messages: Sequence[OutgoingMail]) -> set[str]:
        """Names already in ``new/`` or ``cur/``, looked up only when a mail may be a redelivery."""
        if not any(m.redelivery for m in messages):
            return set()
        found: set[str] = set()
        for sub in ("new", "cur"):
            with contextlib.suppress(OSError):
                found.update(entry.split(":", 1)[0] for entry in os.listdir(self.path / sub))
        return found

    def send_each(self, messages: Sequence[OutgoingMail]) -> list[DeliveryError | None]:
        self.open()
        out: list[DeliveryError | None] = []
        written: list[tuple[int, str, str]] = []  # (index in out, tmp path, new path)
        delivered = self._delivered_names(messages)
        for mail in messages:
            name = self.file_name(mail)
            if name in delivered:  # an earlier attempt got it there
                out.append(None)
                continue
            tmp = str(self.path / "tmp" / self._tmp_name(name))
            try:
                self._write(tmp, mail.raw)
            except OSError as err:
                failure = self._error(err)
                out.append(failure)
                if failure.unreachable:
                    out.extend(failure for _ in range(len(messages) - len(out)))
                    break
                continue
            written.append((len(out), tmp, str(self.path / "new" / name)))
            out.append(None)
        if not written:
            return out
        try:
            self._sync()
            for _index, tmp, new in written:
                os.rename(tmp, new)  # the same mail twice at once: one file, the same bytes
            self._sync()
        except OSError as err:
            # Not known to be durable: delivered again later (same name, so not twice).
            for index, tmp, _new in written:
                out[index] = self._error(err)
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return out

    def _write(self, tmp: str, raw: bytes) -> None:
        """Write ``raw`` to a new file; a partial file (disk full) is removed again."""
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            if _SYNCFS is None:
                os.fsync(fd)
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        os.close(fd)

    def _error(self, err: OSError) -> DeliveryError:
        return DeliveryError(f"Maildir {self.path}: {err}", unreachable=err.errno in _UNREACHABLE_ERRNOS)

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
