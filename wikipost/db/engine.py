"""The database handle every service receives.

SQLite runs in WAL mode with foreign keys on. Writers take ``BEGIN IMMEDIATE`` so two writers
never deadlock on a lock upgrade. Writers are serialised before they reach SQLite — by a lock
inside the process (the Datasette single-writer idea) and an ``flock`` on a file beside the
database across processes (``serve --workers N``, the CLI) — so no writer sleeps in SQLite's
busy loop, whose back-off waits up to 100 ms. PostgreSQL needs none of this.

A writer waits for the write lock at most ``busy_timeout`` seconds (``?timeout=`` in the URL,
30 by default) — for the ``flock`` as for SQLite's lock held by a foreign process — and then
fails with "database is locked" instead of waiting for ever.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

DEFAULT_BUSY_TIMEOUT = 30.0


MMAP_BYTES = 256 * 1024 * 1024


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # How long a writer waits for the write lock (ours across processes, then SQLite's)
        # before its request fails with "database is locked": ``?timeout=`` in the URL.
        self.busy_timeout = float(str(parsed.query.get("timeout", DEFAULT_BUSY_TIMEOUT)))
        self._write_lock = threading.RLock() if self.is_sqlite else None
        self._lock_path: str | None = None
        self._lock_fd: int | None = None
        self._lock_pid = 0
        self._writer_conn: Connection | None = None
        self._main_reader_conn: Connection | None = None
        self.checkpoints_deferred = False
        # SQLite: how much of the database file connections map into memory (see unmap).
        self.mmap_bytes = MMAP_BYTES
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
                connect_args={"check_same_thread": False, "timeout": self.busy_timeout},
                pool_size=16,
                max_overflow=16,
            )
            # No connection-level event listeners: with one registered, SQLAlchemy dispatches
            # events on every statement, which costs more than the statement itself.
            busy_ms = int(self.busy_timeout * 1000)
            event.listen(
                self.engine,
                "connect",
                lambda conn, _record: _sqlite_on_connect(conn, busy_ms, self.mmap_bytes),
            )
        else:
            self.engine = create_engine(url, echo=echo, pool_size=16, max_overflow=16, pool_pre_ping=True)

    @contextmanager
    def scope(self) -> Iterator[None]:
        """One unit of work (an API request): every ``read()`` inside shares one connection.

        Saves a pool checkout per read. On the main thread with SQLite the reads share one read
        transaction; elsewhere SQLite reads autocommit. Either way (and on PostgreSQL) the read
        transaction is ended before each ``write()``, so later reads see what was written.

        The connection is taken at the first read, not here: a store that cannot be reached (a
        PostgreSQL restarting) then fails inside the request's own error handling, which
        answers with an API error, rather than before it.
        """
        if getattr(self._scoped, "active", False):
            yield
            return
        self._scoped.active = True
        try:
            yield
        finally:
            conn: Connection | None = getattr(self._scoped, "conn", None)
            self._scoped.conn = None
            self._scoped.active = False
            if conn is not None:
                if conn is self._main_reader_conn:
                    _end_read(conn)
                else:
                    conn.close()

    def _scope_reader(self) -> Connection | None:
        """The scope's shared read connection, taken now if this is its first read."""
        conn: Connection | None = getattr(self._scoped, "conn", None)
        if conn is None and getattr(self._scoped, "active", False):
            kept = self._main_reader()
            conn = kept or self.engine.connect()
            if kept is not None:
                # The request's reads share one (deferred) read transaction: SQLite then takes
                # its file locks once per request instead of once per statement. write() ends it.
                raw_connection(kept).execute("BEGIN")
            self._scoped.conn = conn
        return conn

    def _main_reader(self) -> Connection | None:
        """SQLite: the main thread (the server's event loop) keeps one read connection open.

        It serves most requests, so it skips a pool checkout and check-in per request. Between
        requests it holds no transaction, so keeping it open keeps no snapshot.
        """
        if self._write_lock is None or threading.current_thread() is not threading.main_thread():
            return None
        if self._main_reader_conn is None or self._main_reader_conn.closed:
            self._main_reader_conn = self.engine.connect()
        return self._main_reader_conn

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
        if scoped is not None:
            _end_read(scoped)
        try:
            if self._write_lock is not None:
                with self._write_lock, self._process_lock():
                    conn = self._writer()
                    with conn.begin():
                        # pysqlite runs with autocommit at the DBAPI level (see
                        # _sqlite_on_connect), so this is the transaction's real start; IMMEDIATE
                        # takes SQLite's write lock now, so a writer never fails on a lock upgrade.
                        raw_connection(conn).execute("BEGIN IMMEDIATE")
                        self._scoped.write_conn = conn
                        yield conn
            else:
                with self.engine.begin() as conn:
                    self._scoped.write_conn = conn
                    yield conn
        finally:
            self._scoped.write_conn = None

    def _writer(self) -> Connection:
        """SQLite's one write connection, kept open: writers take turns under ``_write_lock``."""
        if self._writer_conn is None or self._writer_conn.closed:
            self._writer_conn = self.engine.connect()
            if self.checkpoints_deferred:
                raw_connection(self._writer_conn).execute("PRAGMA wal_autocheckpoint=0")
        elif self._writer_conn.in_transaction():  # left over by a failure: start clean
            self._writer_conn.rollback()
        return self._writer_conn

    def unmap(self) -> None:
        """SQLite: read the file with read() instead of a memory map, from now on.

        The map makes reads of pages other connections changed cheap — what the request path
        does all day. The background worker mostly writes, and a map of every page it ever
        touched counts in its resident memory (a 100,000-target send: 17 → 33 MB of it)."""
        if not self.is_sqlite:
            return
        self.mmap_bytes = 0
        self.engine.dispose()  # pooled connections come back without the map
        if self._write_lock is not None:
            with self._write_lock:
                if self._writer_conn is not None and not self._writer_conn.closed:
                    raw_connection(self._writer_conn).execute("PRAGMA mmap_size=0")

    def defer_checkpoints(self) -> None:
        """Writers stop checkpointing the WAL; :meth:`checkpoint` (the background worker) does it.

        By default the commit that takes the WAL past 1,000 pages copies them into the database
        and syncs it — inside somebody's request. ``serve`` moves that work to its worker.
        """
        if self._write_lock is None:
            return
        with self._write_lock:
            self.checkpoints_deferred = True
            if self._writer_conn is not None and not self._writer_conn.closed:
                raw_connection(self._writer_conn).execute("PRAGMA wal_autocheckpoint=0")

    def checkpoint(self) -> None:
        """Copy the WAL into the database as far as readers allow (SQLite; no write lock)."""
        if self._write_lock is None:
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()

    @contextmanager
    def _process_lock(self) -> Iterator[None]:
        """Exclusive across processes (held only inside the in-process lock)."""
        if self._lock_path is None:
            yield
            return
        if self._lock_fd is None or self._lock_pid != os.getpid():
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._lock_pid = os.getpid()
        _flock_within(self._lock_fd, self.busy_timeout)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection (autobegun transaction, rolled back at exit)."""
        scoped = self._scope_reader()
        if scoped is not None:
            yield scoped
            return
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        if self._write_lock is not None:
            with self._write_lock:
                if self._writer_conn is not None:
                    self._writer_conn.close()
                    self._writer_conn = None
        if self._main_reader_conn is not None:
            self._main_reader_conn.close()
        self._main_reader_conn = None
        if self._lock_fd is not None and self._lock_pid == os.getpid():
            os.close(self._lock_fd)
        self._lock_fd = None
        self.engine.dispose()


def raw_connection(conn: Connection) -> Any:
    """The DBAPI connection under a SQLAlchemy one (statements there bypass SQLAlchemy's state)."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    return raw


def _end_read(conn: Connection) -> None:
    """End a read connection's open transaction (SQLAlchemy's or a raw BEGIN): no snapshot kept."""
    if conn.in_transaction():
        conn.rollback()
    raw = conn.connection.dbapi_connection
    if raw is not None and getattr(raw, "in_transaction", False):
        raw.rollback()


def _flock_within(fd: int, timeout: float) -> None:
    """``flock(LOCK_EX)``, waiting at most ``timeout`` seconds: a writer of another process that
    hangs must not hang this one (and the server's event loop) for good. Past the timeout it
    fails like SQLite's own busy timeout does."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise OperationalError(
                    "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
                ) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)


def _sqlite_on_connect(dbapi_conn: Any, busy_ms: int, mmap_bytes: int = 0) -> None:
    # No implicit BEGIN from pysqlite: reads autocommit, ``Database.write`` says BEGIN IMMEDIATE.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={busy_ms}")
    # Database pages through a memory map: a page cache that other connections' commits
    # invalidate is refilled without a read() call per page.
    cur.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
    cur.close()


def null_pool_engine(url: str) -> Engine:
    """An engine without pooling, for one-shot tools such as migrations."""
    return create_engine(url, poolclass=NullPool)
