"""Wake-ups from the server processes to the worker process: one datagram on a local socket.

The worker would find new work by polling anyway; the datagram only saves it the wait. Sending
is fire-and-forget (no worker listening, a full buffer: nothing happens) and rate-limited, so a
burst of accepted mail costs one send per ``min_interval``, not one per request.

On Linux the socket lives in the abstract namespace under a name derived from the data
directory — no file to clean up and no 108-byte path limit; elsewhere it is a file in the data
directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import socket
import sys
import time
from pathlib import Path


def wake_address(data_dir: Path) -> str:
    key = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:24]
    if sys.platform.startswith("linux"):
        return f"\0wikipost-worker-{key}"
    return str(Path(data_dir) / "worker.wake")


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

    def wait(self, timeout: float) -> bool:
        """True if woken (every pending wake-up is consumed), False on timeout."""
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError):
            while True:
                self.sock.recv(16)
        return True

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
