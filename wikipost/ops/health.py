"""Liveness and readiness: ``/healthz``, ``/readyz`` and the workers' heartbeats behind them.

``/healthz`` says only that the process answers (no store access): for a supervisor deciding
whether to restart it. ``/readyz`` says whether this node can do its work, for a load balancer:

* the store answers, and its schema is at this code's migration head (``SCHEMA_HEAD``);
* some background worker wrote its heartbeat within ``[health] max_worker_lag_seconds`` — any
  worker of the store, on any machine: readiness is about accepted mail getting delivered;
* no due job or mail has waited that long unclaimed (a worker that beats but is stuck, or too
  few workers for the load, also shows).

Each worker has one row in ``worker_heartbeats`` (host, pid), written by :class:`Heartbeat` at
most every ``every`` seconds from the worker's loop (never on a request's path): a stopped
(SIGSTOP) or hung worker stops beating, and ``/readyz`` turns 503 within the lag.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, text, update

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.migrate import SCHEMA_HEAD
from wikipost.db.schema.jobs import jobs
from wikipost.db.schema.mail import mail_outbox
from wikipost.db.schema.workers import worker_heartbeats

if TYPE_CHECKING:
    from wikipost.background import BackgroundWorker
    from wikipost.wiki import Wiki

log = logging.getLogger("wikipost.health")

# Rows of workers that died without deleting theirs are removed after this long.
PRUNE_SECONDS = 86400.0


class Heartbeat:
    """One worker's row in ``worker_heartbeats``; :meth:`beat` writes it at most every ``every``
    seconds, :meth:`stop` deletes it. A store that cannot be written is logged, not raised."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        every: float = 1.0,
        *,
        host: str | None = None,
        pid: int | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.every = every
        self.host = host or socket.gethostname()
        self.pid = pid if pid is not None else os.getpid()
        self._next = 0.0
        self._started: float | None = None
        self._failing = False

    @classmethod
    def for_lag(cls, db: Database, clock: Clock, max_lag: float) -> Heartbeat:
        """A heartbeat frequent enough for ``max_lag``: a quarter of it, at most once a second."""
        return cls(db, clock, every=max(0.05, min(1.0, max_lag / 4)))

    def beat(self) -> None:
        now_mono = time.monotonic()
        if now_mono < self._next:
            return
        self._next = now_mono + self.every
        now = self.clock.now()
        key = (worker_heartbeats.c.host == self.host) & (worker_heartbeats.c.pid == self.pid)
        try:
            with self.db.write() as conn:
                if self._started is None:
                    conn.execute(
                        delete(worker_heartbeats).where(worker_heartbeats.c.beat_at < now - PRUNE_SECONDS)
                    )
                    conn.execute(delete(worker_heartbeats).where(key))
                    conn.execute(
                        insert(worker_heartbeats).values(
                            host=self.host, pid=self.pid, started_at=now, beat_at=now
                        )
                    )
                    self._started = now
                else:
                    changed = conn.execute(update(worker_heartbeats).where(key).values(beat_at=now)).rowcount
                    if not changed:  # deleted meanwhile (an operator, a prune by a wrong clock)
                        conn.execute(
                            insert(worker_heartbeats).values(
                                host=self.host, pid=self.pid, started_at=self._started, beat_at=now
                            )
                        )
        except Exception as err:  # the store is away: the worker goes on, readiness will say so
            if not self._failing:
                log.warning("could not record the worker's heartbeat (%s)", type(err).__name__)
            self._failing = True
            return
        if self._failing:
            log.info("the worker's heartbeat is recorded again")
        self._failing = False

    def stop(self) -> None:
        """The worker leaves: its row goes (a stopped worker is not alive)."""
        if self._started is None:
            return
        key = (worker_heartbeats.c.host == self.host) & (worker_heartbeats.c.pid == self.pid)
        try:
            with self.db.write() as conn:
                conn.execute(delete(worker_heartbeats).where(key))
        except Exception as err:
            log.warning("could not remove the worker's heartbeat (%s)", type(err).__name__)
        self._started = None
        self._next = 0.0


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "unready", "checks": self.checks}


