"""Shared by the time-ordered lists (logevents, recentchanges): the start/end window, the
``<ts>|<id>`` continuation and the one-extra-row page, as MediaWiki's ApiQueryBase does them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, or_

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.clock import mw_timestamp, parse_iso8601
from wikipost.services.comments import format_comment
from wikipost.services.titles import Title

BADCONTINUE_TEXT = (
    "Invalid continue param. You should pass the original value returned by the previous query."
)


def badcontinue() -> ApiError:
    return ApiError("badcontinue", BADCONTINUE_TEXT)


def time_window(
    q: Select[Any], ts: ColumnElement[Any], row_id: ColumnElement[Any], params: dict[str, Any], prefix: str
) -> Select[Any]:
    """Apply ``start``/``end``/``continue``/``dir``/``limit`` (one extra row to see a next page)."""
    newer = params["dir"] == "newer"
    for key, lower in (("start", newer), ("end", not newer)):
        if params[key]:
            stamp = parse_iso8601(params[key])
            if stamp is None:
                raise ApiError(
                    "badtimestamp", f'Invalid value "{params[key]}" for timestamp parameter "{prefix}{key}".'
                )
            q = q.where(ts >= stamp if lower else ts <= stamp)
    if params["continue"]:
        try:
            ts_text, id_text = params["continue"].split("|")
            stamp = parse_iso8601(ts_text)
            from_id = int(id_text)
            if stamp is None:
                raise ValueError
        except ValueError:
            raise badcontinue() from None
        at = int(stamp)
        q = q.where(
            or_(ts > at, and_(ts == at, row_id >= from_id))
            if newer
            else or_(ts < at, and_(ts == at, row_id <= from_id))
        )
    order = [ts.asc(), row_id.asc()] if newer else [ts.desc(), row_id.desc()]
    return q.order_by(*order).limit(params["limit"] + 1)


def page_rows(ctx: ApiContext, conn: Connection, q: Select[Any], limit: int, prefix: str) -> list[Any]:
    """Run ``q``; when a row beyond ``limit`` came back, set ``<prefix>continue`` from it."""
    rows = list(conn.execute(q))
    if len(rows) > limit:
        nxt = rows[limit]
        ctx.result["continue"] = {
            f"{prefix}continue": f"{mw_timestamp(nxt.timestamp)}|{nxt.id}",
            "continue": "-||",
        }
        rows = rows[:limit]
    return rows


def parsed_comment(ctx: ApiContext, conn: Connection, comment: str, title: Title) -> str:
    """An edit summary as HTML (``parsedcomment``), links coloured by whether pages exist."""
    return format_comment(
        comment,
        title,
        ctx.wiki.titles,
        ctx.wiki.settings.site.script_path,
        lambda t: ctx.wiki.pages.get_page(conn, t) is not None,
    )
