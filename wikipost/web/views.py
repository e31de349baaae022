"""Actions on ordinary pages: view (the current text or ``oldid``), history, raw.

How a page's content is shown depends on its content model: wikitext goes through the one
renderer; code and data pages (JS, CSS, JSON) are shown as escaped source; a MassMessage
delivery list has its own view (``list_view``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.responses import Response

from wikipost.services import notices
from wikipost.services.content import MASSMESSAGE_LIST
from wikipost.services.pages import PageRecord
from wikipost.services.titles import Title
from wikipost.web.context import PageContext
from wikipost.web.rendering import render_wikitext
from wikipost.web.skin import Skin
from wikipost.web.special import PageOutput, message_page

RAW_TYPES = {"javascript": "text/javascript", "css": "text/css", "json": "application/json"}
CODE_MODELS = ("javascript", "css", "json", "text")

# A content model's own view: (ctx, title, page, text) → the page.
ContentView = Callable[[PageContext, Title, PageRecord, str], PageOutput]


def content_views() -> dict[str, ContentView]:
    from wikipost.web.list_view import delivery_list_view

    return {MASSMESSAGE_LIST: delivery_list_view}


def page_action(ctx: PageContext, title: Title, skin: Skin) -> PageOutput | Response:
    action = ctx.param("action", "view") or "view"
    if action in ("view", "purge"):
        return view(ctx, title)
    if action == "history":
        return history(ctx, title)
    if action == "raw":
        return raw(ctx, title)
    if action == "edit":
        text = "Pages are edited through the API (action=edit) on this wiki."
        return message_page(
            title.prefixed_text, text, status=400, kind="error", links={"Back": ctx.url(title)}
        )
    return message_page("No such action", "The action specified by the URL is not recognized.", status=400)


def view(ctx: PageContext, title: Title) -> PageOutput:
    wiki = ctx.wiki
    oldid = ctx.param("oldid")
    with wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, title)
        if page is None:
            return PageOutput(title.prefixed_text, "view.html", {"html": None}, status=404)
        if oldid.isdigit():
            revision = wiki.pages.get_revision(conn, int(oldid))
            if revision is None or revision.page_id != page.id:
                text = f'The revision #{oldid} of the page named "{title.prefixed_text}" does not exist.'
                return message_page("Error", text, status=404, kind="error")
            text = revision.text
        else:
            text = wiki.pages.get_text(conn, page)
    notices.clear_for_page_view(wiki.db, ctx.actor, title, current=not oldid.isdigit())
    own_view = content_views().get(page.content_model)
    if own_view is not None:
        return own_view(ctx, title, page, text)
    if page.content_model in CODE_MODELS:
        source = f'<pre class="mw-code mw-{page.content_model}" dir="ltr">{html.escape(text)}</pre>'
        return PageOutput(title.prefixed_text, "view.html", {"html": source})
    rendered = render_wikitext(wiki, text)
    categories = [(name.replace("_", " "), ctx.url(f"Category:{name}")) for name in rendered.categories]
    return PageOutput(title.prefixed_text, "view.html", {"html": rendered.html, "categories": categories})


def history(ctx: PageContext, title: Title) -> PageOutput:
    wiki = ctx.wiki
    with wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, title)
        revisions = wiki.pages.history(conn, page.id) if page is not None else []
    rows = [
        {
            "id": r.id,
            "when": _when(r.timestamp),
            "user_name": r.user_name,
            "minor": r.minor,
            "size": r.size,
            "comment": r.comment,
        }
        for r in revisions
    ]
    heading = f"{title.prefixed_text}: Revision history"
    return PageOutput(heading, "history.html", {"revisions": rows}, status=200 if page else 404)


def raw(ctx: PageContext, title: Title) -> Response:
    """action=raw: the page's source. Served as script or style only for pages of that content
    model, so no wiki page can be made to run as a script by asking for ``ctype``."""
    wiki = ctx.wiki
    with wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, title)
        text = wiki.pages.get_text(conn, page) if page is not None else None
    wanted = ctx.param("ctype")
    model_type = RAW_TYPES.get(page.content_model) if page is not None else None
    ctype = wanted if wanted and wanted == model_type else "text/x-wiki"
    if text is None:
        return Response("", status_code=404, media_type=ctype)
    return Response(text, media_type=ctype, headers={"Content-Disposition": "inline"})


def _when(timestamp: int) -> str:
    d = datetime.fromtimestamp(timestamp, UTC)
    return f"{d:%H:%M}, {d.day} {d:%B} {d.year}"
