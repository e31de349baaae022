"""``wikipost worker`` on a procrastinate queue: a procrastinate worker running our job types.

Each registered job type is a procrastinate task of the same name that runs a chunk of our jobs
(:meth:`ProcrastinateQueue.run_chunk`); ``wikipost.mail`` delivers outbox rows. Tasks are
synchronous (SQLAlchemy and the mail backends are), so procrastinate runs them in threads,
``[jobs] concurrency`` at a time. Workers wake on procrastinate's LISTEN/NOTIFY.

A worker that dies (SIGKILL, a lost machine) stops sending procrastinate's heartbeat; every
worker looks for jobs of workers silent for ``[jobs] stalled_seconds`` and puts them back in the
queue. Running such a job twice is safe: deliveries claim their targets in the transaction that
settles them, and the outbox claims a mail before sending it.

The store's other periodic work (purges, the worker heartbeat of ``/readyz``) keeps running in
the :class:`~wikipost.background.BackgroundWorker`, in a thread beside the procrastinate worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

from wikipost.jobs.procrastinate_queue import MAIL_TASK, QUEUE_NAME, ProcrastinateQueue
from wikipost.mail.outbox import OutboxDrainer

log = logging.getLogger("wikipost.jobs.procrastinate")


def conninfo(database_url: str) -> str:
    """A libpq connection string from the store's SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    return str(url.set(drivername="postgresql").render_as_string(hide_password=False))


def build_app(wiki: Any) -> Any:
    """A procrastinate App on the wiki's database with a task per job type, and the mail task."""
    import procrastinate
    from procrastinate.retry import RetryStrategy

    queue: ProcrastinateQueue = wiki.jobs
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(wiki.settings.database_url), min_size=1)
    app = procrastinate.App(connector=connector)
    # A lost store: try the chunk again, up to about ten minutes later.
    retry = RetryStrategy(max_attempts=12, exponential_wait=2)

    for type_name in queue.registry.names():
        app.task(name=type_name, queue=QUEUE_NAME, pass_context=True, retry=retry)(
            _chunk_task(queue, type_name)
        )

    drainer = OutboxDrainer(wiki.outbox, wiki.mailer)

    def deliver_mail(context: Any, ids: Sequence[int]) -> None:
        rows, later = wiki.outbox.claim_ids(list(ids))
        drainer.deliver(rows)
        for delay, waiting in later.items():
            with wiki.db.write() as conn:
                queue.defer_mail(conn, waiting, delay)

    app.task(name=MAIL_TASK, queue=QUEUE_NAME, pass_context=True, retry=retry)(deliver_mail)
    return app


def _chunk_task(queue: ProcrastinateQueue, type_name: str) -> Callable[..., None]:
    def run(context: Any, payloads: list[dict[str, Any]], attempt: int = 0, max_attempts: int = 5) -> None:
        queue.run_chunk(type_name, payloads, attempt, max_attempts, f"procrastinate:{context.job.id}")

    run.__name__ = type_name.replace(".", "_")
    return run


def worker_options(wiki: Any, *, wait: bool) -> dict[str, Any]:
    jobs = wiki.settings.jobs
    return {
        "queues": [QUEUE_NAME],
        "concurrency": max(1, jobs.concurrency),
        "wait": wait,
        "listen_notify": wait,
        "delete_jobs": "successful",
        "install_signal_handlers": wait,
        "update_heartbeat_interval": jobs.heartbeat_seconds,
        "stalled_worker_timeout": jobs.stalled_seconds,
        "fetch_job_polling_interval": 5.0 if wait else 0.5,
    }


async def requeue_stalled_once(app: Any, stalled_seconds: float) -> int:
    """Put the running jobs of workers silent for ``stalled_seconds`` back in the queue."""
    found = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds))
    for job in found:
        log.warning("job %s (%s) of a silent worker goes back in the queue", job.id, job.task_name)
        await app.job_manager.retry_job(job)
    return len(found)


async def requeue_stalled(app: Any, stalled_seconds: float, every: float) -> None:
    """:func:`requeue_stalled_once` now and every ``every`` seconds."""
    while True:
        try:
            await requeue_stalled_once(app, stalled_seconds)
        except Exception:  # the store is away: next round
            log.exception("could not look for stalled jobs")
        await asyncio.sleep(every)


async def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        await asyncio.sleep(0.5)
    log.info("parent %s is gone: stopping", parent_pid)
    os.kill(os.getpid(), signal.SIGTERM)  # procrastinate's handler stops the worker gracefully


def run_procrastinate_worker(wiki: Any, parent_pid: int | None = None) -> None:
    """Until SIGTERM/SIGINT (or the parent's death): procrastinate's worker, stalled-job
    recovery, and the BackgroundWorker's other drainers in a thread."""
    background = wiki.background()
    background.start()
    app = build_app(wiki)
    stalled = wiki.settings.jobs.stalled_seconds

    async def main() -> None:
        async with app.open_async():
            side = [asyncio.create_task(requeue_stalled(app, stalled, max(1.0, stalled / 3)))]
            if parent_pid is not None:
                side.append(asyncio.create_task(_watch_parent(parent_pid)))
            try:
                await app.run_worker_async(**worker_options(wiki, wait=True))
            finally:
                for task in side:
                    task.cancel()

    started = time.monotonic()
    try:
        asyncio.run(main())
    finally:
        background.stop()
    log.info("procrastinate worker stopped after %.0f s", time.monotonic() - started)


def work_until_idle(wiki: Any) -> None:
    """Run every job that is due now, and the jobs those queue, then return (``jobs run``).

    procrastinate's worker with ``wait=False`` stops once a fetch finds nothing, even while a
    job it runs is about to queue more (a fan-out): so again, until nothing is due."""
    app = build_app(wiki)
    queue: ProcrastinateQueue = wiki.jobs

    def due() -> int:
        with wiki.db.read() as conn:
            return queue.due(conn)

    async def main() -> None:
        async with app.open_async():
            while True:
                await app.run_worker_async(**worker_options(wiki, wait=False))
                if not await asyncio.to_thread(due):
                    return

    asyncio.run(main())
