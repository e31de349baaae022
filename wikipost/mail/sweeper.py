"""A safety net for mail on the procrastinate queue.

Each accepted mail gets a procrastinate job in the transaction that accepts it, and a retry gets
a new one in the transaction that records the failed attempt. A job can still be lost for good:
procrastinate gives up on a job after its own retries (a store away for hours), and a row claimed
by a worker that died stays ``sending`` until its lease runs out. Every ``every`` seconds the
sweeper gives a new job to mail that has been due for longer than ``grace`` seconds; a duplicate
job is harmless, since a mail is claimed before it is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, and_, or_, select

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.mail import mail_outbox


class OutboxSweeper:
    name = "mail-sweep"

    def __init__(
        self,
        db: Database,
        clock: Clock,
        defer: Callable[[Connection, list[int], float], None],
        *,
        every: float = 30.0,
        grace: float = 60.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.defer = defer
        self.every = every
        self.grace = grace
        self._next = time.monotonic() + every

    def run_once(self, limit: int) -> int:
        """Always 0: a sweep is never a reason for the worker to run again at once."""
        if time.monotonic() < self._next:
            return 0
        self._next = time.monotonic() + self.every
        overdue = self.clock.now() - self.grace
        stranded = or_(
            and_(mail_outbox.c.status == "queued", mail_outbox.c.next_attempt <= overdue),
            and_(mail_outbox.c.status == "sending", mail_outbox.c.lease_until <= overdue),
        )
        with self.db.write() as conn:
            ids = list(conn.execute(select(mail_outbox.c.id).where(stranded).limit(max(1, limit))).scalars())
            if ids:
                self.defer(conn, ids, 0.0)
        return 0
