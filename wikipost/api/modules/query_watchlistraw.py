"""list=watchlistraw: every page on a watchlist (ApiQueryWatchlistRaw, 1.39).

As in 1.39 the list goes to the top level of the result (``watchlistraw``), not under
``query``, ordered by namespace and title, each watched page with its talk page. Another user's
watchlist needs ``wrowner`` and that user's ``watchlisttoken`` preference as ``wrtoken``.
No notification timestamps are kept, so ``wrprop=changed`` adds nothing and ``wrshow=changed``
lists nothing (services/watchlist.py).
"""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import Connection

from wikipost.actor import Actor
from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.listing import badcontinue
from wikipost.api.module import QueryModule
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.services import watchlist
from wikipost.services.titles import Title

NOT_LOGGED_IN = "Please log in to view or edit items on your watchlist."


def watchlist_owner(ctx: ApiContext, owner: str | None, token: str | None) -> int:
    """ApiQueryBase::getWatchlistUser: the id of the user whose watchlist to read."""
    wiki = ctx.wiki
    if owner is not None and token is not None:
        user = wiki.users.get_by_name(owner)
        if user is None:
            raise ApiError("bad_wlowner", f'There is no user by the name "{owner}". Check your spelling.')
        stored = wiki.users.stored_options(user.id).get("watchlisttoken", "")
        if not stored or not hmac.compare_digest(stored, token):
            raise ApiError(
                "bad_wltoken",
                "Incorrect watchlist token provided. Please set a correct token in [[Special:Preferences]].",
            )
        return user.id
    actor: Actor = ctx.actor
    if actor.is_anon:
        raise ApiError("notloggedin", NOT_LOGGED_IN)
    if not actor.has_right("viewmywatchlist"):
        raise ApiError("permissiondenied", "You don't have permission to view your watchlist.")
    return actor.id


def title_point(ctx: ApiContext, text: str) -> tuple[int, str]:
    """A ``fromtitle``/``totitle`` value as (namespace, dbkey) (prefixedTitlePartToKey)."""
    title = ctx.wiki.titles.try_parse(text)
    if title is None:
        raise ApiError("invalidtitle", f'Bad title "{text}".')
    return title.namespace, title.dbkey


class QueryWatchlistRaw(QueryModule):
    name = "watchlistraw"
    group = "list"
    prefix = "wr"
    generator = True
    classname = "ApiQueryWatchlistRaw"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Watchlistraw",)
    description = "Get all pages on the current user's watchlist."
    params = (
        Param("continue", "string"),
        Param("namespace", "namespace", multi=True),
        Param("limit", "limit", default=10, min=1, max=500, highmax=5000),
        Param("prop", ("changed",), multi=True),
        Param("show", ("changed", "!changed"), multi=True),
        Param("owner", "user"),
        Param("token", "string", sensitive=True),
        Param("dir", ("ascending", "descending"), default="ascending"),
        Param("fromtitle", "string"),
        Param("totitle", "string"),
    )
    examples = (
        (
            "action=query&list=watchlistraw",
            "List pages on the current user's watchlist.",
        ),
        (
            "action=query&generator=watchlistraw&gwrshow=changed&prop=info",
            "Fetch page info for pages on the current user's watchlist.",
        ),
    )

    def rows(self, ctx: ApiContext, conn: Connection, params: dict[str, Any]) -> list[watchlist.RawItem]:
        user_id = watchlist_owner(ctx, params["owner"], params["token"])
        show = set(params["show"] or [])
        if "changed" in show and "!changed" in show:
            raise ApiError("show", "Incorrect parameter - mutually exclusive values may not be supplied.")
        if "changed" in show:
            return []  # no notification timestamps: nothing has changed since a visit
        start = None
        if params["continue"] is not None:
            ns_text, sep, dbkey = params["continue"].partition("|")
            if not sep or str(_int(ns_text)) != ns_text:
                raise badcontinue()
            start = (int(ns_text), dbkey)
        return watchlist.raw_items(
            conn,
            user_id,
            namespaces=[int(n) for n in params["namespace"]] if params["namespace"] else None,
            start=start,
            from_title=title_point(ctx, params["fromtitle"]) if params["fromtitle"] else None,
            to_title=title_point(ctx, params["totitle"]) if params["totitle"] else None,
            descending=params["dir"] == "descending",
            limit=params["limit"] + 1,
        )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        with ctx.wiki.db.read() as conn:
            items = self.rows(ctx, conn, params)
        limit = params["limit"]
        if len(items) > limit:
            nxt = items[limit]
            ctx.result["continue"] = {"wrcontinue": f"{nxt.namespace}|{nxt.dbkey}", "continue": "-||"}
            items = items[:limit]
        out = []
        for item in items:
            title: Title = ctx.wiki.titles.make(item.namespace, item.dbkey)
            out.append({"ns": item.namespace, "title": title.prefixed_text})
        ctx.result["watchlistraw"] = ResultList(out, "wr")

    @classmethod
    def generate(cls, ctx: ApiContext, conn: Connection) -> list[Title]:
        from wikipost.api.params import validate_param

        params = {p.name: validate_param(p, "g" + cls.prefix, ctx) for p in cls.params}
        items = cls().rows(ctx, conn, params)[: params["limit"]]
        return [ctx.wiki.titles.make(i.namespace, i.dbkey) for i in items]


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
