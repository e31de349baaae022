"""The operations side of the HTTP server: request ids, access lines and request counts for
every request, and the ``/healthz``, ``/readyz`` and ``/metrics`` endpoints at the server's root.

api.php requests are observed by :meth:`RequestObserver.api` from wikipost/app.py's bare ASGI
endpoint, after the answer is made and before it is sent: a clock reading, a header scan and a
logging call, with no store access. Every other request goes through :meth:`RequestObserver.around`.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wikipost.api.main import ApiResponse
from wikipost.api.request import ApiRequest
from wikipost.ops.health import ReadinessProbe
from wikipost.ops.logs import AccessLog
from wikipost.ops.metrics import Metrics, RequestMetrics, StoreCollector

if TYPE_CHECKING:
    from wikipost.wiki import Wiki

REQUEST_ID_HEADER = "X-Request-Id"
MAX_REQUEST_ID = 200
_PLAIN_ID = re.compile(r"[!-~]+")  # printable ASCII without space: kept as it is
_ID_SAFE = "!#$&'()*+,/:;=?@[]~-._"
_CUT_ESCAPE = re.compile(r"%[0-9A-F]?$")
NO_STORE = {"Cache-Control": "no-store"}


def client_request_id(value: str | None) -> str | None:
    """The id a client sent, made safe for a header and a log line (at most 200 characters,
    printable ASCII; anything else percent-encoded), or None when it sent none."""
    if not value:
        return None
    value = value[:MAX_REQUEST_ID]
    if _PLAIN_ID.fullmatch(value):
        return value
    encoded = quote(value, safe=_ID_SAFE, errors="replace")[:MAX_REQUEST_ID]
    return _CUT_ESCAPE.sub("", encoded)  # no half of a %XX left at the end


class RequestIds:
    """Ids for requests that came without one: a random prefix per process and a counter
    (unique across processes and nodes, and cheaper than drawing random bytes each time)."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(6)
        self._counter = itertools.count(1)

    def new(self) -> str:
        return f"{self._prefix}-{next(self._counter):x}"


class RequestObserver:
    """Gives each request its id (echoed in ``X-Request-Id``), writes its access line and counts
    it (when ``metrics`` is given). Runs on the event loop's thread."""

    def __init__(
        self,
        access: AccessLog,
        metrics: RequestMetrics | None,
        modules: Collection[str],
        script_path: str,
    ) -> None:
        self.access = access
        self.metrics = metrics
        self.modules = frozenset(modules)
        self.script_path = script_path
        self.ids = RequestIds()

    def api(self, scope: Scope, request: ApiRequest, response: ApiResponse, started: float) -> None:
        """An api.php answer is ready: add its id header, count it, write its line."""
        seconds = time.perf_counter() - started
        request_id = (
            client_request_id(request.values.get("requestid") or request.headers.get("x-request-id"))
            or self.ids.new()
        )
        response.headers.append((REQUEST_ID_HEADER, request_id))
        action = request.values.get("action", "help")
        module = action if action in self.modules else "unknown"
        code = "ok"
        for name, value in response.headers:
            if name == "MediaWiki-API-Error":
                code = value.split(",", 1)[0].strip()[:64] or "unknown"
                break
        if self.metrics is not None:
            self.metrics.api(module, code, seconds)
        self.access.write(
            method=request.method,
            path=_raw_path(scope),
            module=module,
            code=code,
            status=response.status,
            seconds=seconds,
            request_id=request_id,
            client=request.client_ip,
        )

    async def around(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        """Any other HTTP request, served by ``app``: the same id header, line and count."""
        started = time.perf_counter()
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = client_request_id(value.decode("latin-1"))
                break
        request_id = request_id or self.ids.new()
        status = 500  # what the server answers if the app fails before starting its response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            handler = self.handler(scope["path"])
            if self.metrics is not None:
                self.metrics.web(handler, status, seconds)
            client = scope.get("client")
            self.access.write(
                method=scope["method"],
                path=_raw_path(scope),
                module=handler,
                code="ok" if status < 400 else f"http_{status}",
                status=status,
                seconds=seconds,
                request_id=request_id,
                client=client[0] if client else "-",
            )

    def handler(self, path: str) -> str:
        """What kind of request ``path`` is (a bounded set: the metrics' label)."""
        if path in ("/healthz", "/readyz", "/metrics"):
            return path[1:]
        script = self.script_path
        if path == "/" or path.startswith((f"{script}/index.php", "/wiki/")):
            return "index"
        if path.startswith(f"{script}/static/"):
            return "static"
        if path == f"{script}/openapi.json":
            return "openapi"
        if path.startswith(f"{script}/api.php/"):
            return "api_moved"
        return "other"


def _raw_path(scope: Scope) -> str:
    """The path as the client sent it, still percent-encoded (no query string, no control
    characters: a log line stays one line)."""
    raw = scope.get("raw_path")
    if raw:
        return bytes(raw).split(b"?", 1)[0].decode("latin-1")
    return quote(scope.get("path", ""), safe="/")


def ops_routes(probe: ReadinessProbe, metrics: Metrics | None) -> list[BaseRoute]:
    """``/healthz``, ``/readyz`` and (unless disabled) ``/metrics``, at the server's root.

    The last two read the store: they run in a thread, never on the event loop."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    async def readyz(_request: Request) -> Response:
        readiness = await run_in_threadpool(probe.check)
        return JSONResponse(
            readiness.as_json(), status_code=200 if readiness.ready else 503, headers=NO_STORE
        )

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if metrics is not None:
        registry = metrics

        async def metrics_endpoint(_request: Request) -> Response:
            body = await run_in_threadpool(registry.render)
            return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4, headers=NO_STORE)

        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    return routes


@dataclass
class Ops:
    observer: RequestObserver
    routes: list[BaseRoute]
    probe: ReadinessProbe
    metrics: Metrics | None


def build_ops(
    wiki: Wiki, modules: Collection[str], log_handler: logging.StreamHandler[TextIO] | None = None
) -> Ops:
    """The observer and routes for one app, from ``[health]`` and ``[logging]``; ``modules`` are
    the API's action names (any other ``action=`` is counted as "unknown"), ``log_handler`` the
    handler :func:`~wikipost.ops.logs.configure_logging` installed (access lines go to it)."""
    settings = wiki.settings
    lag = settings.health.max_worker_lag_seconds
    probe = ReadinessProbe(wiki.db, wiki.clock, lag)
    request_metrics: RequestMetrics | None = None
    metrics: Metrics | None = None
    if settings.health.metrics:
        request_metrics = RequestMetrics()
        metrics = Metrics([request_metrics, StoreCollector(wiki.db, wiki.clock, lag)])
    observer = RequestObserver(
        AccessLog(settings.logging.access, log_handler), request_metrics, modules, settings.site.script_path
    )
    return Ops(observer, ops_routes(probe, metrics), probe, metrics)


__all__ = ["Ops", "RequestIds", "RequestObserver", "build_ops", "client_request_id", "ops_routes"]
