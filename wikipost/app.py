"""The ASGI app: /w/api.php and /w/index.php over one Wiki."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from wikipost.api.main import ApiMain, ApiResponse
from wikipost.api.registry import Registry, build_registry
from wikipost.api.request import ApiRequest, merge_params
from wikipost.wiki import Wiki

PARSEABLE_BODIES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_api_request(request: Request, max_body: int) -> ApiRequest | Response:
    """Turn an HTTP request into an ApiRequest, or answer at once (too large, unparseable)."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    client = request.client.host if request.client else "127.0.0.1"
    api_request = ApiRequest(
        method=request.method.upper(), values={}, query_keys=set(), headers=headers,
        client_ip=client, scheme=request.url.scheme,
    )
    query = parse_qsl(request.url.query, keep_blank_values=True)
    body: list[tuple[str, str]] = []
    if api_request.method == "POST":
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > max_body:
            return PlainTextResponse("Request body too large\n", status_code=413)
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            raw = await _read_limited(request, max_body)
            if raw is None:
                return PlainTextResponse("Request body too large\n", status_code=413)
            body = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        elif ctype == "multipart/form-data":
            form = await request.form(max_part_size=max_body)
            for key, value in form.multi_items():
                if isinstance(value, str):
                    body.append((key, value))
                else:
                    data = await value.read()
                    api_request.files[key] = data
                    body.append((key, data.decode("utf-8", "replace")))
    merge_params(query, body, api_request)
    return api_request


async def _read_limited(request: Request, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


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
            return RedirectResponse(target, status_code=301)
        parsed = await read_api_request(request, max_body)
        if isinstance(parsed, Response):
            return parsed
        result = await run_in_threadpool(api.handle, parsed, dict(request.cookies))
        return to_response(result)

    script = wiki.settings.site.script_path
    methods = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"]
    routes = [
        Route(f"{script}/api.php", api_php, methods=methods),
        Route(f"{script}/api.php/{{rest:path}}", api_php, methods=methods),
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
