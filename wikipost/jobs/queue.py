"""A job queue over the ``jobs`` table that works the same on SQLite and PostgreSQL.

* ``enqueue`` writes inside the caller's transaction, so a job exists exactly when the change
  that asked for it was committed.
* ``claim`` takes due jobs in one short transaction and gives them a lease (``available_at`` =
  now + ``lease_seconds``). A worker that dies leaves them to be claimed again once the lease
  has run out. On PostgreSQL concurrent workers skip each other's rows (``SKIP LOCKED``).
* A handler runs a batch of claimed jobs of its type inside ONE write transaction and the queue
  completes them in that same transaction: the work and its bookkeeping commit together or not
  at all. Handlers must still be idempotent, because a lease can run out under a slow worker.
* A job that raises is retried with exponential backoff until ``max_attempts``, then kept as
  ``failed`` with its last error for an administrator.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Connection, delete, func, insert, select, update

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.jobs import jobs
from wikipost.settings import JobSettings

log = logging.getLogger("wikipost.jobs")

RETRY_BASE_SECONDS = 5.0
RETRY_MAX_SECONDS = 3600.0
DEFAULT_MAX_ATTEMPTS = 5


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # transient: completed jobs are deleted
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    id: int
    type: str
    payload: dict[str, Any]
    attempts: int  # including the current one
    max_attempts: int
    lease_owner: str


@dataclass(frozen=True)
class JobOutcome:
    """What a handler says about one job; a job it says nothing about is done."""

    ok: bool = True
    error: str = ""
    permanent: bool = False  # fail now, without retrying

    @classmethod
    def retry(cls, error: str) -> JobOutcome:
        return cls(False, error)

    @classmethod
    def fail(cls, error: str) -> JobOutcome:
        return cls(False, error, permanent=True)


DONE = JobOutcome()


class JobHandler(Protocol):
    """Runs jobs of one type. It may also define ``prepare(batch)``, called before the
    transaction, for work that needs transactions of its own, and ``give_up(conn, batch,
    error)``, called in the transaction that records jobs as failed for good."""

    def run(self, conn: Connection, batch: list[Job]) -> Mapping[int, JobOutcome]:
        """Do the jobs inside the caller's write transaction; outcomes by job id."""
        ...


@dataclass
class JobRegistry:
    """Job type name -> handler, and how many jobs of that type run in one transaction."""

    handlers: dict[str, JobHandler] = field(default_factory=dict)
    batch_sizes: dict[str, int] = field(default_factory=dict)

    def register(self, name: str, handler: JobHandler, *, batch_size: int = 1) -> None:
        if name in self.handlers:
            raise ValueError(f"job type {name!r} registered twice")
        self.handlers[name] = handler
        self.batch_sizes[name] = max(1, batch_size)

    def get(self, name: str) -> JobHandler | None:
        return self.handlers.get(name)

    def names(self) -> list[str]:
        return list(self.handlers)


def backoff(attempts: int, base: float = RETRY_BASE_SECONDS) -> float:
    """Seconds before attempt ``attempts + 1``: doubling from ``base``, at most an hour."""
    return min(RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1))


