"""The durable outbox (D3): accepted mail is a database row before anyone is told "Success".

Delivery claims due rows with a lease (status ``sending``), hands the batch to the backend over
one connection, then records every outcome in one transaction. A row is marked ``sent`` only
after the backend accepted it; a process that dies mid-send leaves ``sending`` rows whose lease
runs out, and they are delivered again (at least once, same Message-ID; the maildir recognises
its first copy). A worker asked to stop hands back the rows it has not tried (``release``).
Temporary failures are retried with exponential backoff; permanent ones (5xx) and exhausted
attempts become ``failed`` with their reason, and ``requeue_failed`` (``wikipost mail retry``)
queues them again once the cause is fixed, or ``drop`` (``wikipost mail drop``) marks them
``dropped``: kept, never sent.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.prepared import Prepared
from wikipost.db.schema.mail import mail_outbox
from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.message import OutgoingMail
from wikipost.settings import Settings

log = logging.getLogger("wikipost.mail")

STATUSES = ("queued", "sending", "sent", "failed", "dropped")
# `wikipost mail drop`: mail not yet sent nor being sent can be dropped (kept, never sent).
DROPPABLE = ("queued", "failed")
_ENQUEUE_COLUMNS = (
    "message_id", "kind", "envelope_from", "recipients", "subject", "raw", "status", "attempts",
    "created", "next_attempt", "lease_until", "last_error",
)  # fmt: skip
_INSERT = Prepared(
    insert(mail_outbox)
    .values({name: bindparam(name) for name in _ENQUEUE_COLUMNS})
    .returning(mail_outbox.c.id)
)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    message_id: str
    kind: str
    envelope_from: str
    recipients: tuple[str, ...]
    subject: str
    status: str
    attempts: int
    created: float
    next_attempt: float
    sent_at: float | None
    last_error: str
    raw: bytes

    def mail(self) -> OutgoingMail:
        return OutgoingMail(
            self.message_id,
            self.envelope_from,
            self.recipients,
            self.raw,
            self.subject,
            accepted_at=self.created,
            redelivery=self.attempts > 1,
        )


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        r.id,
        r.message_id,
        r.kind,
        r.envelope_from,
        tuple(json.loads(r.recipients)),
        r.subject,
        r.status,
        r.attempts,
        r.created,
        r.next_attempt,
        r.sent_at,
        r.last_error,
        bytes(r.raw),
    )


class Outbox:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.lease_seconds = float(settings.jobs.lease_seconds)
        self.max_attempts = settings.mail.max_attempts
        self.retry_base = settings.mail.retry_base_seconds
        # A job queue that needs to be told of mail to deliver (procrastinate; the table queue's
        # drainer finds it by itself): called in the transaction that queued ``ids`` to be
        # tried ``delay`` seconds from now.
        self.on_queued: Callable[[Connection, list[int], float], None] | None = None

    # --- writing ----------------------------------------------------------------------------

    def enqueue(
        self, conn: Connection, mails: Sequence[tuple[str, OutgoingMail]], *, claim: bool = False
    ) -> list[int]:
        """Insert ``(kind, mail)`` rows inside the caller's transaction; their ids.

        ``claim``: the caller delivers them itself right after commit (sync delivery), so they
        start as ``sending`` under a lease — if it dies, the drainer takes over.
        """
        now = self.clock.now()
        rows = [
            {
                "message_id": m.message_id,
                "kind": kind,
                "envelope_from": m.envelope_from,
                "recipients": json.dumps(list(m.recipients)),
                "subject": m.subject,
                "raw": m.raw,
                "status": "sending" if claim else "queued",
                "attempts": 1 if claim else 0,
                "created": now,
                "next_attempt": now,
                "lease_until": now + self.lease_seconds if claim else None,
                "last_error": "",
            }
            for kind, m in mails
        ]
        # One statement per row: executemany gives no ids back.
        ids = [int(_INSERT.scalar(conn, values)) for values in rows]
        if self.on_queued is not None:  # a sync delivery that dies is taken over after its lease
            self.on_queued(conn, ids, self.lease_seconds if claim else 0.0)
        return ids

    def claim(self, limit: int) -> list[OutboxRow]:
        """Take up to ``limit`` due rows (queued and due, or sending with a lapsed lease)."""
        now = self.clock.now()
        due = or_(
            and_(mail_outbox.c.status == "queued", mail_outbox.c.next_attempt <= now),
            and_(mail_outbox.c.status == "sending", mail_outbox.c.lease_until <= now),
        )
        with self.db.read() as conn:  # nothing due: no write lock taken from the servers
            if conn.execute(select(mail_outbox.c.id).where(due).limit(1)).first() is None:
                return []
        with self.db.write() as conn:
            found = conn.execute(
                select(mail_outbox)
                .where(due)
                .order_by(mail_outbox.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not found:
                return []
            ids = [r.id for r in found]
            conn.execute(
                update(mail_outbox)
                .where(mail_outbox.c.id.in_(ids))
                .values(
                    status="sending",
                    lease_until=now + self.lease_seconds,
                    attempts=mail_outbox.c.attempts + 1,
                )
            )
        return [dataclasses.replace(_row(r), status="sending", attempts=r.attempts + 1) for r in found]

    def claim_ids(self, ids: Sequence[int]) -> tuple[list[OutboxRow], dict[float, list[int]]]:
        """Claim these rows where due (a job of the procrastinate queue names them). The rest
        that still wait to be sent — leased to someone else, or not due yet — come back by the
        seconds until they may be claimed."""
        now = self.clock.now()
        later: dict[float, list[int]] = {}
        claimed = []
        with self.db.write() as conn:
            found = conn.execute(
                select(mail_outbox)
                .where(mail_outbox.c.id.in_(list(ids)), mail_outbox.c.status.in_(("queued", "sending")))
                .order_by(mail_outbox.c.id)
                .with_for_update()
            ).all()
            for r in found:
                at = float((r.lease_until if r.status == "sending" else r.next_attempt) or now)
                if at <= now:
                    claimed.append(r)
                else:
                    later.setdefault(at - now, []).append(r.id)
            if claimed:
                conn.execute(
                    update(mail_outbox)
                    .where(mail_outbox.c.id.in_([r.id for r in claimed]))
                    .values(
                        status="sending",
                        lease_until=now + self.lease_seconds,
                        attempts=mail_outbox.c.attempts + 1,
                    )
                )
        rows = [dataclasses.replace(_row(r), status="sending", attempts=r.attempts + 1) for r in claimed]
        return rows, later

    def record(
        self, outcomes: Sequence[tuple[OutboxRow, DeliveryError | None]], *, retry: bool = True
    ) -> None:
        """Store each delivery's outcome in one transaction."""
        now = self.clock.now()
        sent = [row.id for row, err in outcomes if err is None]
        with self.db.write() as conn:
            if sent:
                conn.execute(
                    update(mail_outbox)
                    .where(mail_outbox.c.id.in_(sent))
                    .values(status="sent", sent_at=now, lease_until=None, last_error="")
                )
            for row, err in outcomes:
                if err is None:
                    continue
                attempts = max(row.attempts, 1)  # this delivery included
                final = err.permanent or not retry or attempts >= self.max_attempts
                values: dict[str, object] = {"last_error": err.reason, "lease_until": None}
                if final:
                    values["status"] = "failed"
                else:
                    values["status"] = "queued"
                    wait = self.retry_base * 2 ** (attempts - 1)
                    values["next_attempt"] = now + wait
                    if self.on_queued is not None:
                        self.on_queued(conn, [row.id], wait)
                conn.execute(update(mail_outbox).where(mail_outbox.c.id == row.id).values(**values))

    def release(self, rows: Sequence[OutboxRow]) -> None:
        """Hand back claimed rows that were not tried (a worker stopping): due again at once,
        the claim's attempt not counted."""
        if not rows:
            return
        with self.db.write() as conn:
            conn.execute(
                update(mail_outbox)
                .where(mail_outbox.c.id.in_([r.id for r in rows]), mail_outbox.c.status == "sending")
                .values(status="queued", lease_until=None, attempts=mail_outbox.c.attempts - 1)
            )
            if self.on_queued is not None:
                self.on_queued(conn, [r.id for r in rows], 0.0)

    def requeue_failed(self, ids: Sequence[int] | None = None) -> int:
        """Failed mail (all, or these ids) queued again with fresh attempts, e.g. after an SMTP
        outage longer than the retries (``wikipost mail retry``); how many were queued."""
        query = update(mail_outbox).where(mail_outbox.c.status == "failed")
        if ids is not None:
            query = query.where(mail_outbox.c.id.in_(list(ids)))
        with self.db.write() as conn:
            requeued = list(
                conn.execute(
                    query.values(
                        status="queued", attempts=0, next_attempt=self.clock.now(), lease_until=None
                    ).returning(mail_outbox.c.id)
                ).scalars()
            )
            if requeued and self.on_queued is not None:
                self.on_queued(conn, requeued, 0.0)
            return len(requeued)

    def drop(self, ids: Sequence[int]) -> list[int]:
        """Mark these queued or failed mails ``dropped``: kept for the record with their last
        error, never sent (``wikipost mail drop``). Sent mail and mail being sent right now are
        left alone (the status test is in the UPDATE, so a drainer's claim wins). The ids
        dropped."""
        if not ids:
            return []
        with self.db.write() as conn:
            found = conn.execute(
                update(mail_outbox)
                .where(mail_outbox.c.id.in_(list(ids)), mail_outbox.c.status.in_(DROPPABLE))
                .values(status="dropped", lease_until=None)
                .returning(mail_outbox.c.id)
            ).all()
        return sorted(int(r.id) for r in found)

    # --- reading ----------------------------------------------------------------------------

    def get(self, ids: Sequence[int]) -> list[OutboxRow]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(mail_outbox).where(mail_outbox.c.id.in_(list(ids))).order_by(mail_outbox.c.id)
            ).all()
        return [_row(r) for r in rows]

    def list(self, status: str | None = None, limit: int | None = None) -> list[OutboxRow]:
        query = select(mail_outbox).order_by(mail_outbox.c.id)
        if status is not None:
            query = query.where(mail_outbox.c.status == status)
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as conn:
            return [_row(r) for r in conn.execute(query).all()]

    def counts(self) -> dict[str, int]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(mail_outbox.c.status, func.count()).group_by(mail_outbox.c.status)
            ).all()
        return {status: 0 for status in STATUSES} | {r[0]: int(r[1]) for r in rows}


