"""/w/index.php: the few special pages a person opens from a mail (later issues add them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from wikipost.wiki import Wiki

SpecialPage = Callable[[Wiki, Request, str], Awaitable[Response]]
SPECIAL_PAGES: dict[str, SpecialPage] = {}


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><h1>{title}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status)


def index_routes(wiki: Wiki) -> list[Route]:
    async def index_php(request: Request) -> Response:
        title = request.path_params.get("title") or request.query_params.get("title") or ""
        name, _, sub = title.partition("/")
        handler = SPECIAL_PAGES.get(name)
        if handler is None:
            return page("No such page", "<p>Wikipost serves the Action API at api.php.</p>", 404)
        return await handler(wiki, request, sub)

    from wikipost.mail.confirm_page import confirm_email

    SPECIAL_PAGES.setdefault("Special:ConfirmEmail", confirm_email)
    script = wiki.settings.site.script_path
    return [
        Route(f"{script}/index.php", index_php, methods=["GET", "POST"]),
        Route(f"{script}/index.php/{{title:path}}", index_php, methods=["GET", "POST"]),
    ]
