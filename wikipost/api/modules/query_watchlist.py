"""list=watchlist: recent changes to the pages on a watchlist (ApiQueryWatchlist, 1.39).

Recent changes of watched pages and their talk pages, newest first; without ``wlallrev`` only
each page's latest revision (and every log action). The owner rules are list=watchlistraw's.
No notification timestamps are kept (services/watchlist.py): ``notificationtimestamp`` is
always empty, ``wlshow=unread`` finds nothing and ``!unread`` everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, and_, or_, select

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.listing import page_rows, parsed_comment, time_window
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.modules.query_recentchanges import add_loginfo_and_tags
from wikipost.api.modules.query_watchlistraw import watchlist_owner
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601
from wikipost.db.schema.pages import pages, recentchanges
from wikipost.db.schema.pages import watchlist as watchlist_table
from wikipost.services.titles import Title
from wikipost.services.watchlist import watched_join_condition

PROPS = (
    "ids",
    "title",
    "flags",
    "user",
    "userid",
    "comment",
    "parsedcomment",
    "timestamp",
    "patrol",
    "sizes",
    "notificationtimestamp",
    "loginfo",
    "tags",
)
SHOW = (
    "minor",
    "!minor",
    "bot",
    "!bot",
    "anon",
    "!anon",
    "patrolled",
    "!patrolled",
    "autopatrolled",
    "!autopatrolled",
    "unread",
    "!unread",
)
PATROL_FLAG_TEXT = "You need the patrol or patrolmarks right to request the patrolled flag."


class QueryWatchlist(QueryModule):
    name = "watchlist"
    group = "list"
    prefix = "wl"
    generator = True
    classname = "ApiQueryWatchlist"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Watchlist",)
    description = "Get recent changes to pages in the current user's watchlist."
    params = (
        Param("allrev", "boolean"),
        Param("start", "timestamp"),
        Param("end", "timestamp"),
        Param("namespace", "namespace", multi=True),
        Param("user", "user"),
        Param("excludeuser", "user"),
        Param("dir", ("newer", "older"), default="older"),
        Param("limit", "limit", default=10, min=1, max=500, highmax=5000),
        Param("prop", PROPS, multi=True, default="ids|title|flags"),
        Param("show", SHOW, multi=True),
        Param(
            "type",
            ("edit", "new", "log", "external", "categorize"),
            multi=True,
            default="edit|new|log|categorize",
        ),
        Param("owner", "user"),
        Param("token", "string", sensitive=True),
        Param("continue", "string"),
    )
    examples = (
        (
            "action=query&list=watchlist",
            "List the top revision for recently changed pages on the watchlist of the current user.",
        ),
        (
            "action=query&list=watchlist&wlallrev=&wlprop=ids|title|timestamp|user|comment",
            "Fetch information about all recent changes to pages on the current user's watchlist.",
        ),
    )

    def query(self, ctx: ApiContext, params: dict[str, Any]) -> Select[Any]:
        """The watched changes ``params`` ask for, in order, one row past the limit."""
        user_id = watchlist_owner(ctx, params["owner"], params["token"])
        props = set(params["prop"] or [])
        show = set(params["show"] or [])
        patrol_right = ctx.actor.has_right("patrol") or ctx.actor.has_right("patrolmarks")
        if "patrol" in props and not patrol_right:
            raise ApiError("patrol", PATROL_FLAG_TEXT)
        for flag in show:
            if flag.startswith("!") and flag[1:] in show:
                raise ApiError("show", "Incorrect parameter - mutually exclusive values may not be supplied.")
        if show & {"patrolled", "!patrolled", "autopatrolled", "!autopatrolled"} and not patrol_right:
            raise ApiError("patrol", PATROL_FLAG_TEXT)
        rc = recentchanges
        q = (
            select(rc)
            .join(watchlist_table, watched_join_condition(rc.c.namespace, rc.c.dbkey))
            .where(watchlist_table.c.user_id == user_id, rc.c.type.in_(params["type"] or []))
        )
        if not params["allrev"]:
            q = q.outerjoin(pages, pages.c.id == rc.c.page_id).where(
                or_(rc.c.rev_id == pages.c.latest_rev_id, rc.c.type == "log")
            )
        if params["namespace"]:
            q = q.where(rc.c.namespace.in_([int(n) for n in params["namespace"]]))
        if params["user"]:
            q = q.where(rc.c.user_name == params["user"])
        if params["excludeuser"]:
            q = q.where(rc.c.user_name != params["excludeuser"])
        conditions = {
            "minor": rc.c.minor.is_(True),
            "!minor": rc.c.minor.is_(False),
            "bot": rc.c.bot.is_(True),
            "!bot": rc.c.bot.is_(False),
            "anon": rc.c.user_id == 0,
            "!anon": rc.c.user_id != 0,
            "patrolled": rc.c.patrolled != 0,
            "!patrolled": rc.c.patrolled == 0,
            "autopatrolled": rc.c.patrolled == 2,
            "!autopatrolled": rc.c.patrolled != 2,
            "unread": and_(rc.c.id.is_(None)),  # nothing is unread: no notification timestamps
        }
        for flag in show:
            if flag in conditions:
                q = q.where(conditions[flag])
        return time_window(q, rc.c.timestamp, rc.c.id, params, "wl")

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        props = set(params["prop"] or [])
        q = self.query(ctx, params)
        with ctx.wiki.db.read() as conn:
            rows = page_rows(ctx, conn, q, params["limit"], "wl")
            out = [self._entry(ctx, conn, r, props) for r in rows]
        query_result(ctx)["watchlist"] = ResultList(out, "item")

    def _entry(self, ctx: ApiContext, conn: Connection, r: Any, props: set[str]) -> dict[str, Any]:
        title = ctx.wiki.titles.make(r.namespace, r.dbkey)
        e: dict[str, Any] = {"type": r.type}
        if "title" in props:
            e["ns"] = r.namespace
            e["title"] = title.prefixed_text
        if "ids" in props:
            e.update({"pageid": r.page_id, "revid": r.rev_id, "old_revid": r.old_rev_id})
        if "userid" in props:
            e["userid"] = r.user_id
            e["user"] = r.user_id  # 1.39 sets it too, "for backwards compatibility"
        if "user" in props:
            e["user"] = r.user_name
        if ("user" in props or "userid" in props) and r.user_id == 0:
            e["anon"] = True
        if "flags" in props:
            e["bot"] = bool(r.bot)
            e["new"] = r.type == "new"
            e["minor"] = bool(r.minor)
        if "sizes" in props:
            e["oldlen"] = r.old_len or 0
            e["newlen"] = r.new_len or 0
        if "timestamp" in props:
            e["timestamp"] = iso8601(r.timestamp)
        if "notificationtimestamp" in props:
            e["notificationtimestamp"] = ""
        if "comment" in props:
            e["comment"] = r.comment
        if "parsedcomment" in props:
            e["parsedcomment"] = parsed_comment(ctx, conn, r.comment, title)
        if "patrol" in props:
            e["patrolled"] = r.patrolled != 0
            e["unpatrolled"] = r.patrolled == 0
            e["autopatrolled"] = r.patrolled == 2
        add_loginfo_and_tags(e, r, props)
        return e

    @classmethod
    def generate(cls, ctx: ApiContext, conn: Connection) -> list[Title]:
        from wikipost.api.params import validate_param

        params = {p.name: validate_param(p, "g" + cls.prefix, ctx) for p in cls.params}
        rows = list(conn.execute(cls().query(ctx, params)))[: params["limit"]]
        return list(dict.fromkeys(ctx.wiki.titles.make(r.namespace, r.dbkey) for r in rows))