class ReadinessProbe:
    """What ``/readyz`` checks (see the module's docstring); a few indexed reads."""

    def __init__(self, db: Database, clock: Clock, max_lag: float) -> None:
        self.db = db
        self.clock = clock
        self.max_lag = max_lag

    def check(self) -> Readiness:
        result = Readiness(ready=False)
        checks = result.checks
        now = self.clock.now()
        try:
            with self.db.read() as conn:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                checks["store"] = {"ok": True}
                checks["schema"] = {"ok": revision == SCHEMA_HEAD, "revision": revision, "head": SCHEMA_HEAD}
                if revision != SCHEMA_HEAD:
                    return result
                beats = [float(b) for b in conn.execute(select(worker_heartbeats.c.beat_at)).scalars()]
                oldest = self._oldest_due(conn, now)
        except Exception as err:  # unreachable, locked, or never initialised: not ready
            checks.clear()
            checks["store"] = {"ok": False, "error": type(err).__name__}
            return result
        alive = sum(1 for beat in beats if now - beat <= self.max_lag)
        checks["worker"] = {
            "ok": alive > 0,
            "alive": alive,
            "heartbeat_age_seconds": round(max(0.0, now - max(beats)), 3) if beats else None,
            "max_lag_seconds": self.max_lag,
        }
        waited = max(0.0, now - oldest) if oldest is not None else 0.0
        checks["backlog"] = {
            "ok": waited <= self.max_lag,
            "oldest_due_age_seconds": round(waited, 3),
            "max_lag_seconds": self.max_lag,
        }
        result.ready = all(check["ok"] for check in checks.values())
        return result

    @staticmethod
    def _oldest_due(conn: Any, now: float) -> float | None:
        """When the longest-waiting due, unclaimed job or mail became due (leases that ran out
        count: their worker is gone). Each read walks an index from its start."""
        candidates = [
            # A queued job is due from available_at; a running one whose lease (available_at)
            # ran out is abandoned. Failed jobs have none.
            conn.execute(
                select(jobs.c.available_at)
                .where(jobs.c.available_at.is_not(None), jobs.c.available_at <= now)
                .order_by(jobs.c.available_at)
                .limit(1)
            ).scalar(),
            conn.execute(
                select(mail_outbox.c.next_attempt)
                .where(mail_outbox.c.status == "queued", mail_outbox.c.next_attempt <= now)
                .order_by(mail_outbox.c.next_attempt)
                .limit(1)
            ).scalar(),
            conn.execute(
                select(func.min(mail_outbox.c.lease_until)).where(
                    mail_outbox.c.status == "sending", mail_outbox.c.lease_until <= now
                )
            ).scalar(),
        ]
        if conn.dialect.name == "postgresql":  # procrastinate's queue, on the database's clock
            age = conn.execute(_PROCRASTINATE_OLDEST_DUE_AGE).scalar()
            if age is not None:
                candidates.append(now - float(age))
        found = [float(c) for c in candidates if c is not None]
        return min(found) if found else None


# Seconds the longest-waiting due procrastinate job has waited (since it was deferred, or since
# its scheduled time); NULL when there is none. Migration 0010 made the tables on PostgreSQL.
_PROCRASTINATE_OLDEST_DUE_AGE = text(
    "SELECT extract(epoch FROM now() - min(greatest(e.at, coalesce(j.scheduled_at, e.at))))"
    " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'"
    " WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
)


def attach_heartbeat(worker: BackgroundWorker, wiki: Wiki) -> Heartbeat:
    """Have ``worker`` record a heartbeat from its loop, often enough for ``[health]
    max_worker_lag_seconds``; it removes its row when its loop ends."""
    heartbeat = Heartbeat.for_lag(wiki.db, wiki.clock, wiki.settings.health.max_worker_lag_seconds)
    worker.heartbeat = heartbeat
    return heartbeat
