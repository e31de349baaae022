"""Wake-ups from the server processes to the worker process: one datagram on a local socket.

The worker would find new work by polling anyway; the datagram only saves it the wait. Sending
is fire-and-forget (no worker listening, a full buffer: nothing happens) and rate-limited, so a
burst of accepted mail costs one send per ``min_interval``, not one per request.

On Linux the socket lives in the abstract namespace under a name derived from the data
directory — no file to clean up and no 108-byte path limit; elsewhere it is a file in the data
directory.

Inside the worker, :class:`WakePipe` wakes its own wait: from another thread, or from a signal
handler, which must never take a lock (see :func:`wait_for_any`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


def wake_address(data_dir: Path) -> str:
    key = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:24]
    if sys.platform.startswith("linux"):
        return f"\0wikipost-worker-{key}"
    return str(Path(data_dir) / "worker.wake")


class WakePipe:
    """A self-pipe: :meth:`wake` is one non-blocking ``send`` and takes no lock, so a signal
    handler may call it even while it interrupted the thread it wakes (an ``Event.set`` there
    can deadlock on the Event's own lock: issue #11). ``fileno`` can also be given to
    :func:`signal.set_wakeup_fd`."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

    def fileno(self) -> int:
        return self._reader.fileno()

    @property
    def write_fileno(self) -> int:
        return self._writer.fileno()

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake-up is pending anyway) or closed
            self._writer.send(b"!")

    def drain(self) -> None:
        _drain(self._reader)

    def close(self) -> None:
        self._writer.close()
        self._reader.close()


def _drain(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # BlockingIOError: nothing left; closed: nothing to read
        while sock.recv(4096):
            pass


class WakeSource(Protocol):
    """Something :func:`wait_for_any` can wait on: readable means woken."""

    def fileno(self) -> int: ...

    def drain(self) -> None: ...


def wait_for_any(sources: Sequence[WakeSource], timeout: float) -> bool:
    """Wait until one of ``sources`` is readable (True; all pending wake-ups are consumed) or
    ``timeout`` seconds pass (False). A signal handled meanwhile does not end the wait by
    itself (PEP 475 resumes ``select``): the handler wakes a :class:`WakePipe` among them."""
    ready, _, _ = select.select(list(sources), [], [], max(0.0, timeout))
    for source in ready:
        source.drain()
    return bool(ready)


class WakeListener:
    """The worker's end: :meth:`wait` returns on a wake-up or after ``timeout`` seconds."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if not address.startswith("\0"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(address)
        self.sock.bind(address)
        self.sock.setblocking(False)

    def fileno(self) -> int:
        return self.sock.fileno()

    def drain(self) -> None:
        _drain(self.sock)

    def wait(self, timeout: float) -> bool:
        """True if woken (every pending wake-up is consumed), False on timeout."""
        return wait_for_any([self], timeout)

    def close(self) -> None:
        self.sock.close()
        if not self.address.startswith("\0"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.address)


class WakeSender:
    """A server process's end: :meth:`wake` after queuing work; at most one send per interval."""

    def __init__(self, address: str, min_interval: float = 0.02) -> None:
        self.address = address
        self.min_interval = min_interval
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self._last = 0.0

    def wake(self) -> None:
        now = time.monotonic()
        if now - self._last < self.min_interval:
            return
        self._last = now
        with contextlib.suppress(OSError):  # no worker listening, or its buffer is full
            self.sock.sendto(b"!", self.address)

    def close(self) -> None:
        self.sock.close()