class OutboxDrainer:
    """The background drainer: claim a batch, send it through one connection, record.

    Outcomes are recorded after every ``chunk`` mails, or after every mail once the backend is
    slow (a chunk took over ``slow_seconds``): a crash then re-sends at most what was sent since
    the last record, with the same Message-IDs (and the maildir finds its first copy). Between
    chunks the drainer checks ``stopping`` and hands back the mails it has not tried; when the
    backend is unreachable the rest of the batch gets the same outcome without being tried.
    """

    name = "mail"

    def __init__(
        self, outbox: Outbox, backend: MailBackend, *, chunk: int = 25, slow_seconds: float = 1.0
    ) -> None:
        self.outbox = outbox
        self.backend = backend
        self.chunk = chunk
        self.slow_seconds = slow_seconds
        self.stopping: Callable[[], bool] = lambda: False  # BackgroundWorker binds its own

    def run_once(self, limit: int) -> int:
        rows = self.outbox.claim(limit)
        self.deliver(rows)
        return len(rows)

    def deliver(self, rows: Sequence[OutboxRow]) -> None:
        """Send claimed rows and record the outcomes (also the procrastinate mail task)."""
        recordable_until = time.monotonic() + self.outbox.lease_seconds
        start, size = 0, self.chunk
        while start < len(rows):
            if self.stopping():
                self.outbox.release(rows[start:])
                break
            part = rows[start : start + size]
            began = time.monotonic()
            results = self._send(part)
            if all(r is not None and r.unreachable for r in results):
                part, results = rows[start:], [results[0]] * (len(rows) - start)
            self._record(list(zip(part, results, strict=True)), recordable_until)
            start += len(part)
            size = 1 if time.monotonic() - began > self.slow_seconds else self.chunk

    def _send(self, part: Sequence[OutboxRow]) -> list[DeliveryError | None]:
        try:
            return self.backend.send_each([r.mail() for r in part])
        except Exception as exc:  # a backend bug: retry later, keep the reason
            log.exception("mail backend %s failed", self.backend.name)
            return [DeliveryError(f"{type(exc).__name__}: {exc}")] * len(part)

    def _record(self, outcomes: Sequence[tuple[OutboxRow, DeliveryError | None]], until: float) -> None:
        """Record, retrying while the store is away (a PostgreSQL restart, a locked SQLite) and
        the rows are still leased to us: mail that was sent but not recorded goes out again."""
        delay = 0.1
        while True:
            try:
                self.outbox.record(outcomes)
                return
            except DBAPIError as err:
                if time.monotonic() + delay >= until:
                    raise
                log.warning("could not record %d delivery outcome(s), retrying: %s", len(outcomes), err)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
