"""list=logevents: log entries (ApiQueryLogEvents, pages.md §8.1)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.listing import page_rows, parsed_comment, time_window
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601
from wikipost.db.schema.pages import logging
from wikipost.services.logs import LOG_TYPES, LogFilter, log_query
from wikipost.services.logs import decode_params as log_params

__all__ = ["QueryLogEvents", "log_params", "params_for_output"]


def params_for_output(params: dict[str, Any]) -> dict[str, Any]:
    """None means "no value": false in fv2, absent in fv1 (oldmodel of contentmodel/new)."""
    return {k: (False if v is None else v) for k, v in params.items()}


class QueryLogEvents(QueryModule):
    name = "logevents"
    group = "list"
    prefix = "le"
    classname = "ApiQueryLogEvents"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Logevents",)
    description = "Get events from logs."
    params = (
        Param(
            "prop",
            (
                "ids",
                "title",
                "type",
                "user",
                "userid",
                "timestamp",
                "comment",
                "parsedcomment",
                "details",
                "tags",
            ),
            multi=True,
            default="ids|title|type|user|timestamp|comment|details",
        ),
        Param("type", LOG_TYPES),
        Param("action", "string"),
        Param("start", "timestamp"),
        Param("end", "timestamp"),
        Param("dir", ("newer", "older"), default="older"),
        Param("user", "user"),
        Param("title", "string"),
        Param("namespace", "namespace"),
        Param("prefix", "string"),
        Param("tag", "string"),
        Param("limit", "limit", default=10, min=1, max=500, highmax=5000),
        Param("continue", "string"),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        props = set(params["prop"] or [])
        title = None
        if params["title"]:
            title = ctx.wiki.titles.try_parse(params["title"])
            if title is None:
                raise ApiError("invalidtitle", f'Bad title "{params["title"]}".')
        q = log_query(
            LogFilter(
                type=params["type"] or None,
                action=params["action"] or None,
                user=params["user"] or None,
                title=title,
                namespace=None if params["namespace"] is None else int(params["namespace"]),
                tag=params["tag"] or None,
            )
        )
        q = time_window(q, logging.c.timestamp, logging.c.id, params, "le")
        with ctx.wiki.db.read() as conn:
            rows = page_rows(ctx, conn, q, params["limit"], "le")
            out = [self._entry(ctx, conn, r, props) for r in rows]
        query_result(ctx)["logevents"] = ResultList(out, "item")

    def _entry(self, ctx: ApiContext, conn: Any, r: Any, props: set[str]) -> dict[str, Any]:
        e: dict[str, Any] = {}
        title = ctx.wiki.titles.make(r.namespace, r.dbkey)
        if "ids" in props:
            e["logid"] = r.id
        if "title" in props:
            e["ns"] = r.namespace
            e["title"] = title.prefixed_text
        if "ids" in props:
            e["pageid"] = r.current_page or 0
            e["logpage"] = r.page_id
        if "details" in props:
            e["params"] = params_for_output(log_params(r.params))
        if "type" in props:
            e["type"] = r.type
            e["action"] = r.action
        if "user" in props:
            e["user"] = r.user_name
            if r.user_id == 0:
                e["anon"] = True
        if "userid" in props:
            e["userid"] = r.user_id
        if "timestamp" in props:
            e["timestamp"] = iso8601(r.timestamp)
        if "comment" in props:
            e["comment"] = r.comment
        if "parsedcomment" in props:
            e["parsedcomment"] = parsed_comment(ctx, conn, r.comment, title)
        if "tags" in props:
            e["tags"] = ResultList([t for t in r.tags.split("|") if t], "tag")
        return e
