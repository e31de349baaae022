"""Backup and restore of the embedded store: one SQLite file, made while the wiki runs.

``backup`` copies the store with SQLite's online backup API in one step, which reads inside
one read transaction: the copy is the store as of one commit, while writers go on (the store is
in WAL mode, so a reader never blocks them). The copy is then made self-contained (rollback
journal instead of WAL), checked with ``PRAGMA integrity_check``, and gets one more table,
``wikipost_backup``, with what the file alone would lose: the data dir's generated secret key
(``[site] secret_key``, which signs Special:RunJobs requests), the schema revision, the Wikipost
version and the time. The file is written beside its final name and renamed, mode 0600 (it holds
password hashes and that key).

``restore`` checks a file before anything is replaced: an SQLite file, ``integrity_check`` ok, a
Wikipost schema (the ``alembic_version`` table) this version knows. An older schema is migrated
on the copy. An existing store is replaced only with ``force`` and only when no process has it
open; it is kept beside as ``<store>.before-restore``. Delivered mail (the maildir) is output,
not state, and is not part of a backup; mail still queued is (it is in the store's outbox).

PostgreSQL stores are backed up with its own tools (README: "Backup and restore").
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from wikipost import __version__
from wikipost.settings import SECRET_KEY_FILE, Settings

BACKUP_TABLE = "wikipost_backup"
FORMAT = "1"
SQLITE_MAGIC = b"SQLite format 3\x00"
BEFORE_RESTORE = ".before-restore"
LOCK_TIMEOUT = 2.0  # seconds to wait for the store when checking that nobody has it open


class BackupError(Exception):
    """Why a backup or restore cannot be done, in one line for the operator."""


@dataclass(frozen=True)
class StoreSummary:
    """What a store holds, for the operator's confirmation line."""

    revision: str
    counts: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    secret_key: bool = False

    def describe(self) -> str:
        parts = [f"schema {self.revision}"]
        parts += [f"{n} {name}" for name, n in self.counts.items()]
        if self.outbox:
            parts.append("mail " + ", ".join(f"{n} {status}" for status, n in sorted(self.outbox.items())))
        parts.append("with the secret key" if self.secret_key else "no secret key file")
        return "; ".join(parts)


@dataclass(frozen=True)
class RestoreResult:
    summary: StoreSummary
    store: Path
    migrated_from: str | None
    replaced: Path | None  # where the store that was there before was kept
    secret_key_file: Path | None


def sqlite_store(settings: Settings) -> Path:
    """The store's file; a PostgreSQL store is refused with the tools to use instead."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"the store is {url.get_backend_name()}, not the embedded SQLite: use pg_dump and "
            "pg_restore (README, Backup and restore)"
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("the store is an SQLite database in memory: there is no file to back up")
    return Path(url.database)


def is_known_revision(revision: str) -> bool:
    """Whether this Wikipost has the migration ``revision`` (else the store is from a newer one)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from wikipost.db.migrate import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        return ScriptDirectory.from_config(cfg).get_revision(revision) is not None
    except Exception:  # alembic's "no such revision"
        return False


# --- backup ------------------------------------------------------------------------------------


