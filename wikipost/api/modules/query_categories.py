"""prop=categories: the categories pages are in (ApiQueryCategories)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import QueryModule
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601
from wikipost.namespaces import CATEGORY
from wikipost.services.pageset import resolved_pages


class QueryCategories(QueryModule):
    name = "categories"
    group = "prop"
    prefix = "cl"
    classname = "ApiQueryCategories"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Categories",)
    description = "List all categories the pages belong to."
    params = (
        Param("prop", ("sortkey", "timestamp", "hidden"), multi=True),
        Param("show", ("hidden", "!hidden"), multi=True),
        Param("limit", "limit", default=10, min=1, max=500, highmax=5000),
        Param("continue", "string"),
        Param("categories", "string", multi=True),
        Param("dir", ("ascending", "descending"), default="ascending"),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        resolved = resolved_pages(ctx)
        props = set(params["prop"] or [])
        wanted = None
        if params["categories"]:
            wanted = {
                t.dbkey
                for t in (ctx.wiki.titles.try_parse(c) for c in params["categories"])
                if t is not None and t.namespace == CATEGORY
            }
        with ctx.wiki.db.read() as conn:
            for page in resolved.existing:
                rows = ctx.wiki.pages.page_categories(conn, page.id)
                if params["dir"] == "descending":
                    rows.reverse()
                items = []
                for r in rows:
                    if wanted is not None and r.category not in wanted:
                        continue
                    e: dict[str, Any] = {
                        "ns": CATEGORY,
                        "title": ctx.wiki.titles.make(CATEGORY, r.category).prefixed_text,
                    }
                    if "sortkey" in props:
                        e["sortkey"] = bytes(r.sortkey).hex()
                        e["sortkeyprefix"] = r.sortkey_prefix
                    if "timestamp" in props:
                        e["timestamp"] = iso8601(r.timestamp)
                    if "hidden" in props:
                        e["hidden"] = False
                    items.append(e)
                if items:
                    resolved.entries[page.id]["categories"] = ResultList(items, "cl")
