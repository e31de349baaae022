"""``/w/index.php``: title → special page, page view, history or raw text (MediaWiki's index.php).

Also the short forms people type: ``/w/index.php/Title``, ``/wiki/Title``, and ``/`` (the Main
Page). Every request loads the same session as api.php from the same cookies, so a web login is
an API login and the other way round. Pages run in a worker thread (the services are
synchronous); the frame, the session cookie and the security headers are added here, once.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from wikipost.api.request import parse_urlencoded
from wikipost.namespaces import SPECIAL
from wikipost.services.titles import InvalidTitle, Title
from wikipost.web.context import PageContext, clean_pairs
from wikipost.web.skin import SECURITY_HEADERS, Skin
from wikipost.web.special import PageOutput, message_page
from wikipost.web.specials import SpecialPages, build_special_pages
from wikipost.web.views import page_action
from wikipost.wiki import Wiki

log = logging.getLogger("wikipost.web")
MAIN_PAGE = "Main Page"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class WebIndex:
    def __init__(self, wiki: Wiki, specials: SpecialPages | None = None) -> None:
        self.wiki = wiki
        self.skin = Skin()
        self.specials = specials or build_special_pages()

    async def __call__(self, request: Request) -> Response:
        raw = await self.read(request)
        try:
            cookies = dict(request.cookies)
        except Exception:  # noqa: BLE001 - a malformed Cookie header counts as no cookies
            cookies = {}
        return await run_in_threadpool(self.handle, raw, cookies, request.path_params.get("title"))

    async def read(self, request: Request) -> dict[str, Any]:
        """The request's parameters (body only for a form POST, within the size limit)."""
        limit = self.wiki.settings.site.max_body_bytes
        query = clean_pairs(parse_urlencoded(request.url.query.encode("latin-1", "replace")))
        form: dict[str, list[str]] = {}
        too_large = False
        method = request.method.upper()
        if method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                too_large = True
            elif ctype == FORM_TYPES[0]:
                body = bytearray()  # grows in place: no copy of the whole body per chunk
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > limit:
                        too_large = True
                        break
                form = {} if too_large else clean_pairs(parse_urlencoded(bytes(body)))
            elif ctype == FORM_TYPES[1]:
                try:
                    data = await request.form(max_fields=1000, max_part_size=limit)
                    form = clean_pairs([(k, v) for k, v in data.multi_items() if isinstance(v, str)])
                except Exception:  # noqa: BLE001 - a malformed body is an empty form
                    form = {}
        client = request.client
        return {
            "method": method if method in ("GET", "HEAD", "POST") else "GET",
            "query": query,
            "form": form,
            "client_ip": client.host if client else "127.0.0.1",
            "scheme": request.url.scheme,
            "body_too_large": too_large,
        }

    def handle(self, raw: dict[str, Any], cookies: dict[str, str], path_title: str | None) -> Response:
        wiki = self.wiki
        session = wiki.sessions.load(cookies)
        actor = wiki.users.actor_for_session(session, raw["client_ip"])
        ctx = PageContext(wiki=wiki, session=session, actor=actor, **raw)
        try:
            title_text = path_title if path_title is not None else ctx.param("title", "") or MAIN_PAGE
            try:
                title = wiki.titles.parse(title_text)
            except InvalidTitle as err:
                title = wiki.titles.make(SPECIAL, "Badtitle")
                return self.finish(
                    ctx, title, message_page("Bad title", err.reason, status=400, kind="error")
                )
            if title.is_external:
                return self.finish(
                    ctx,
                    title,
                    message_page(
                        "Bad title", "Interwiki links are not local pages.", status=400, kind="error"
                    ),
                )
            if ctx.body_too_large:
                return self.finish(
                    ctx,
                    title,
                    message_page(
                        "Request too large",
                        "The submitted form is larger than this wiki accepts.",
                        status=413,
                        kind="error",
                    ),
                )
            if title.namespace == SPECIAL:
                return self.special(ctx, title)
            output = page_action(ctx, title, self.skin)
            if isinstance(output, Response):
                return self.finish_raw(ctx, output)
            return self.finish(ctx, title, output)
        except Exception:  # noqa: BLE001 - a page bug is logged and shown as MediaWiki shows it
            error_id = secrets.token_hex(12)
            log.exception("[%s] internal error on index.php", error_id)
            title = wiki.titles.make(SPECIAL, "Error")
            text = f"[{error_id}] Internal error. The wiki logged the details under this id."
            return self.finish(ctx, title, message_page("Internal error", text, status=500, kind="error"))

    def special(self, ctx: PageContext, title: Title) -> Response:
        name, _, sub = title.dbkey.partition("/")
        page = self.specials.find(name)
        if page is None:
            text = "You have requested an invalid special page."
            return self.finish(
                ctx, title, message_page("No such special page", text, status=404, kind="error")
            )
        canonical = self.wiki.titles.make(SPECIAL, page.name + (f"/{sub}" if sub else ""))
        if page.login_required and ctx.actor.is_anon:
            login = ctx.url("Special:UserLogin", returnto=canonical.prefixed_dbkey)
            text = "Please log in to use this page."
            out = message_page("Login required", text, status=401, kind="error", links={"Log in": login})
            return self.finish(ctx, canonical, out)
        if page.restriction and not ctx.actor.has_right(page.restriction):
            text = "You do not have permission to use this page."
            out = message_page("Permission error", text, status=403, kind="error")
            return self.finish(ctx, canonical, out)
        output = page.execute(ctx, sub.replace("_", " "))
        if isinstance(output, Response):
            return self.finish_raw(ctx, output)
        return self.finish(ctx, canonical, output)

    def finish(self, ctx: PageContext, title: Title, output: PageOutput) -> Response:
        response = self.skin.render(ctx, title, output)
        return self.finish_raw(ctx, response)

    def finish_raw(self, ctx: PageContext, response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        for cookie in self.wiki.sessions.save(ctx.session, secure=ctx.scheme == "https"):
            response.headers.append("set-cookie", cookie)
        return response


def index_routes(wiki: Wiki) -> list[BaseRoute]:
    index = WebIndex(wiki)
    script = wiki.settings.site.script_path

    async def endpoint(request: Request) -> Response:
        return await index(request)

    async def root(request: Request) -> Response:
        return RedirectResponse(f"{script}/index.php/{quote(MAIN_PAGE.replace(' ', '_'))}", status_code=301)

    async def short_url(request: Request) -> Response:
        return await index(request)

    static = Path(__file__).with_name("static")
    return [
        Route("/", root, methods=["GET", "HEAD"]),
        Route(f"{script}/index.php", endpoint, methods=["GET", "HEAD", "POST"]),
        Route(f"{script}/index.php/{{title:path}}", endpoint, methods=["GET", "HEAD", "POST"]),
        Route("/wiki/{title:path}", short_url, methods=["GET", "HEAD", "POST"]),
        Mount(f"{script}/static/jquery", app=StaticFiles(directory=jquery_dir()), name="jquery"),
        Mount(f"{script}/static", app=StaticFiles(directory=static), name="static"),
    ]


def jquery_dir() -> str:
    """jQuery from its PyPI package (XStatic-jQuery), served by us: never a CDN."""
    import xstatic.pkg.jquery as jquery

    return str(jquery.BASE_DIR)
