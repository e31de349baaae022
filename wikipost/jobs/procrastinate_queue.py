"""The job queue on procrastinate, for a PostgreSQL store (``[jobs] backend``).

Producing: a job is a row of ``procrastinate_jobs`` written by procrastinate's own
``procrastinate_defer_jobs_v1`` on the *caller's* connection, inside its transaction (group
commit included): the job exists exactly when the change that asked for it committed, and the
insert's trigger sends procrastinate's ``NOTIFY`` at that commit, which wakes the workers of
every machine.

One procrastinate job carries a *chunk* of our jobs of one type (``payloads``): mass-message
deliveries go ``[jobs] chunk`` to a job and run in one transaction, so the per-job round trips
(fetch, finish) and the commit are shared by a hundred deliveries instead of paid by each.

Consuming (``wikipost.jobs.procrastinate_worker``): a chunk runs like a batch of the table queue —
``prepare``, then the handler inside one write transaction that also settles the outcomes; if it
raises, its jobs run one by one so the failing one is found. A job that fails is deferred again
with exponential backoff (its attempt count travels in the job's arguments) and, after its last
attempt, is kept in our ``jobs`` table as ``failed`` with its error — where ``wikipost massmessage
status`` and ``wikipost jobs`` already look. A lost database connection is not a job's fault: it
propagates, and procrastinate's own retry strategy runs the whole chunk again later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.jobs import jobs
from wikipost.jobs.queue import (
    DEFAULT_MAX_ATTEMPTS,
    DONE,
    Job,
    JobOutcome,
    JobRegistry,
    JobStatus,
    backoff,
)
from wikipost.settings import JobSettings

log = logging.getLogger("wikipost.jobs")

QUEUE_NAME = "wikipost"
MAIL_TASK = "wikipost.mail"

# Many jobs in one statement: parallel arrays unnested into procrastinate's job type. A delay
# is counted from the database's clock, which is the one procrastinate's workers compare with.
_DEFER = text(
    """
    SELECT procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(
            :queue, x.task, 0, x.lock, x.qlock, CAST(x.args AS jsonb),
            CASE WHEN x.delay > 0 THEN now() + x.delay * interval '1 second' END
        )::procrastinate_job_to_defer_v1
        FROM unnest(
            CAST(:tasks AS text[]), CAST(:locks AS text[]), CAST(:qlocks AS text[]),
            CAST(:args AS text[]), CAST(:delays AS float8[])
        ) AS x(task, lock, qlock, args, delay)
    ))
    """
)
_COUNTS = text(
    "SELECT status::text, count(*) FROM procrastinate_jobs WHERE queue_name = :queue"
    " AND (CAST(:task AS text) IS NULL OR task_name = :task) GROUP BY status"
)
_UNFINISHED = text(
    "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = :queue AND (status = 'doing'"
    " OR (status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())))"
)
_DUE = text(
    "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = :queue AND status = 'todo'"
    " AND (scheduled_at IS NULL OR scheduled_at <= now())"
)
_DUE_BY_TASK = text(
    "SELECT task_name, count(*) FROM procrastinate_jobs WHERE queue_name = :queue AND status = 'todo'"
    " AND (scheduled_at IS NULL OR scheduled_at <= now()) GROUP BY task_name"
)
# procrastinate's status names in ours.
_STATUS = {"todo": "queued", "doing": "running", "failed": "failed", "succeeded": "done"}


class Deferral:
    """One procrastinate job to defer: a chunk of payloads of one type."""

    __slots__ = ("task", "args", "delay", "lock", "queueing_lock")

    def __init__(
        self,
        task: str,
        args: Mapping[str, Any],
        *,
        delay: float = 0.0,
        lock: str | None = None,
        queueing_lock: str | None = None,
    ) -> None:
        self.task = task
        self.args = args
        self.delay = delay
        self.lock = lock
        self.queueing_lock = queueing_lock


def defer(conn: Connection, deferrals: Sequence[Deferral]) -> None:
    """Write the jobs on ``conn``, in its transaction (one statement for all)."""
    if not deferrals:
        return
    conn.execute(
        _DEFER,
        {
            "queue": QUEUE_NAME,
            "tasks": [d.task for d in deferrals],
            "locks": [d.lock for d in deferrals],
            "qlocks": [d.queueing_lock for d in deferrals],
            "args": [json.dumps(d.args, separators=(",", ":"), ensure_ascii=False) for d in deferrals],
            "delays": [float(d.delay) for d in deferrals],
        },
    )


class ProcrastinateQueue:
    """Our job-queue interface (see :mod:`wikipost.jobs.queue`) over procrastinate's tables."""

    name = "jobs"

    def __init__(
        self, db: Database, clock: Clock, settings: JobSettings, registry: JobRegistry | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.registry = registry or JobRegistry()
        # procrastinate's NOTIFY wakes the workers; nothing to do in-process.
        self.notify: Callable[[], None] = lambda: None
        self.stopping: Callable[[], bool] = lambda: False

    # --- producing ------------------------------------------------------------------------

    def chunk_size(self, type: str) -> int:
        return max(1, min(self.registry.batch_sizes.get(type, 1), self.settings.chunk))

    def enqueue(
        self,
        conn: Connection,
        type: str,
        payload: Mapping[str, Any],
        *,
        delay: float = 0.0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        queueing_lock: str | None = None,
    ) -> int:
        args = {"payloads": [dict(payload)], "attempt": 0, "max_attempts": max_attempts}
        defer(conn, [Deferral(type, args, delay=delay, queueing_lock=queueing_lock)])
        return 1

    def enqueue_many(
        self,
        conn: Connection,
        type: str,
        payloads: Iterable[Mapping[str, Any]],
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> int:
        """Our jobs in chunks of :meth:`chunk_size`, one procrastinate job each."""
        size = self.chunk_size(type)
        items = [dict(p) for p in payloads]
        deferrals = [
            Deferral(type, {"payloads": items[i : i + size], "attempt": 0, "max_attempts": max_attempts})
            for i in range(0, len(items), size)
        ]
        defer(conn, deferrals)
        return len(items)

    def defer_mail(self, conn: Connection, ids: Sequence[int], delay: float = 0.0) -> None:
        """A job that delivers these outbox rows (when due; see the mail task)."""
        if ids:
            defer(conn, [Deferral(MAIL_TASK, {"ids": list(ids)}, delay=max(0.0, delay))])

    # --- running (called by the worker's tasks) -------------------------------------------

    def run_chunk(
        self, type: str, payloads: Sequence[Mapping[str, Any]], attempt: int, max_attempts: int, owner: str
    ) -> None:
        batch = [Job(n + 1, type, dict(p), attempt + 1, max_attempts, owner) for n, p in enumerate(payloads)]
        self._run(batch)

    def _run(self, batch: list[Job]) -> None:
        handler = self.registry.get(batch[0].type)
        if handler is None:
            with self.db.write() as conn:
                self._give_up(conn, batch, f"no handler for job type {batch[0].type!r}")
            return
        try:
            prepare = getattr(handler, "prepare", None)
            if prepare is not None:
                prepare(batch)
            with self.db.write() as conn:
                outcomes = handler.run(conn, batch)
                self._settle(conn, batch, outcomes)
        except Exception as err:
            if is_connection_error(err):
                raise  # procrastinate retries the whole chunk once the store is back
            if len(batch) > 1:
                log.warning(
                    "a chunk of %d %s jobs failed (%s); running them one by one",
                    len(batch),
                    batch[0].type,
                    err,
                )
                for job in batch:
                    self._run([job])
                return
            with self.db.write() as conn:
                self._fail(conn, batch[0], f"{type(err).__name__}: {err}")

    def _settle(self, conn: Connection, batch: list[Job], outcomes: Mapping[int, JobOutcome]) -> None:
        for job in batch:
            outcome = outcomes.get(job.id, DONE)
            if not outcome.ok:
                self._fail(conn, job, outcome.error, permanent=outcome.permanent)

    def _fail(self, conn: Connection, job: Job, error: str, *, permanent: bool = False) -> None:
        if permanent or job.attempts >= job.max_attempts:
            self._give_up(conn, [job], error)
            return
        args = {"payloads": [job.payload], "attempt": job.attempts, "max_attempts": job.max_attempts}
        defer(conn, [Deferral(job.type, args, delay=backoff(job.attempts, self.settings.retry_base_seconds))])

    def _give_up(self, conn: Connection, batch: list[Job], error: str) -> None:
        """Failed for good: kept in our ``jobs`` table with the error, for an administrator;
        the handler settles what the jobs were for (``give_up``), e.g. targets as failed."""
        handler = self.registry.get(batch[0].type)
        give_up = getattr(handler, "give_up", None)
        if give_up is not None:
            give_up(conn, batch, error)
        now = self.clock.now()
        conn.execute(
            insert(jobs),
            [
                {
                    "type": job.type,
                    "payload": json.dumps(job.payload, separators=(",", ":"), ensure_ascii=False),
                    "status": JobStatus.FAILED.value,
                    "attempts": job.attempts,
                    "max_attempts": job.max_attempts,
                    "available_at": None,
                    "lease_owner": None,
                    "last_error": error[:2000],
                    "created_at": now,
                    "updated_at": now,
                }
                for job in batch
            ],
        )

    # --- inspection -----------------------------------------------------------------------

    def counts(self, type: str | None = None) -> dict[str, int]:
        """Jobs by status: procrastinate's waiting and running ones, and ours that failed."""
        out: dict[str, int] = {}
        with self.db.read() as conn:
            for status, count in conn.execute(_COUNTS, {"queue": QUEUE_NAME, "task": type}):
                name = _STATUS.get(status, status)
                if name != "done":
                    out[name] = out.get(name, 0) + int(count)
            query = select(func.count()).select_from(jobs).where(jobs.c.status == JobStatus.FAILED.value)
            if type is not None:
                query = query.where(jobs.c.type == type)
            failed = int(conn.execute(query).scalar() or 0)
        if failed:
            out["failed"] = out.get("failed", 0) + failed
        return out

    def failed(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = (
                conn.execute(
                    select(jobs)
                    .where(jobs.c.status == JobStatus.FAILED.value)
                    .order_by(jobs.c.id)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def due(self, conn: Connection) -> int:
        """procrastinate jobs waiting and due."""
        return int(conn.execute(_DUE, {"queue": QUEUE_NAME}).scalar() or 0)

    def due_by_task(self, conn: Connection) -> dict[str, int]:
        """Jobs waiting and due, by task (job type)."""
        rows = conn.execute(_DUE_BY_TASK, {"queue": QUEUE_NAME}).all()
        return {str(task): int(n) for task, n in rows}

    def unfinished(self, conn: Connection) -> int:
        """procrastinate jobs running, or waiting and due."""
        return int(conn.execute(_UNFINISHED, {"queue": QUEUE_NAME}).scalar() or 0)


def is_connection_error(err: BaseException) -> bool:
    """The store went away (not the job's fault)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    return isinstance(err, (OperationalError, InterfaceError))