def _encode(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class JobQueue:
    """The queue and its drainer (``name``/``run_once``, appended to ``wiki.drainers``)."""

    name = "jobs"

    def __init__(
        self, db: Database, clock: Clock, settings: JobSettings, registry: JobRegistry | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.registry = registry or JobRegistry()
        # Called after a transaction that enqueued work (the in-process worker's wake()).
        self.notify: Callable[[], None] = lambda: None
        # Whether the worker running this drainer was asked to stop (BackgroundWorker binds it).
        self.stopping: Callable[[], bool] = lambda: False

    # --- producing ------------------------------------------------------------------------

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
        """``queueing_lock`` is procrastinate's (one waiting job per lock); the table queue's
        callers never queue such a job twice, so it is not checked here."""
        now = self.clock.now()
        key = conn.execute(
            insert(jobs).values(
                type=type,
                payload=_encode(payload),
                status=JobStatus.QUEUED.value,
                attempts=0,
                max_attempts=max_attempts,
                available_at=now + delay,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key
        assert key is not None
        return int(key[0])

    def enqueue_many(
        self,
        conn: Connection,
        type: str,
        payloads: Iterable[Mapping[str, Any]],
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> int:
        """Many jobs of one type in one statement (executemany); how many were queued."""
        now = self.clock.now()
        rows = [
            {
                "type": type,
                "payload": _encode(p),
                "status": JobStatus.QUEUED.value,
                "attempts": 0,
                "max_attempts": max_attempts,
                "available_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for p in payloads
        ]
        if rows:
            conn.execute(insert(jobs), rows)
        return len(rows)

    # --- consuming ------------------------------------------------------------------------

    def claim(self, limit: int, types: Iterable[str] | None = None) -> list[Job]:
        """Lease up to ``limit`` due jobs (oldest first) to a new owner token."""
        wanted = list(types) if types is not None else self.registry.names()
        if not wanted or limit <= 0:
            return []
        owner = secrets.token_hex(8)
        now = self.clock.now()
        with self.db.read() as conn:  # nothing due: no write lock taken from the servers
            peek = select(jobs.c.id).where(jobs.c.available_at <= now, jobs.c.type.in_(wanted)).limit(1)
            if conn.execute(peek).first() is None:
                return []
        with self.db.write() as conn:
            query = (
                select(jobs.c.id, jobs.c.type, jobs.c.payload, jobs.c.attempts, jobs.c.max_attempts)
                .where(jobs.c.available_at <= now, jobs.c.type.in_(wanted))
                .order_by(jobs.c.available_at, jobs.c.id)
                .limit(limit)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).all()
            if not rows:
                return []
            ids = [r.id for r in rows]
            conn.execute(
                update(jobs)
                .where(jobs.c.id.in_(ids))
                .values(
                    status=JobStatus.RUNNING.value,
                    attempts=jobs.c.attempts + 1,
                    available_at=now + self.settings.lease_seconds,
                    lease_owner=owner,
                    updated_at=now,
                )
            )
        return [Job(r.id, r.type, json.loads(r.payload), r.attempts + 1, r.max_attempts, owner) for r in rows]

    def complete(self, conn: Connection, batch: Iterable[Job]) -> None:
        """Done: the rows go (only while the lease is still ours)."""
        by_owner: dict[str, list[int]] = {}
        for job in batch:
            by_owner.setdefault(job.lease_owner, []).append(job.id)
        for owner, ids in by_owner.items():
            for start in range(0, len(ids), 500):
                conn.execute(
                    delete(jobs).where(jobs.c.id.in_(ids[start : start + 500]), jobs.c.lease_owner == owner)
                )

    def fail(self, conn: Connection, job: Job, error: str, *, permanent: bool = False) -> bool:
        """Record a failed attempt; retry later with backoff, or fail for good. True if retried."""
        now = self.clock.now()
        final = permanent or job.attempts >= job.max_attempts
        give_up = getattr(self.registry.get(job.type), "give_up", None)
        if final and give_up is not None:  # the handler settles what the job was for
            give_up(conn, [job], error)
        delay = backoff(job.attempts, self.settings.retry_base_seconds)
        conn.execute(
            update(jobs)
            .where(jobs.c.id == job.id, jobs.c.lease_owner == job.lease_owner)
            .values(
                status=(JobStatus.FAILED if final else JobStatus.QUEUED).value,
                available_at=None if final else now + delay,
                lease_owner=None,
                last_error=error[:2000],
                updated_at=now,
            )
        )
        return not final

    def run_batch(self, batch: list[Job]) -> None:
        """Run claimed jobs of one type in one transaction; isolate a failing job if need be."""
        handler = self.registry.get(batch[0].type)
        if handler is None:
            return
        try:
            prepare = getattr(handler, "prepare", None)
            if prepare is not None:  # work that needs its own transactions (e.g. an account)
                prepare(batch)
            with self.db.write() as conn:
                outcomes = handler.run(conn, batch)
                self._settle(conn, batch, outcomes)
        except Exception as err:
            if len(batch) > 1:
                for job in batch:  # find the job that breaks the batch
                    self.run_batch([job])
                return
            log.exception("job %s (%s) failed", batch[0].id, batch[0].type)
            with self.db.write() as conn:
                self.fail(conn, batch[0], f"{type(err).__name__}: {err}")

    def _settle(self, conn: Connection, batch: list[Job], outcomes: Mapping[int, JobOutcome]) -> None:
        done = [j for j in batch if outcomes.get(j.id, DONE).ok]
        self.complete(conn, done)
        for job in batch:
            outcome = outcomes.get(job.id, DONE)
            if not outcome.ok:
                self.fail(conn, job, outcome.error, permanent=outcome.permanent)

    def release(self, batch: Iterable[Job]) -> None:
        """Hand back claimed jobs that were not started (a worker stopping): due again at once,
        the claim's attempt not counted (only while the lease is still ours)."""
        by_owner: dict[str, list[int]] = {}
        for job in batch:
            by_owner.setdefault(job.lease_owner, []).append(job.id)
        if not by_owner:
            return
        now = self.clock.now()
        with self.db.write() as conn:
            for owner, ids in by_owner.items():
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id.in_(ids), jobs.c.lease_owner == owner)
                    .values(
                        status=JobStatus.QUEUED.value,
                        attempts=jobs.c.attempts - 1,
                        available_at=now,
                        lease_owner=None,
                        updated_at=now,
                    )
                )

    def run_once(self, limit: int) -> int:
        """Drainer: claim up to ``limit`` jobs and run them, batched per type. Between batches
        a stop request (``stopping``) ends it; the jobs not started are released."""
        claimed = self.claim(limit)
        by_type: dict[str, list[Job]] = {}
        for job in claimed:
            by_type.setdefault(job.type, []).append(job)
        batches = [
            group[start : start + self.registry.batch_sizes.get(type_name, 1)]
            for type_name, group in by_type.items()
            for start in range(0, len(group), self.registry.batch_sizes.get(type_name, 1))
        ]
        for n, batch in enumerate(batches):
            if self.stopping():
                self.release(job for rest in batches[n:] for job in rest)
                break
            self.run_batch(batch)
        return len(claimed)

    # --- inspection -----------------------------------------------------------------------

    def counts(self, type: str | None = None) -> dict[str, int]:
        """Jobs by status (completed jobs are not kept)."""
        with self.db.read() as conn:
            query = select(jobs.c.status, func.count()).group_by(jobs.c.status)
            if type is not None:
                query = query.where(jobs.c.type == type)
            return {row[0]: int(row[1]) for row in conn.execute(query)}

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