def backup(settings: Settings, target: Path, *, force: bool = False) -> StoreSummary:
    """Copy the running store into ``target`` (one SQLite file); what the copy holds."""
    source = sqlite_store(settings)
    if not source.is_file():
        raise BackupError(f"no store at {source}: nothing to back up")
    if target.exists() and not force:
        raise BackupError(f"{target} exists: name another file, or add --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    secret = _stored_secret_key(settings.data_dir)
    with _scratch(target.parent / f".{target.name}.partial-{os.getpid()}") as partial:
        _online_copy(source, partial, source_uri=False)
        with contextlib.closing(sqlite3.connect(partial, isolation_level=None)) as copy:
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            revision = _verify(copy, str(source))
            rows = {"format": FORMAT, "revision": revision, "wikipost": __version__, "created": _now()}
            if secret:
                rows["secret_key"] = secret
            copy.execute(f"CREATE TABLE {BACKUP_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            copy.executemany(f"INSERT INTO {BACKUP_TABLE} VALUES (?, ?)", sorted(rows.items()))
            summary = _summary(copy, revision, secret_key=bool(secret))
        os.replace(partial, target)
    return summary


def _online_copy(source: Path, target: Path, *, source_uri: bool) -> None:
    """SQLite's backup API in one step (``pages=-1``): one read transaction, a consistent copy."""
    name = f"file:{quote(str(source))}?mode=ro" if source_uri else str(source)
    try:
        with contextlib.closing(sqlite3.connect(name, uri=source_uri, timeout=30)) as src:
            with contextlib.closing(sqlite3.connect(target)) as dst:
                src.backup(dst)
    except sqlite3.Error as err:
        raise BackupError(f"cannot copy {source}: {err}") from err


# --- restore -----------------------------------------------------------------------------------


def restore(settings: Settings, source: Path, *, force: bool = False) -> RestoreResult:
    """Replace (or create) the data dir's store from the backup file ``source``."""
    store = sqlite_store(settings)
    _check_is_sqlite_file(source)
    if store.exists() and not force:
        raise BackupError(
            f"{store} holds a store already: restore does not overwrite it; stop the wiki and add "
            f"--force to replace it (the old one is kept as {store.name}{BEFORE_RESTORE})"
        )
    store.parent.mkdir(parents=True, exist_ok=True)
    key_file = settings.data_dir / SECRET_KEY_FILE
    with _scratch(store.parent / f".{store.name}.restore-{os.getpid()}") as copy_path:
        _online_copy(source, copy_path, source_uri=True)
        with contextlib.closing(sqlite3.connect(copy_path, isolation_level=None)) as copy:
            revision = _verify(copy, str(source))
            meta = _take_metadata(copy)
        secret = meta.get("secret_key", "")
        if secret and not force and _stored_secret_key(settings.data_dir) not in ("", secret):
            raise BackupError(f"{key_file} holds another secret key: add --force to replace it")
        migrated_from = None
        if revision != _head():
            _migrate(copy_path)
            migrated_from = revision
        with contextlib.closing(sqlite3.connect(copy_path, isolation_level=None)) as copy:
            summary = _summary(copy, _head(), secret_key=bool(secret))
        replaced = _set_aside(store) if store.exists() else None
        os.replace(copy_path, store)
    written = _write_secret_key(key_file, secret) if secret else None
    return RestoreResult(summary, store, migrated_from, replaced, written)


def _check_is_sqlite_file(path: Path) -> None:
    try:
        with open(path, "rb") as f:
            magic = f.read(len(SQLITE_MAGIC))
    except OSError as err:
        raise BackupError(f"cannot read {path}: {err.strerror}") from err
    if magic != SQLITE_MAGIC:
        raise BackupError(f"{path} is not an SQLite file (not a Wikipost backup)")


def _verify(conn: sqlite3.Connection, name: str) -> str:
    """The schema revision of a sound Wikipost store; BackupError for anything else."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"{name} is damaged (integrity_check: {'; '.join(problems[:3])})")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            raise BackupError(f"{name} is not a Wikipost store (no migrations table)")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as err:
        raise BackupError(f"{name} is not a readable SQLite store: {err}") from err
    if row is None or not row[0]:
        raise BackupError(f"{name} is not a Wikipost store (no schema revision)")
    revision = str(row[0])
    if not is_known_revision(revision):
        raise BackupError(
            f"{name} has schema {revision}, which this Wikipost ({__version__}, schema {_head()}) does "
            "not know: it was made by a newer Wikipost"
        )
    return revision


def _take_metadata(conn: sqlite3.Connection) -> dict[str, str]:
    """The backup's own table, read and dropped (it is not part of the schema)."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (BACKUP_TABLE,))
    if exists.fetchone() is None:
        return {}  # a plain copy of a store: restorable, but without the secret key
    meta = {str(k): str(v) for k, v in conn.execute(f"SELECT name, value FROM {BACKUP_TABLE}")}
    conn.execute(f"DROP TABLE {BACKUP_TABLE}")
    return meta


def _migrate(path: Path) -> None:
    from wikipost.db import Database
    from wikipost.db.migrate import upgrade

    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db)
    finally:
        db.dispose()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}.writelock")


def _set_aside(store: Path) -> Path:
    """Move the current store aside, after making sure no process has it open.

    Leaving WAL mode needs every other connection gone; a running server keeps some open, so
    this fails (busy) while one runs. Renaming a store under a server would hand its WAL to
    the new file.
    """
    try:
        with contextlib.closing(sqlite3.connect(store, isolation_level=None, timeout=LOCK_TIMEOUT)) as conn:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.Error as err:
        raise BackupError(f"{store} is in use ({err}): stop the wiki (serve, workers) first") from err
    if str(mode).lower() != "delete":
        raise BackupError(f"{store} is in use: stop the wiki (serve, workers) first")
    aside = store.with_name(store.name + BEFORE_RESTORE)
    os.replace(store, aside)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{store}{suffix}")
    return aside


# --- shared ------------------------------------------------------------------------------------


def _summary(conn: sqlite3.Connection, revision: str, *, secret_key: bool) -> StoreSummary:
    counts = {}
    for table in ("users", "pages", "revisions"):
        with contextlib.suppress(sqlite3.Error):
            counts[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    outbox: dict[str, int] = {}
    with contextlib.suppress(sqlite3.Error):
        for status, n in conn.execute("SELECT status, count(*) FROM mail_outbox GROUP BY status"):
            outbox[str(status)] = int(n)
    return StoreSummary(revision, counts, outbox, secret_key)


def _stored_secret_key(data_dir: Path) -> str:
    try:
        return (data_dir / SECRET_KEY_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _write_secret_key(path: Path, secret: str) -> Path:
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret + "\n")
    os.replace(partial, path)
    return path


@contextlib.contextmanager
def _scratch(path: Path) -> Iterator[Path]:
    """A new file only its owner can read, removed (with SQLite's side files) unless renamed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        yield path
    finally:
        for leftover in (str(path), f"{path}-wal", f"{path}-shm", f"{path}-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)


def _head() -> str:
    from wikipost.db.migrate import SCHEMA_HEAD

    return SCHEMA_HEAD


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
