"""One line on stderr instead of a traceback for what the operator can fix.

A bad configuration, a database URL SQLAlchemy cannot use, a database or Redis that does not
answer, a file or port the command cannot have: each becomes ``error: …`` and an exit code
(2 for the configuration, 1 for the surroundings). Anything else is a bug and keeps its
traceback (without local variables, which could hold passwords).
"""

from __future__ import annotations

import errno
import re
import sys
from typing import Any

import typer

from wikipost.settings import SettingsError

EXIT_CONFIG = 2
EXIT_ENVIRONMENT = 1

# ``scheme://user:password@host``: the password is never printed.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
# Messages the services raise about one setting start with its section: "[mail] backend must …".
_SETTING_MESSAGE = re.compile(r"^\[[a-z_]+\] ")


class WikipostTyper(typer.Typer):
    """The ``wikipost`` app: a Typer whose entry point turns operator errors into one line."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as err:
            described = describe(err)
            if described is None:
                raise
            message, code = described
            sys.stderr.write(f"error: {redact(message)}\n")
            sys.stderr.flush()
            raise SystemExit(code) from None


def redact(text: str) -> str:
    """``text`` with the password of any URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def describe(err: BaseException) -> tuple[str, int] | None:
    """The line and exit code for an error the operator can fix; None for a bug."""
    if isinstance(err, SettingsError):
        return str(err), EXIT_CONFIG
    found = _database_error(err)
    if found is not None:
        return found
    if _is_redis_error(err):
        return f"[ratelimits] storage: cannot use Redis: {_first_line(err)}", EXIT_ENVIRONMENT
    if isinstance(err, OSError):
        return _os_error(err), EXIT_ENVIRONMENT
    if isinstance(err, ValueError) and _SETTING_MESSAGE.match(str(err)):
        return str(err), EXIT_CONFIG
    return None


def _database_error(err: BaseException) -> tuple[str, int] | None:
    from sqlalchemy import exc

    if isinstance(err, exc.NoSuchModuleError):
        return f"[database] url names no database SQLAlchemy knows: {err}", EXIT_CONFIG
    if isinstance(err, exc.ArgumentError):
        return f"[database] url is not a database URL SQLAlchemy can use: {err}", EXIT_CONFIG
    if isinstance(err, exc.OperationalError | exc.InterfaceError):
        # Only the driver's own reason: SQLAlchemy's text repeats the statement and its
        # parameters, which may be anything a user typed.
        reason = _first_line(err.orig) if err.orig is not None else _first_line(err)
        return f"cannot use the database: {reason}", EXIT_ENVIRONMENT
    return None


def _is_redis_error(err: BaseException) -> bool:
    redis = sys.modules.get("redis.exceptions")
    return redis is not None and isinstance(err, redis.ConnectionError | redis.TimeoutError)


def _os_error(err: OSError) -> str:
    if err.errno == errno.EADDRINUSE:
        return f"address already in use: {err.strerror or err}"
    if err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    return str(err)


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(err).__name__
