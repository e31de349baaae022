"""list=categorymembers: pages in a category (ApiQueryCategoryMembers, pages.md §7)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, case, or_, select

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.listing import badcontinue
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601, mw_timestamp
from wikipost.db.schema.pages import categorylinks, pages
from wikipost.namespaces import CATEGORY
from wikipost.services.titles import InvalidTitle, Title

TYPES = ("page", "subcat", "file")


class QueryCategoryMembers(QueryModule):
    name = "categorymembers"
    group = "list"
    prefix = "cm"
    generator = True
    classname = "ApiQueryCategoryMembers"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Categorymembers",)
    description = "List all pages in a given category."
    params = (
        Param("title", "string"),
        Param("pageid", "integer"),
        Param(
            "prop",
            ("ids", "title", "sortkey", "sortkeyprefix", "type", "timestamp"),
            multi=True,
            default="ids|title",
        ),
        Param("namespace", "namespace", multi=True),
        Param("type", TYPES, multi=True, default="page|subcat|file"),
        Param("continue", "string"),
        Param("limit", "limit", default=10, min=1, max=500, highmax=5000),
        Param("sort", ("sortkey", "timestamp"), default="sortkey"),
        Param("dir", ("asc", "desc", "ascending", "descending", "newer", "older"), default="ascending"),
        Param("start", "timestamp"),
        Param("end", "timestamp"),
        Param("starthexsortkey", "string"),
        Param("endhexsortkey", "string"),
        Param("startsortkeyprefix", "string"),
        Param("endsortkeyprefix", "string"),
    )

    def category(self, ctx: ApiContext, conn: Connection, params: dict[str, Any]) -> Title:
        if params["title"] is None and params["pageid"] is None:
            raise ApiError("missingparam", 'One of the parameters "cmtitle" and "cmpageid" is required.')
        if params["title"] is not None and params["pageid"] is not None:
            raise ApiError(
                "invalidparammix", 'The parameters "cmtitle" and "cmpageid" can not be used together.'
            )
        if params["pageid"] is not None:
            page = ctx.wiki.pages.get_page_by_id(conn, params["pageid"])
            if page is None:
                raise ApiError("nosuchpageid", f"There is no page with ID {params['pageid']}.")
            title = page.title
        else:
            try:
                title = ctx.wiki.titles.parse(params["title"])
            except InvalidTitle:
                raise ApiError("invalidtitle", f'Bad title "{params["title"]}".') from None
        if title.namespace != CATEGORY:
            raise ApiError("invalidcategory", "The category name you entered is not valid.")
        return title

    def rows(self, ctx: ApiContext, conn: Connection, params: dict[str, Any]) -> list[Any]:
        title = self.category(ctx, conn, params)
        desc = params["dir"] in ("desc", "descending", "older")
        by_time = params["sort"] == "timestamp"
        type_rank = case({"page": 0, "subcat": 1, "file": 2}, value=categorylinks.c.type)
        q = (
            select(categorylinks, pages.c.namespace, pages.c.dbkey)
            .join(pages, pages.c.id == categorylinks.c.page_id)
            .where(categorylinks.c.category == title.dbkey, categorylinks.c.type.in_(params["type"] or TYPES))
        )
        if params["namespace"]:
            q = q.where(pages.c.namespace.in_([int(n) for n in params["namespace"]]))
        if params["continue"]:
            q = q.where(self._continue_clause(params["continue"], by_time, desc, type_rank))
        keys = (
            [categorylinks.c.timestamp, categorylinks.c.page_id]
            if by_time
            else [type_rank, categorylinks.c.sortkey, categorylinks.c.page_id]
        )
        q = q.order_by(*[k.desc() if desc else k.asc() for k in keys])
        return list(conn.execute(q.limit(params["limit"] + 1)))

    @staticmethod
    def _continue_clause(value: str, by_time: bool, desc: bool, type_rank: Any) -> Any:
        parts = value.split("|")
        try:
            if by_time:
                from wikipost.clock import parse_iso8601

                stamp = parse_iso8601(parts[0])
                pid = int(parts[1])
                if stamp is None or len(parts) != 2:
                    raise ValueError
                ts = int(stamp)
                if desc:
                    return or_(
                        categorylinks.c.timestamp < ts,
                        and_(categorylinks.c.timestamp == ts, categorylinks.c.page_id <= pid),
                    )
                return or_(
                    categorylinks.c.timestamp > ts,
                    and_(categorylinks.c.timestamp == ts, categorylinks.c.page_id >= pid),
                )
            kind, hexkey, pid_text = parts
            rank = TYPES.index(kind)
            key = bytes.fromhex(hexkey)
            pid = int(pid_text)
        except (ValueError, IndexError):
            raise badcontinue() from None
        if desc:
            return or_(
                type_rank < rank,
                and_(
                    type_rank == rank,
                    or_(
                        categorylinks.c.sortkey < key,
                        and_(categorylinks.c.sortkey == key, categorylinks.c.page_id <= pid),
                    ),
                ),
            )
        return or_(
            type_rank > rank,
            and_(
                type_rank == rank,
                or_(
                    categorylinks.c.sortkey > key,
                    and_(categorylinks.c.sortkey == key, categorylinks.c.page_id >= pid),
                ),
            ),
        )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        props = set(params["prop"] or [])
        if ctx.request.get("cmlimit") == "max":
            ctx.result.setdefault("limits", {})["categorymembers"] = params["limit"]
        with ctx.wiki.db.read() as conn:
            rows = self.rows(ctx, conn, params)
        limit = params["limit"]
        if len(rows) > limit:
            nxt = rows[limit]
            token = (
                f"{mw_timestamp(nxt.timestamp)}|{nxt.page_id}"
                if params["sort"] == "timestamp"
                else f"{nxt.type}|{bytes(nxt.sortkey).hex()}|{nxt.page_id}"
            )
            ctx.result["continue"] = {"cmcontinue": token, "continue": "-||"}
            rows = rows[:limit]
        out = []
        for r in rows:
            e: dict[str, Any] = {}
            if "ids" in props:
                e["pageid"] = r.page_id
            if "title" in props:
                t = ctx.wiki.titles.make(r.namespace, r.dbkey)
                e["ns"] = r.namespace
                e["title"] = t.prefixed_text
            if "sortkey" in props:
                e["sortkey"] = bytes(r.sortkey).hex()
            if "sortkeyprefix" in props:
                e["sortkeyprefix"] = r.sortkey_prefix
            if "type" in props:
                e["type"] = r.type
            if "timestamp" in props:
                e["timestamp"] = iso8601(r.timestamp)
            out.append(e)
        query_result(ctx)["categorymembers"] = ResultList(out, "cm")

    @classmethod
    def generate(cls, ctx: ApiContext, conn: Connection) -> list[Title]:
        from wikipost.api.params import validate_param

        params = {p.name: validate_param(p, "g" + cls.prefix, ctx) for p in cls.params}
        return [
            ctx.wiki.titles.make(r.namespace, r.dbkey)
            for r in cls().rows(ctx, conn, params)[: params["limit"]]
        ]
