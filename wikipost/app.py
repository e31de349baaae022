"""The ASGI app: /w/api.php and /w/index.php over one Wiki."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TextIO

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request, cookie_parser
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, request_response
from starlette.types import Receive, Scope, Send

from wikipost.api.main import ApiMain, ApiResponse
from wikipost.api.multipart import parse_multipart
from wikipost.api.openapi import openapi_route
from wikipost.api.registry import Registry, build_registry
from wikipost.api.request import ApiRequest, decode_bytes, merge_params, parse_urlencoded
from wikipost.ops.health import attach_heartbeat
from wikipost.ops.http import RequestObserver, build_ops
from wikipost.wiki import Wiki

PARSEABLE_BODIES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_api_request(scope: Scope, receive: Receive, max_body: int) -> ApiRequest:
    """Turn an HTTP request (ASGI scope and body stream) into an ApiRequest; never raises.

    Bodies are read only for POST with a form content type, up to ``max_body`` bytes (a larger
    body is flagged and ApiMain refuses it). Invalid UTF-8 is kept as lone surrogates so that
    ``merge_params`` can replace it and warn ``badutf8`` as MediaWiki does.
    """
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    client = scope.get("client")
    api_request = ApiRequest(
        method=scope["method"].upper(),
        values={},
        query_keys=set(),
        headers=headers,
        client_ip=client[0] if client else "127.0.0.1",
        scheme=scope.get("scheme", "http"),
    )
    query = parse_urlencoded(scope.get("query_string", b""))
    body: list[tuple[str, str]] = []
    if api_request.method == "POST":
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > max_body:
            api_request.body_too_large = True
        elif not ctype:
            api_request.post_without_content_type = True
        elif ctype in PARSEABLE_BODIES:
            raw = await _read_limited(receive, max_body)
            if raw is None:
                api_request.body_too_large = True
            elif ctype == "application/x-www-form-urlencoded":
                body = parse_urlencoded(raw)
            else:
                body = await _multipart(Request(scope, receive), raw, max_body, api_request)
    merge_params(query, body, api_request)
    return api_request


async def _multipart(
    request: Request, raw: bytes, max_body: int, api_request: ApiRequest
) -> list[tuple[str, str]]:
    """Fields of a multipart body already read into ``raw``; a malformed body has none."""
    try:
        form = await parse_multipart(request.headers, raw, max_part_size=max_body)
    except (MultiPartException, HTTPException, ValueError, KeyError, AssertionError):
        return []
    body: list[tuple[str, str]] = []
    for key, value in form.multi_items():
        if isinstance(value, str):
            body.append((key, value))
        else:
            data = await value.read()
            api_request.files[key] = data
            body.append((key, decode_bytes(data)))
    return body


async def _read_limited(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it exceeds ``limit``; b"" if the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    try:
        return cookie_parser(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header counts as no cookies
        return {}


async def send_response(send: Send, result: ApiResponse) -> None:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in result.headers]
    headers.append((b"content-length", str(len(result.body)).encode()))
    await send({"type": "http.response.start", "status": result.status, "headers": headers})
    await send({"type": "http.response.body", "body": result.body})


class AnyMethod:
    """An ASGI endpoint Starlette routes for every HTTP method (a plain function gets GET only)."""

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = request_response(handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class ApiEndpoint:
    """``<script_path>/api.php`` as a bare ASGI app in front of Starlette.

    Every request of the Action API comes here, so it skips Starlette's middleware stack,
    router and Request/Response objects; any other path (index.php, api.php/…, lifespan) goes
    on to the Starlette app. Fast modules run inline on the event loop (and may share the
    loop's group commit, wikipost/db/commitgroup.py); modules that declare ``blocking`` run in
    a worker thread.

    The ``observer`` (wikipost/ops) gives every HTTP request, this path's and the others', its
    request id, access line and count.
    """

    def __init__(
        self,
        api: ApiMain,
        path: str,
        max_body: int,
        fallback: Starlette,
        observer: RequestObserver | None = None,
    ) -> None:
        self.api = api
        self.path = path
        self.max_body = max_body
        self.fallback = fallback
        self.state = fallback.state
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            if self.observer is not None and scope["type"] == "http":
                await self.observer.around(scope, receive, send, self.fallback)
            else:
                await self.fallback(scope, receive, send)
            return
        started = time.perf_counter()
        parsed = await read_api_request(scope, receive, self.max_body)
        cookies = _cookies(parsed.headers)
        if self.api.is_blocking(parsed):
            result = await run_in_threadpool(self.api.handle, parsed, cookies)
        else:
            result = await self.api.handle_async(parsed, cookies)
        if self.observer is not None:
            self.observer.api(scope, parsed, result, started)
        await send_response(send, result)


def build_app(
    wiki: Wiki,
    registry: Registry | None = None,
    *,
    run_worker: bool = False,
    log_handler: logging.StreamHandler[TextIO] | None = None,
) -> ApiEndpoint:
    """The ASGI app. ``run_worker`` starts the in-process background worker (``serve`` does);
    ``log_handler`` is where access lines go (wikipost/ops/logs.py; ``serve`` gives its own)."""
    registry = registry or build_registry()
    api = ApiMain(wiki, registry)
    max_body = wiki.settings.site.max_body_bytes

    async def moved(request: Request) -> Response:
        """``api.php/anything``: MediaWiki redirects to api.php itself."""
        target = f"{wiki.settings.site.script_path}/api.php"
        if request.url.query:
            target += "?" + request.url.query
        return PlainTextResponse(
            f"Moved permanently to {target}\n", status_code=301, headers={"Location": target}
        )

    script = wiki.settings.site.script_path
    ops = build_ops(wiki, registry.names("action"), log_handler)
    # Every method reaches ApiMain (ApiEndpoint): OPTIONS is CORS only, others than
    # GET/HEAD/POST get MediaWiki's invalidmethod error (HTTP 405) in the API's own envelope.
    routes: list[BaseRoute] = [Route(f"{script}/api.php/{{rest:path}}", AnyMethod(moved), methods=None)]
    routes += ops.routes  # /healthz, /readyz, /metrics at the server's root
    from wikipost.web import index_routes

    routes += index_routes(wiki)
    routes.append(openapi_route(registry, wiki.settings.site))  # <script_path>/openapi.json

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if run_worker:
            wiki.db.defer_checkpoints()
            attach_heartbeat(wiki.background(), wiki)
            wiki.background().start()
        try:
            yield
        finally:
            if wiki.worker is not None:
                wiki.worker.stop()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.wiki = wiki
    app.state.api = api
    return ApiEndpoint(api, f"{script}/api.php", max_body, app, ops.observer)
