"""The ASGI app: /w/api.php and /w/index.php over one Wiki."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, request_response
from starlette.types import Receive, Scope, Send

from wikipost.api.main import ApiMain, ApiResponse
from wikipost.api.registry import Registry, build_registry
from wikipost.api.request import ApiRequest, decode_bytes, merge_params, parse_urlencoded
from wikipost.wiki import Wiki

PARSEABLE_BODIES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_api_request(request: Request, max_body: int) -> ApiRequest:
    """Turn an HTTP request into an ApiRequest; never raises on bad input.

    Bodies are read only for POST with a form content type, up to ``max_body`` bytes (a larger
    body is flagged and ApiMain refuses it). Invalid UTF-8 is kept as lone surrogates so that
    ``merge_params`` can replace it and warn ``badutf8`` as MediaWiki does.
    """
    headers = {k.lower(): v for k, v in request.headers.items()}
    client = request.client.host if request.client else "127.0.0.1"
    api_request = ApiRequest(
        method=request.method.upper(),
        values={},
        query_keys=set(),
        headers=headers,
        client_ip=client,
        scheme=request.url.scheme,
    )
    query = parse_urlencoded(request.scope.get("query_string", b""))
    body: list[tuple[str, str]] = []
    if api_request.method == "POST":
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > max_body:
            api_request.body_too_large = True
        elif not ctype:
            api_request.post_without_content_type = True
        elif ctype in PARSEABLE_BODIES:
            raw = await _read_limited(request, max_body)
            if raw is None:
                api_request.body_too_large = True
            elif ctype == "application/x-www-form-urlencoded":
                body = parse_urlencoded(raw)
            else:
                body = await _multipart(request, raw, max_body, api_request)
    merge_params(query, body, api_request)
    return api_request


async def _multipart(
    request: Request, raw: bytes, max_body: int, api_request: ApiRequest
) -> list[tuple[str, str]]:
    """Fields of a multipart body already read into ``raw``; a malformed body has none."""
    request._body = raw  # Request.form() then parses these bytes instead of the stream
    try:
        form = await request.form(max_files=1000, max_fields=10000, max_part_size=max_body)
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


async def _read_limited(request: Request, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return b""
    return b"".join(chunks)


class AnyMethod:
    """An ASGI endpoint Starlette routes for every HTTP method (a plain function gets GET only)."""

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = request_response(handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _cookies(request: Request) -> dict[str, str]:
    try:
        return dict(request.cookies)
    except Exception:  # a malformed Cookie header counts as no cookies
        return {}


def to_response(result: ApiResponse) -> Response:
    response = Response(result.body, status_code=result.status)
    for name, value in result.headers:
        if name.lower() == "content-type":
            response.headers["content-type"] = value
        else:
            response.headers.append(name, value)
    return response


def build_app(wiki: Wiki, registry: Registry | None = None, *, run_worker: bool = False) -> Starlette:
    """The ASGI app. ``run_worker`` starts the in-process background worker (``serve`` does)."""
    registry = registry or build_registry()
    api = ApiMain(wiki, registry)
    max_body = wiki.settings.site.max_body_bytes

    async def api_php(request: Request) -> Response:
        if request.path_params.get("rest"):
            target = f"{wiki.settings.site.script_path}/api.php"
            if request.url.query:
                target += "?" + request.url.query
            return PlainTextResponse(
                f"Moved permanently to {target}\n", status_code=301, headers={"Location": target}
            )
        parsed = await read_api_request(request, max_body)
        if api.is_blocking(parsed):
            result = await run_in_threadpool(api.handle, parsed, _cookies(request))
        else:
            result = api.handle(parsed, _cookies(request))
        return to_response(result)

    script = wiki.settings.site.script_path
    # Every method reaches ApiMain: OPTIONS is CORS only, others than GET/HEAD/POST get
    # MediaWiki's invalidmethod error (HTTP 405) in the API's own envelope.
    endpoint = AnyMethod(api_php)
    routes = [
        Route(f"{script}/api.php", endpoint, methods=None),
        Route(f"{script}/api.php/{{rest:path}}", endpoint, methods=None),
    ]
    from wikipost.web import index_routes

    routes += index_routes(wiki)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if run_worker:
            wiki.background().start()
        try:
            yield
        finally:
            if wiki.worker is not None:
                wiki.worker.stop()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.wiki = wiki
    app.state.api = api
    return app
