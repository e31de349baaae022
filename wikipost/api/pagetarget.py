"""The page an admin action names by ``title`` or ``pageid`` (action=delete, action=protect)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from wikipost.api.errors import ApiError
from wikipost.services.pages import PageRecord
from wikipost.services.titles import InvalidTitle, Title
from wikipost.wiki import Wiki


def page_target(wiki: Wiki, conn: Connection, p: dict[str, Any]) -> tuple[Title, PageRecord | None]:
    """The title and its page (None when it does not exist); 1.39's errors for bad input."""
    if p["pageid"] is not None:
        page = wiki.pages.get_page_by_id(conn, p["pageid"])
        if page is None:
            raise ApiError("nosuchpageid", f"There is no page with ID {p['pageid']}.")
        return page.title, page
    if p["title"] is None:
        raise ApiError("missingparam", 'One of the parameters "title" and "pageid" is required.')
    try:
        title = wiki.titles.parse(p["title"])
    except InvalidTitle:
        raise ApiError("invalidtitle", f'Bad title "{p["title"]}".') from None
    return title, wiki.pages.get_page(conn, title)
