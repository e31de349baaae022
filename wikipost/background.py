"""Background work: the outbox and the job queue, run by ``serve`` in-process and by
``wikipost jobs run`` from the shell.

A drainer processes up to ``limit`` due items and says how many it handled. The worker calls
every drainer in turn; it sleeps only when none had anything to do.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

log = logging.getLogger("wikipost.background")


class Drainer(Protocol):
    name: str

    def run_once(self, limit: int) -> int:
        """Process up to ``limit`` due items; return how many were processed."""
        ...


class BackgroundWorker:
    def __init__(
        self,
        drainers: list[Drainer],
        *,
        poll_seconds: float = 0.2,
        batch: int = 200,
        coalesce_seconds: float = 0.02,
    ) -> None:
        self.drainers = drainers
        self.poll_seconds = poll_seconds
        self.batch = batch
        # After a wake-up, wait this long so a burst of new work is handled as one batch: the
        # per-pass cost (claim and record transactions) is then shared by many items.
        self.coalesce_seconds = coalesce_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

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

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="wikipost-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            done = self.run_pass()
            if done >= self.batch:
                continue  # a backlog: keep going
            if not done:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
            self._stop.wait(self.coalesce_seconds)
