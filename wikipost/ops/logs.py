"""Log output: plain text or one JSON object per line, the access line, and what is never written.

``serve`` (each server process) and the background worker call :func:`configure_logging` once
with ``[logging]``: the ``wikipost`` loggers then write to the process's standard error, which
``serve`` and its worker process share. With ``format = "json"`` uvicorn's own lines are
reformatted too, so the output is JSON throughout (except the command line's own messages).

Secrets never reach a line: the access line holds no request parameter except the module's
name and the request id (:class:`AccessLog`), and the JSON formatter blanks the values of keys
that name secrets (passwords, tokens, cookies, mail text and bodies) anywhere in a record's
``extra`` fields (:func:`scrub`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Mapping
from json.encoder import encode_basestring as _js
from typing import Any, TextIO

from wikipost.settings import LoggingSettings

ACCESS_LOGGER = "wikipost.access"
REDACTED = "[redacted]"
# Keys whose values are never written (lower case); every key ending in "token" or "password"
# too (lgtoken, csrftoken, smtp_password …).
SECRET_KEYS = frozenset(
    {"password", "lgpassword", "token", "cookie", "cookies", "set-cookie", "text", "body"}
)
SECRET_SUFFIXES = ("token", "password", "secret")
# The record attribute that carries a line's structured fields (the access line's).
FIELDS = "wikipost_fields"
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
# Marks the handlers this module installed, so a second configure_logging replaces them.
_OURS = "_wikipost_handler"


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in SECRET_KEYS or lowered.endswith(SECRET_SUFFIXES)


def scrub(value: Any) -> Any:
    """``value`` with the values of secret keys replaced, in nested mappings and lists too."""
    if isinstance(value, Mapping):
        return {str(k): REDACTED if is_secret_key(str(k)) else scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def utc_timestamp(created: float) -> str:
    """``2026-11-24T19:21:31.123Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg, then its fields (scrubbed)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": utc_timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, Mapping):
            out.update(scrub(fields))
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key != FIELDS and key not in out:
                out[key] = REDACTED if is_secret_key(key) else scrub(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-11-24T19:21:31.123Z INFO wikipost.access: …`` (fields other than the message are
    not printed, so nothing in ``extra`` can leak)."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{utc_timestamp(record.created)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def configure_logging(
    settings: LoggingSettings, stream: TextIO | None = None
) -> logging.StreamHandler[TextIO]:
    """Send the ``wikipost`` loggers (and, as JSON, uvicorn's) to ``stream`` (standard error).

    Called again (a second app in one process), it replaces what it installed before.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    setattr(handler, _OURS, True)
    names = ["wikipost"] + (["uvicorn"] if settings.format == "json" else [])
    for name in names:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if getattr(old, _OURS, False) or name == "uvicorn":
                logger.removeHandler(old)
        logger.addHandler(handler)
    wikipost = logging.getLogger("wikipost")
    wikipost.setLevel(settings.level.upper())
    wikipost.propagate = False
    return handler


class AccessLog:
    """The access line: one per request, built from values the server has at hand anyway.

    It holds the method, the path without its query string, the module (``action=`` for
    api.php, else the kind of page), the outcome code (``ok`` or the API error code), the HTTP
    status, the time taken, the request id and the client address — never a parameter's value.

    Given the ``handler`` :func:`configure_logging` installed (what ``serve`` does), lines are
    formatted here, in the handler's format, and written to its stream together once per turn
    of the event loop, under the handler's lock: a logging call per request (a LogRecord, the
    caller lookup, a formatter, a write and a flush each) cost 20-50 µs, several per cent of an
    accepted emailuser. Without a handler (an app built in-process, e.g. by tests), each line
    is an INFO call on the ``wikipost.access`` logger with the values as structured fields.
    """

    def __init__(self, enabled: bool = True, handler: logging.StreamHandler[TextIO] | None = None) -> None:
        self.log = logging.getLogger(ACCESS_LOGGER)
        self.enabled = enabled
        self.handler = handler
        self.json = handler is not None and isinstance(handler.formatter, JsonFormatter)
        self._pending: list[str] = []
        self._second = -1
        self._second_text = ""

    def write(
        self,
        *,
        method: str,
        path: str,
        module: str,
        code: str,
        status: int,
        seconds: float,
        request_id: str,
        client: str,
    ) -> None:
        if not self.enabled or not self.log.isEnabledFor(logging.INFO):
            return
        ms = round(seconds * 1000, 2)
        text = f"{client} {method} {path} {module} {code} {status} {ms}ms {request_id}"
        if self.handler is None:
            fields = {
                "method": method,
                "path": path,
                "module": module,
                "code": code,
                "status": status,
                "duration_ms": ms,
                "request_id": request_id,
                "client": client,
            }
            self.log.info(text, extra={FIELDS: fields})
            return
        ts = self._timestamp()
        if self.json:
            line = (
                f'{{"ts": "{ts}", "level": "info", "logger": "{ACCESS_LOGGER}", "msg": {_js(text)}, '
                f'"method": {_js(method)}, "path": {_js(path)}, "module": {_js(module)}, '
                f'"code": {_js(code)}, "status": {status}, "duration_ms": {ms}, '
                f'"request_id": {_js(request_id)}, "client": {_js(client)}}}\n'
            )
        else:
            line = f"{ts} INFO {ACCESS_LOGGER}: {text}\n"
        self._pending.append(line)
        if len(self._pending) == 1:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # not on an event loop: now
                self.flush()

    def flush(self) -> None:
        if not self._pending or self.handler is None:
            return
        data = "".join(self._pending)
        self._pending.clear()
        handler = self.handler
        handler.acquire()
        try:
            handler.stream.write(data)
            handler.flush()
        except (OSError, ValueError):  # a closed or full output must not fail requests
            pass
        finally:
            handler.release()

    def _timestamp(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int(now % 1 * 1000):03d}Z"


__all__ = [
    "ACCESS_LOGGER",
    "AccessLog",
    "JsonFormatter",
    "TextFormatter",
    "configure_logging",
    "is_secret_key",
    "scrub",
]
