"""``wikipost check``: the configuration file, and whether what it names can be reached.

Every problem is collected — unknown keys, wrong types, a database, Redis or SMTP server that
does not answer, settings a cluster cannot share — each naming its key, so that one run shows
all of them. Nothing is created or changed: an SQLite store that does not exist yet is reported
as such (``wikipost init`` makes it), not made.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from wikipost.settings import Settings, collect_settings

DEFAULT_TIMEOUT = 5.0  # seconds for each connection attempt


@dataclass
class CheckReport:
    """What was found in order (``ok``) and what is wrong (``problems``, each naming a key)."""

    ok: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def broken(self, section: str, *keys: str) -> bool:
        """Whether one of these keys already has a problem (then its connection is not tried)."""
        prefixes = [f"[{section}] {key} " for key in keys]
        return any(p.startswith(tuple(prefixes)) for p in self.problems)


def check_configuration(
    config: Path | str | None,
    data_dir: Path | str | None,
    environ: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> CheckReport:
    env = os.environ if environ is None else environ
    settings, problems = collect_settings(config, data_dir, env)
    report = CheckReport(problems=list(problems))
    source = config or env.get("WIKIPOST_CONFIG") or ""
    if not problems:
        report.ok.append(f"configuration {source or '(none: the defaults)'}: every key known and well typed")
    if not report.broken("database", "url") and not any(
        p.startswith("WIKIPOST_DATABASE_URL") for p in problems
    ):
        _check_database(settings, report, timeout, "WIKIPOST_DATABASE_URL" in env)
    if not report.broken("ratelimits", "storage"):
        _check_ratelimit_storage(settings, report, timeout)
    # A DKIM problem fails the whole [mail] section's check across keys, leaving its defaults.
    if not report.broken("mail", "backend", "dkim_selector", "dkim_domain", "dkim_private_key_file"):
        _check_mail(settings, report, timeout)
    from wikipost.cluster_rules import cluster_problems

    report.problems += cluster_problems(settings)
    return report


# --- the database -------------------------------------------------------------------------------


def _check_database(settings: Settings, report: CheckReport, timeout: float, from_env: bool) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    key = "WIKIPOST_DATABASE_URL" if from_env else "[database] url"
    if url.get_backend_name() == "sqlite":
        _check_sqlite(Path(url.database or ""), key, report, timeout)
        return
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    shown = url.render_as_string(hide_password=True)
    connect_args = {"connect_timeout": max(1, int(timeout))} if url.get_backend_name() == "postgresql" else {}
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (SQLAlchemyError, ImportError) as err:
        report.problems.append(f"{key}: no driver for {url.drivername}: {err}")
        return
    try:
        with engine.connect() as conn:
            revision = _revision(
                lambda: conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            )
    except SQLAlchemyError as err:
        reason = " ".join(str(getattr(err, "orig", None) or err).split())
        report.problems.append(f"{key}: cannot connect to {shown}: {reason}")
        return
    finally:
        engine.dispose()
    _report_revision(shown, revision, key, report)


def _check_sqlite(path: Path, key: str, report: CheckReport, timeout: float) -> None:
    if not path.name or path.name == ":memory:":
        report.ok.append("database: SQLite in memory (gone when the process ends)")
        return
    if not path.exists():
        parent = _nearest_existing(path.parent)
        if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
            report.ok.append(f"database: no store at {path} yet (`wikipost init` creates it)")
        else:
            report.problems.append(f"{key}: {path} cannot be created ({parent} is not a writable directory)")
        return
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=timeout)
        try:
            revision = _revision(
                lambda: conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            )
        finally:
            conn.close()
    except sqlite3.Error as err:
        report.problems.append(f"{key}: {path} cannot be read as an SQLite store: {err}")
        return
    _report_revision(f"sqlite {path}", revision, key, report)


def _revision(query: Callable[[], Any]) -> str | None:
    """The stored schema revision (None: not initialised)."""
    try:
        value = query()
    except Exception as err:  # no alembic_version table: a database never initialised
        if "alembic_version" in str(err) or "no such table" in str(err):
            return None
        raise
    return None if value is None else str(value)


def _report_revision(shown: str, revision: str | None, key: str, report: CheckReport) -> None:
    from wikipost.db.migrate import SCHEMA_HEAD as head
    from wikipost.services.backup import is_known_revision

    if revision is None:
        report.ok.append(f"database {shown}: reachable, not initialised yet (run `wikipost init`)")
    elif revision == head:
        report.ok.append(f"database {shown}: schema {revision} (current)")
    elif is_known_revision(revision):
        report.ok.append(f"database {shown}: schema {revision}; `wikipost init` migrates it to {head}")
    else:
        report.problems.append(
            f"{key}: the store's schema {revision} is newer than this Wikipost's ({head}): upgrade Wikipost"
        )


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


# --- rate-limit counters --------------------------------------------------------------------------


def _check_ratelimit_storage(settings: Settings, report: CheckReport, timeout: float) -> None:
    uri = settings.ratelimits.storage
    if uri == "database" or uri.startswith("memory://"):
        report.ok.append(f"rate-limit counters: {uri}")
        return
    parts = urlsplit(uri)
    where = f"{parts.hostname or '?'}:{parts.port or 6379}" if parts.scheme in ("redis", "rediss") else ""
    if where:
        import redis

        client = redis.Redis.from_url(uri, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        except redis.RedisError as err:
            report.problems.append(f"[ratelimits] storage: cannot reach Redis at {where}: {err}")
            return
        finally:
            client.close()
        report.ok.append(f"rate-limit counters: Redis at {where} answers")
        return
    from limits.errors import ConfigurationError
    from limits.storage import storage_from_string

    try:
        storage = storage_from_string(uri)
    except ConfigurationError as err:
        report.problems.append(
            f'[ratelimits] storage: {err} (use "memory://", "database" or "redis://host:port/0")'
        )
        return
    if storage.check():
        report.ok.append(f"rate-limit counters: {parts.scheme} storage answers")
    else:
        report.problems.append(f"[ratelimits] storage: the {parts.scheme} storage does not answer")


# --- mail ------------------------------------------------------------------------------------------


def _check_mail(settings: Settings, report: CheckReport, timeout: float) -> None:
    from wikipost.mail.backends import DeliveryError, build_backend

    mail = settings.mail
    if mail.backend == "smtp":  # try the real connection, but not for the configured 30 s
        settings = settings.replace(mail={"smtp_timeout": min(mail.smtp_timeout, timeout)})
    try:
        backend = build_backend(settings)
    except ValueError as err:  # an unknown backend, TLS mode or DKIM key
        message = str(err)
        report.problems.append(message if message.startswith("[") else f"[mail] {message}")
        return
    if mail.backend == "smtp":
        if report.broken("mail", "smtp_host", "smtp_port", "smtp_tls", "smtp_user", "smtp_password"):
            return  # a wrong value was reported; the default in its place proves nothing
        try:
            backend.open()
        except DeliveryError as err:
            report.problems.append(
                f"[mail] smtp_host, smtp_port: cannot use the SMTP server {mail.smtp_host}:{mail.smtp_port}: "
                f"{err.reason}"
            )
            return
        finally:
            backend.close()
        report.ok.append(f"mail: the SMTP server {mail.smtp_host}:{mail.smtp_port} answers")
    elif mail.backend == "maildir":
        path = settings.maildir_path
        parent = _nearest_existing(path)
        if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
            report.ok.append(f"mail: maildir {path}")
        else:
            report.problems.append(f"[mail] maildir: {path} is not a writable directory")
    else:
        report.ok.append(f"mail: {mail.backend} backend")
