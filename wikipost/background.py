"""Background work: the outbox and the job queue, run by ``serve`` in-process and by
``wikipost jobs run`` from the shell.

A drainer processes up to ``limit`` due items and says how many it handled. The worker calls
every drainer in turn; it sleeps only when none had anything to do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from wikipost.db import Database

log = logging.getLogger("wikipost.background")


class Drainer(Protocol):
    name: str

    def run_once(self, limit: int) -> int:
        """Process up to ``limit`` due items; return how many were processed."""
        ...


class WalCheckpointer:
    """Checkpoints SQLite's WAL (at most once a second) when writers were told not to (serve)."""

    name = "wal-checkpoint"

    def __init__(self, db: Database, every: float = 1.0) -> None:
        self.db = db
        self.every = every
        self._next = 0.0

    def run_once(self, limit: int) -> int:
        now = time.monotonic()
        if self.db.checkpoints_deferred and now >= self._next:
            self._next = now + self.every
            self.db.checkpoint()
        return 0


class BackgroundWorker:
    def __init__(
        self,
        drainers: list[Drainer],
        *,
        poll_seconds: float = 0.2,
        batch: int = 200,
        coalesce_seconds: float = 0.1,
    ) -> None:
        self.drainers = drainers
        self.poll_seconds = poll_seconds
        self.batch = batch
        # Between passes (unless there is a backlog) and after a wake-up, wait this long so new
        # work is handled in batches: the per-pass cost (claim and record transactions, a
        # filesystem sync) is then shared by many items.
        self.coalesce_seconds = coalesce_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # How an idle worker waits for new work (up to the given seconds); by default for
        # wake(), in the worker process for a datagram from the servers (wikipost/wakeup.py).
        self.wait_for_work: Callable[[float], bool] = self._wait_for_wake

    def run_pass(self) -> int:
        done = 0
        for drainer in self.drainers:
            try:
                done += drainer.run_once(self.batch)
            except Exception:  # a drainer's failure must not stop the others
                log.exception("background drainer %s failed", drainer.name)
        return done

    def drain(self, max_passes: int | None = None) -> int:
        """Run until nothing is due (``wikipost jobs run``, tests); the total processed."""
        total = 0
        passes = 0
        while max_passes is None or passes < max_passes:
            done = self.run_pass()
            total += done
            passes += 1
            if not done:
                break
        return total

    def wake(self) -> None:
        """New work was queued: don't wait for the next poll."""
        self._wake.set()

    def request_stop(self) -> None:
        """End :meth:`run_forever` after the pass in hand (safe from a signal handler)."""
        self._stop.set()
        self._wake.set()

    def start(self) -> None:
        """Run :meth:`run_forever` in a thread of this process (``[jobs] runner = "thread"``)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="wikipost-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_forever(self, stop_when: Callable[[], bool] | None = None) -> None:
        """Pass after pass until stopped: at once while there is a backlog, ``coalesce_seconds``
        apart while work trickles in (so it is handled in batches), and when idle on a wake-up
        or the next poll."""
        while not self._stop.is_set():
            if stop_when is not None and stop_when():
                return
            done = self.run_pass()
            if done >= self.batch:
                continue  # a backlog: keep going
            if done or self.wait_for_work(self.poll_seconds):
                # Let new work (and a job's follow-ups) gather into the next pass's batch.
                self._stop.wait(self.coalesce_seconds)

    def _wait_for_wake(self, timeout: float) -> bool:
        woken = self._wake.wait(timeout)
        self._wake.clear()
        return woken
