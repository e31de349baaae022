"""list=recentchanges: recent edits and log actions (ApiQueryRecentChanges, pages.md §8.2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.listing import page_rows, parsed_comment, time_window
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.modules.query_logevents import log_params, params_for_output
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601
from wikipost.db.schema.pages import change_tags, recentchanges

SHOW = (
    "minor",
    "!minor",
    "bot",
    "!bot",
    "anon",
    "!anon",
    "redirect",
    "!redirect",
    "patrolled",
    "!patrolled",
    "unpatrolled",
    "autopatrolled",
    "!autopatrolled",
)
# apierror-permissiondenied-patrolflag, as 1.39 answers it (list=watchlist says the same).
PATROL_FLAG_TEXT = "You need the patrol or patrolmarks right to request the patrolled flag."
SHOW_COLUMNS = {"minor": "minor", "bot": "bot", "redirect": "redirect"}


class QueryRecentChanges(QueryModule):
    name = "recentchanges"
    group = "list"
    prefix = "rc"
    classname = "ApiQueryRecentChanges"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:RecentChanges",)
    description = "Enumerate recent changes."
    params = (
        Param("start", "timestamp"),
        Param("end", "timestamp"),
        Param("dir", ("newer", "older"), default="older"),
        Param("namespace", "namespace", multi=True),
        Param("user", "user"),
        Param("excludeuser", "user"),
        Param("tag", "string"),
        Param(
            "prop",
            (
                "user",
                "userid",
                "comment",
                "parsedcomment",
                "flags",
                "timestamp",
                "title",
                "ids",
                "sizes",
                "redirect",
                "patrolled",
                "loginfo",
                "tags",
                "sha1",
            ),
            multi=True,
            default="title|timestamp|ids",
        ),
        Param("show", SHOW, multi=True),
        Param("limit", "limit", default=10, min=1, max=500, highmax=5000),
        Param(
            "type",
            ("edit", "new", "log", "external", "categorize"),
            multi=True,
            default="edit|new|log|categorize",
        ),
        Param("toponly", "boolean"),
        Param("title", "string"),
        Param("continue", "string"),
        Param("generaterevisions", "boolean"),
        Param("slot", ("main",)),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        props = set(params["prop"] or [])
        rc = recentchanges
        q = select(rc).where(rc.c.type.in_(params["type"] or ["edit", "new", "log"]))
        show = set(params["show"] or [])
        for flag in show:
            if flag.lstrip("!") in show and f"!{flag.lstrip('!')}" in show:
                raise ApiError("show", "Incorrect parameter - mutually exclusive values may not be supplied.")
        for flag in show:
            name = flag.lstrip("!")
            positive = not flag.startswith("!")
            if name in SHOW_COLUMNS:
                col = rc.c[SHOW_COLUMNS[name]]
                q = q.where(col.is_(True) if positive else col.is_(False))
            elif name == "anon":
                q = q.where(rc.c.user_id == 0 if positive else rc.c.user_id != 0)
        patrol_flags = {"patrolled", "unpatrolled", "autopatrolled"}
        if {flag.lstrip("!") for flag in show} & patrol_flags or "patrolled" in props:
            if not (ctx.actor.has_right("patrol") or ctx.actor.has_right("patrolmarks")):
                raise ApiError("permissiondenied", PATROL_FLAG_TEXT)
        if params["namespace"]:
            q = q.where(rc.c.namespace.in_([int(n) for n in params["namespace"]]))
        if params["user"]:
            q = q.where(rc.c.user_name == params["user"])
        if params["excludeuser"]:
            q = q.where(rc.c.user_name != params["excludeuser"])
        if params["title"]:
            title = ctx.wiki.titles.try_parse(params["title"])
            if title is None:
                raise ApiError("invalidtitle", f'Bad title "{params["title"]}".')
            q = q.where(rc.c.namespace == title.namespace, rc.c.dbkey == title.dbkey)
        if params["tag"]:
            q = q.where(rc.c.id.in_(select(change_tags.c.rc_id).where(change_tags.c.tag == params["tag"])))
        q = time_window(q, rc.c.timestamp, rc.c.id, params, "rc")
        with ctx.wiki.db.read() as conn:
            rows = page_rows(ctx, conn, q, params["limit"], "rc")
            out = [self._entry(ctx, conn, r, props) for r in rows]
        query_result(ctx)["recentchanges"] = ResultList(out, "rc")

    def _entry(self, ctx: ApiContext, conn: Any, r: Any, props: set[str]) -> dict[str, Any]:
        fv2 = ctx.formatversion == 2
        title = ctx.wiki.titles.make(r.namespace, r.dbkey)
        e: dict[str, Any] = {"type": r.type}
        if "title" in props:
            e["ns"] = r.namespace
            e["title"] = title.prefixed_text
        if "ids" in props:
            e.update({"pageid": r.page_id, "revid": r.rev_id, "old_revid": r.old_rev_id, "rcid": r.id})
        if "user" in props:
            e["user"] = r.user_name
        if "userid" in props:
            e["userid"] = r.user_id
        if ("user" in props or "userid" in props) and r.user_id == 0:
            e["anon"] = True
        if "flags" in props:
            e["bot"] = bool(r.bot)
            e["new"] = bool(r.new)
            e["minor"] = bool(r.minor)
        if "sizes" in props:
            e["oldlen"] = r.old_len if r.old_len is not None else 0
            e["newlen"] = r.new_len if r.new_len is not None else 0
        if "timestamp" in props:
            e["timestamp"] = iso8601(r.timestamp)
        if "comment" in props:
            e["comment"] = r.comment
        if "parsedcomment" in props:
            e["parsedcomment"] = parsed_comment(ctx, conn, r.comment, title)
        if "redirect" in props and (r.redirect or fv2):
            e["redirect"] = bool(r.redirect)
        if "patrolled" in props:
            e["patrolled"] = r.patrolled > 0
            e["unpatrolled"] = r.patrolled == 0
            e["autopatrolled"] = r.patrolled == 2
        add_loginfo_and_tags(e, r, props)
        if "sha1" in props and r.type != "log":
            e["sha1"] = r.sha1 or ""
        return e


def add_loginfo_and_tags(e: dict[str, Any], r: Any, props: set[str] | frozenset[str]) -> None:
    """A recent-change row's ``loginfo`` and ``tags`` props (list=recentchanges and
    list=watchlist answer them alike)."""
    if "loginfo" in props and r.type == "log":
        e["logid"] = r.log_id
        e["logtype"] = r.log_type
        e["logaction"] = r.log_action
        e["logparams"] = params_for_output(log_params(r.log_params or "{}"))
    if "tags" in props:
        e["tags"] = ResultList([t for t in r.tags.split("|") if t], "tag")
