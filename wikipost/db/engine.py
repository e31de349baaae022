"""The database handle every service receives.

SQLite runs in WAL mode with foreign keys on. Writers take ``BEGIN IMMEDIATE`` so two writers
never deadlock on a lock upgrade. Writers are serialised before they reach SQLite — by a lock
inside the process (the Datasette single-writer idea) and an ``flock`` on a file beside the
database across processes (``serve --workers N``, the CLI) — so no writer sleeps in SQLite's
busy loop, whose back-off waits up to 100 ms. PostgreSQL needs none of this.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._write_lock = threading.RLock() if self.is_sqlite else None
        self._lock_path: str | None = None
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            self._lock_path = f"{parsed.database}.writelock"
        # The read connection of the request running on this thread (see ``scope``).
        self._scoped = threading.local()
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url,
                echo=echo,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=16,
                max_overflow=16,
            )
            # No connection-level event listeners: with one registered, SQLAlchemy dispatches
            # events on every statement, which costs more than the statement itself.
            event.listen(self.engine, "connect", _sqlite_on_connect)
        else:
            self.engine = create_engine(url, echo=echo, pool_size=16, max_overflow=16, pool_pre_ping=True)

    @contextmanager
    def scope(self) -> Iterator[None]:
        """One unit of work (an API request): every ``read()`` inside shares one connection.

        Saves a pool checkout per read. On SQLite reads run outside an explicit transaction
        (each statement sees the latest commit); on PostgreSQL the shared read transaction is
        ended before each ``write()`` so later reads see what was written.
        """
        if getattr(self._scoped, "conn", None) is not None:
            yield
            return
        conn = self.engine.connect()
        self._scoped.conn = conn
        try:
            yield
        finally:
            self._scoped.conn = None
            conn.close()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on normal exit, rolled back on an exception."""
        # End this thread's shared read snapshot first: later reads must see this write, and an
        # open snapshot would keep SQLite from checkpointing the WAL at commit.
        # A write inside a write on the same thread joins the open transaction.
        current: Connection | None = getattr(self._scoped, "write_conn", None)
        if current is not None:
            yield current
            return
        scoped = getattr(self._scoped, "conn", None)
        if scoped is not None and scoped.in_transaction():
            scoped.rollback()
        try:
            if self._write_lock is not None:
                with self._write_lock, self._process_lock(), self.engine.connect() as conn, conn.begin():
                    # pysqlite runs with autocommit at the DBAPI level (see _sqlite_on_connect),
                    # so this is the transaction's real start; IMMEDIATE takes SQLite's write
                    # lock now, so a writer can never fail on a lock upgrade.
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    self._scoped.write_conn = conn
                    yield conn
            else:
                with self.engine.begin() as conn:
                    self._scoped.write_conn = conn
                    yield conn
        finally:
            self._scoped.write_conn = None

    @contextmanager
    def _process_lock(self) -> Iterator[None]:
        """Exclusive across processes (held only inside the in-process lock)."""
        if self._lock_path is None:
            yield
            return
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection (autobegun transaction, rolled back at exit)."""
        scoped = getattr(self._scoped, "conn", None)
        if scoped is not None:
            yield scoped
            return
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # No implicit BEGIN from pysqlite: reads autocommit, ``Database.write`` says BEGIN IMMEDIATE.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def null_pool_engine(url: str) -> Engine:
    """An engine without pooling, for one-shot tools such as migrations."""
    return create_engine(url, poolclass=NullPool)
