"""Group commit: the writes of the requests an event loop is handling, in one transaction.

A request handled on the event loop stages its write (a function of the write connection)
instead of committing it; the first one staged schedules a flush for when the loop has run the
callbacks already due, so the requests that arrived together share one ``BEGIN IMMEDIATE`` ...
``COMMIT`` — one write lock, one set of WAL pages. Each request is answered only after that
commit (D3: nothing is reported accepted before it is durable), with its own outcome: every
staged write runs in a savepoint of its own, so one that raises leaves the others untouched.
If the commit itself fails, every request of the group gets that error and nothing of it stays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection

from wikipost.db.engine import Database, raw_connection

log = logging.getLogger("wikipost.db")

T = TypeVar("T")
_SAVEPOINT = "wikipost_staged"


class CommitGroup:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._staged: list[tuple[Callable[[Connection], Any], asyncio.Future[Any]]] = []

    def defer(self, work: Callable[[Connection], T]) -> asyncio.Future[T]:
        """Stage ``work`` for the loop's next group commit; a future of its return value."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._staged.append((work, future))
        if len(self._staged) == 1:
            loop.call_soon(self.flush)
        return future

    def flush(self) -> None:
        """Run and commit everything staged (the loop calls this; tests may too)."""
        staged, self._staged = self._staged, []
        if not staged:
            return
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            with self.db.write() as conn:
                raw = raw_connection(conn)
                for work, future in staged:
                    raw.execute(f"SAVEPOINT {_SAVEPOINT}")
                    try:
                        value = work(conn)
                    except Exception as err:  # this request's outcome, not the group's
                        raw.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
                        raw.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
                        outcomes.append((future, None, err))
                    else:
                        raw.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
                        outcomes.append((future, value, None))
        except Exception as err:  # not committed: no request of the group was accepted
            log.exception("group commit of %d staged writes failed", len(staged))
            for _work, future in staged:
                if not future.done():
                    future.set_exception(err)
            return
        for future, value, error in outcomes:
            if future.done():  # the request was cancelled (client gone); its write stands
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)


__all__ = ["CommitGroup"]
