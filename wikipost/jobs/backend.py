"""The one small job-queue interface, and the choice of backend (``[jobs] backend``).

Two backends pass the same contract suite (tests/jobs/test_contract.py): the table queue
(:mod:`wikipost.jobs.queue`, the embedded default on SQLite, also usable on PostgreSQL) and
procrastinate (:mod:`wikipost.jobs.procrastinate_queue`, PostgreSQL only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import Connection

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.jobs.procrastinate_queue import ProcrastinateQueue
from wikipost.jobs.queue import DEFAULT_MAX_ATTEMPTS, JobQueue, JobRegistry
from wikipost.settings import JobSettings, SettingsError

BACKENDS = ("auto", "table", "procrastinate")


class JobBackend(Protocol):
    name: str
    registry: JobRegistry
    notify: Callable[[], None]

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
        """Queue a job inside the caller's transaction."""
        ...

    def enqueue_many(
        self,
        conn: Connection,
        type: str,
        payloads: Iterable[Mapping[str, Any]],
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> int: ...

    def counts(self, type: str | None = None) -> dict[str, int]: ...

    def failed(self, limit: int = 100) -> list[dict[str, Any]]: ...


def backend_name(settings: JobSettings, is_sqlite: bool) -> str:
    """ "table" or "procrastinate" for this store; a SettingsError naming the key otherwise."""
    choice = settings.backend
    if choice not in BACKENDS:
        raise SettingsError(f"[jobs] backend must be one of {', '.join(BACKENDS)}, not {choice!r}")
    if choice == "auto":
        return "table" if is_sqlite else "procrastinate"
    if choice == "procrastinate" and is_sqlite:
        raise SettingsError('[jobs] backend = "procrastinate" needs a PostgreSQL store ([database] url)')
    return choice


def build_job_queue(db: Database, clock: Clock, settings: JobSettings) -> JobQueue | ProcrastinateQueue:
    if backend_name(settings, db.is_sqlite) == "procrastinate":
        return ProcrastinateQueue(db, clock, settings)
    return JobQueue(db, clock, settings)
