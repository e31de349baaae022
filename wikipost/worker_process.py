"""The background worker as a process of its own beside ``serve`` (``[jobs] runner = "process"``).

Why a process: the server answers API requests on one event-loop thread. A worker thread in the
same interpreter (``runner = "thread"``) shares its GIL, and delivering mail is syscall-heavy
(a file or an SMTP exchange per mail), so every delivery takes the GIL away from the request
loop; on a 2-core machine that costs about a quarter of the request rate. A separate process
runs the same :class:`~wikipost.background.BackgroundWorker` on the other core. It finds work by
polling the store (``[jobs] poll_seconds``); accepted mail is already durable there (D3), so
nothing is handed over in memory.

``serve`` starts one with :class:`WorkerProcess` and restarts it if it dies; the worker exits
when its parent goes away (``PR_SET_PDEATHSIG`` on Linux, and a parent-pid check each pass),
and within ``SHUTDOWN_SECONDS`` of being asked to stop, however many signals arrive.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

from wikipost.background import BackgroundWorker
from wikipost.wakeup import WakeListener, wake_address
from wikipost.wiki import Wiki

log = logging.getLogger("wikipost.worker")

RESTART_DELAY_SECONDS = 1.0
# A worker asked to stop (SIGTERM, SIGINT, its parent's death) finishes the mail or job in hand,
# hands back what it claimed but did not start, and exits: normally within a second, and in
# any case within this time (see install_stop_handlers). serve waits a little longer before
# it sends SIGKILL.
SHUTDOWN_SECONDS = 20.0


def worker_command(parent_pid: int) -> list[str]:
    return [sys.executable, "-m", "wikipost", "jobs", "work", "--parent-pid", str(parent_pid)]


class WorkerProcess:
    """Starts ``wikipost jobs work`` and keeps one running until :meth:`stop`."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self.proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._supervisor = threading.Thread(target=self._supervise, name="wikipost-supervisor", daemon=True)
        self._supervisor.start()

    def _spawn(self) -> None:
        with self._lock:
            if not self._stopping.is_set():
                self.proc = subprocess.Popen(worker_command(os.getpid()), env=self.env)

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            proc = self.proc
            if proc is None:
                return
            code = proc.wait()
            if self._stopping.is_set():
                return
            log.error("background worker exited with %s; restarting it", code)
            self._stopping.wait(RESTART_DELAY_SECONDS)
            self._spawn()

    def stop(self, timeout: float = SHUTDOWN_SECONDS + 10.0) -> None:
        """SIGTERM: the worker finishes and records the item in hand, then exits."""
        self._stopping.set()
        with self._lock:
            proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _die_with_parent() -> None:
    """Ask Linux for SIGTERM when the parent dies (elsewhere the per-pass check does it)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the C library is loaded already
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def install_stop_handlers(worker: BackgroundWorker, shutdown_seconds: float) -> None:
    """SIGTERM and SIGINT ask ``worker`` to stop, and arm a deadline for the exit.

    The handler only sets the worker's flag, writes a byte to its wake-up pipe and calls
    ``alarm(2)``: no lock, no logging, nothing that could be held by the code it interrupted
    (issue #11: a second SIGTERM arriving inside the first handler's ``Event.set`` deadlocked
    the worker for good). The C-level handler also writes to the same pipe
    (``signal.set_wakeup_fd``), so a wait in ``select`` ends at once.

    The deadline: SIGALRM with its default action ends the process after ``shutdown_seconds``
    even if the item in hand hangs (an SMTP server that stopped answering, a lock held by a
    stuck process). What the worker had claimed is then leased, not lost: another worker takes
    it when the lease runs out.
    """
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    deadline = max(1, math.ceil(shutdown_seconds))

    def on_signal(_signum: int, _frame: object) -> None:
        if not worker.stop_requested():
            signal.alarm(deadline)
        worker.request_stop()

    signal.set_wakeup_fd(worker.wakeup_fileno, warn_on_full_buffer=False)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def run_worker(
    wiki: Wiki, parent_pid: int | None = None, *, shutdown_seconds: float = SHUTDOWN_SECONDS
) -> None:
    """The worker process's main loop: every drainer, until SIGTERM/SIGINT or the parent is gone."""
    from wikipost.ops.health import attach_heartbeat
    from wikipost.ops.logs import configure_logging

    configure_logging(wiki.settings.logging)
    if parent_pid is not None:
        _die_with_parent()
    # /readyz: this worker is alive (wikipost/ops/health.py); with procrastinate too, whose
    # worker runs the BackgroundWorker in a thread beside its own.
    attach_heartbeat(wiki.background(), wiki)
    from wikipost.jobs.procrastinate_queue import ProcrastinateQueue

    if isinstance(wiki.jobs, ProcrastinateQueue):
        from wikipost.jobs.procrastinate_worker import run_procrastinate_worker

        run_procrastinate_worker(wiki, parent_pid)
        return
    worker = wiki.background()
    install_stop_handlers(worker, shutdown_seconds)
    wiki.db.defer_checkpoints()  # the WalCheckpointer drainer does them, once a pass
    wiki.db.unmap()  # a writer: a memory map would only grow its resident set
    listener: WakeListener | None = None
    try:
        listener = WakeListener(wake_address(wiki.settings.data_dir))
        worker.add_wake_source(listener)
    except OSError as err:  # another worker of this store still listens: poll instead
        log.warning("no wake-up socket (%s); polling every %s s", err, worker.poll_seconds)

    def parent_gone() -> bool:
        return parent_pid is not None and os.getppid() != parent_pid

    started = time.monotonic()
    try:
        worker.run_forever(stop_when=parent_gone)
    finally:
        if listener is not None:
            listener.close()
    log.info("background worker stopped (it ran %.0f s)", time.monotonic() - started)
