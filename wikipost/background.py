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
from typing import Protocol, cast

from wikipost.db import Database
from wikipost.wakeup import WakePipe, WakeSource, wait_for_any

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


class Interruptible(Protocol):
    """A drainer that works through a batch item by item may stop early: it checks
    ``stopping()`` between items and hands back what it claimed but did not start."""

    stopping: Callable[[], bool]


class Heartbeat(Protocol):
    """Says that a worker is alive (wikipost/ops/health.py): ``beat`` is called before every
    pass of :meth:`BackgroundWorker.run_forever` and writes at most every ``every`` seconds,
    ``stop`` when the loop ends."""

    every: float

    def beat(self) -> None: ...

    def stop(self) -> None: ...


class BackgroundWorker:
    """Runs the drainers pass after pass (``run_forever``) until :meth:`request_stop`.

    Nothing here takes a lock on the way to stopping or waking: the stop request is a plain
    attribute and the wake-up a byte on a :class:`~wikipost.wakeup.WakePipe`, so both are safe
    from a signal handler that interrupted this very loop (issue #11: a handler that called
    ``Event.set`` while an earlier one held the Event's lock hung the worker for good).
    """

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
        self._stopping = False
        self._pipe = WakePipe()
        # What an idle worker waits on besides its own pipe: in the worker process, the
        # datagram socket the servers wake (wikipost/wakeup.py).
        self._sources: list[WakeSource] = [self._pipe]
        self._thread: threading.Thread | None = None
        # Set by whoever runs the loop for good (serve's worker), not for ``drain``.
        self.heartbeat: Heartbeat | None = None
        for drainer in drainers:
            if hasattr(drainer, "stopping"):
                cast(Interruptible, drainer).stopping = self.stop_requested

    def add_wake_source(self, source: WakeSource) -> None:
        """Also end an idle wait when ``source`` becomes readable."""
        self._sources.append(source)

    @property
    def wakeup_fileno(self) -> int:
        """The pipe's writing end, for :func:`signal.set_wakeup_fd`."""
        return self._pipe.write_fileno

    def stop_requested(self) -> bool:
        return self._stopping

    def run_pass(self) -> int:
        done = 0
        for drainer in self.drainers:
            if self._stopping:
                break
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
        """New work was queued: don't wait for the next poll (any thread; takes no lock)."""
        self._pipe.wake()

    def request_stop(self) -> None:
        """End :meth:`run_forever` after the item in hand. Safe from a signal handler: it sets
        an attribute and writes a byte, and takes no lock."""
        self._stopping = True
        self._pipe.wake()

    def start(self) -> None:
        """Run :meth:`run_forever` in a thread of this process (``[jobs] runner = "thread"``)."""
        if self._thread is not None:
            return
        self._stopping = False
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
        try:
            while not self._stopping:
                if stop_when is not None and stop_when():
                    return
                self._beat()
                done = self.run_pass()
                if done >= self.batch or self._stopping:
                    continue  # a backlog: keep going (a stop request: leave)
                if done or self._wait_idle(self.poll_seconds):
                    # Let new work (and a job's follow-ups) gather into the next pass's batch.
                    self._pause(self.coalesce_seconds)
        finally:
            if self.heartbeat is not None:
                self.heartbeat.stop()

    def _beat(self) -> None:
        if self.heartbeat is None:
            return
        try:
            self.heartbeat.beat()
        except Exception:  # the heartbeat must never stop the work
            log.exception("background worker heartbeat failed")

    def _wait_idle(self, timeout: float) -> bool:
        """Wait for a wake-up (True) or ``timeout`` (False); a long wait is cut into pieces
        between which the heartbeat is recorded, so an idle worker still says it is alive."""
        if self.heartbeat is None:
            return wait_for_any(self._sources, timeout)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self._stopping:
                return False
            if wait_for_any(self._sources, min(left, self.heartbeat.every)):
                return True
            self._beat()

    def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``; wake-ups meanwhile are consumed, a stop request ends it."""
        deadline = time.monotonic() + seconds
        while not self._stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            wait_for_any([self._pipe], left)
