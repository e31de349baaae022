"""prop=revisions: revision data of pages (ApiQueryRevisions, pages.md §5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.listing import parsed_comment
from wikipost.api.module import QueryModule
from wikipost.api.params import Param
from wikipost.api.result import ResultList, content
from wikipost.clock import iso8601, mw_timestamp, parse_iso8601
from wikipost.db.schema.pages import change_tags, revisions
from wikipost.services.content import default_format
from wikipost.services.pages import RevisionRecord, revision_record
from wikipost.services.pageset import resolved_pages
from wikipost.services.titles import Title

PROPS = (
    "ids",
    "flags",
    "timestamp",
    "user",
    "userid",
    "size",
    "slotsize",
    "sha1",
    "slotsha1",
    "contentmodel",
    "comment",
    "parsedcomment",
    "content",
    "tags",
    "roles",
)
BADCONTINUE = (
    "badcontinue",
    "Invalid continue param. You should pass the original value returned by the previous query.",
)


class QueryRevisions(QueryModule):
    name = "revisions"
    group = "prop"
    prefix = "rv"
    classname = "ApiQueryRevisions"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Revisions",)
    description = "Get revision information."
    params = (
        Param("prop", PROPS, multi=True, default="ids|timestamp|flags|comment|user"),
        Param("slots", ("main", "*"), multi=True),
        Param("limit", "limit", min=1, max=500, highmax=5000),
        Param("startid", "integer"),
        Param("endid", "integer"),
        Param("start", "timestamp"),
        Param("end", "timestamp"),
        Param("dir", ("newer", "older"), default="older"),
        Param("user", "user"),
        Param("excludeuser", "user"),
        Param("tag", "string"),
        Param("continue", "string"),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        resolved = resolved_pages(ctx)
        props = set(params["prop"] or [])
        enumerating = (
            any(
                params[k] is not None
                for k in ("limit", "startid", "endid", "start", "end", "user", "excludeuser")
            )
            or params["dir"] == "newer"
        )
        pages = resolved.existing
        if enumerating and len(pages) > 1:
            raise ApiError(
                "invalidparammix",
                '"titles", "pageids" or a generator was used to '
                'supply multiple pages, but the "rvlimit", "rvstartid", "rvendid", '
                '"rvdir=newer", "rvuser", "rvexcludeuser", "rvstart", and "rvend" '
                "parameters may only be used on a single page.",
            )
        if params["slots"] is None and "content" in props:
            ctx.warn(
                "main",
                "deprecation-help",
                "Subscribe to the mediawiki-api-announce mailing "
                "list at <https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce."
                "lists.wikimedia.org/> for notice of API deprecations and breaking changes.",
            )
            ctx.warn(
                self.path(),
                "deprecation",
                'Because "rvslots" was not specified, a legacy '
                "format has been used for the output. This format is deprecated, and in the "
                "future the new format will always be used.",
            )
        high = ctx.actor.has_right("apihighlimits")
        cap = (500 if high else 50) if "content" in props else (5000 if high else 500)
        raw_limit = ctx.request.get("rvlimit")
        limit = params["limit"]
        if raw_limit == "max":
            limit = cap
            if pages or resolved.revids:
                # 1.39 lowers the parsed limit only when there is something to list; for missing
                # pages alone it returns early and the parameter's own maximum stays reported.
                ctx.result.setdefault("limits", {})["revisions"] = cap
        elif limit is not None:
            limit = min(limit, cap)
        with ctx.wiki.db.read() as conn:
            for page in pages:
                entry = resolved.entries[page.id]
                if resolved.revids.get(page.id):
                    rows = [
                        r
                        for r in (
                            conn.execute(select(revisions).where(revisions.c.id == rid)).first()
                            for rid in resolved.revids[page.id]
                        )
                        if r
                    ]
                    revs = [revision_record(r) for r in rows]
                elif enumerating:
                    revs = self._enumerate(ctx, conn, page.id, params, limit or 10)
                else:
                    row = conn.execute(select(revisions).where(revisions.c.id == page.latest_rev_id)).first()
                    revs = [revision_record(row)] if row else []
                entry["revisions"] = ResultList(
                    [self._entry(ctx, conn, r, page.title, props, params) for r in revs], "rev"
                )

    def _enumerate(
        self, ctx: ApiContext, conn: Connection, page_id: int, params: dict[str, Any], limit: int
    ) -> list[RevisionRecord]:
        newer = params["dir"] == "newer"
        q = select(revisions).where(revisions.c.page_id == page_id, revisions.c.deleted.is_(False))
        order = revisions.c.id.asc() if newer else revisions.c.id.desc()
        if params["continue"]:
            try:
                _, rid = params["continue"].split("|")
                start_id = int(rid)
            except ValueError:
                raise ApiError(*BADCONTINUE) from None
            q = q.where(revisions.c.id >= start_id if newer else revisions.c.id <= start_id)
        for key, op_newer in (("startid", True), ("endid", False)):
            if params[key] is not None:
                bound = params[key]
                ge = op_newer == newer
                q = q.where(revisions.c.id >= bound if ge else revisions.c.id <= bound)
        for key, op_newer in (("start", True), ("end", False)):
            if params[key] is not None:
                stamp = parse_iso8601(params[key])
                if stamp is None:
                    raise ApiError(
                        "badtimestamp", f'Invalid value "{params[key]}" for timestamp parameter "rv{key}".'
                    )
                ge = op_newer == newer
                q = q.where(revisions.c.timestamp >= stamp if ge else revisions.c.timestamp <= stamp)
        if params["user"]:
            q = q.where(revisions.c.user_name == params["user"])
        if params["excludeuser"]:
            q = q.where(revisions.c.user_name != params["excludeuser"])
        if params["tag"]:
            q = q.where(
                revisions.c.id.in_(select(change_tags.c.rev_id).where(change_tags.c.tag == params["tag"]))
            )
        rows = list(conn.execute(q.order_by(order).limit(limit + 1)))
        if len(rows) > limit:
            nxt = rows[limit]
            ctx.result["continue"] = {
                "rvcontinue": f"{mw_timestamp(nxt.timestamp)}|{nxt.id}",
                "continue": "||",
            }
            ctx.batch_incomplete = True
            rows = rows[:limit]
        return [revision_record(r) for r in rows]

    def _entry(
        self,
        ctx: ApiContext,
        conn: Connection,
        rev: RevisionRecord,
        title: Title,
        props: set[str],
        params: dict[str, Any],
    ) -> dict[str, Any]:
        e: dict[str, Any] = {}
        if "ids" in props:
            e["revid"] = rev.id
            e["parentid"] = rev.parent_id
        if "flags" in props:
            e["minor"] = rev.minor
        if "user" in props:
            e["user"] = rev.user_name
            if rev.user_id == 0:
                e["anon"] = True
        if "userid" in props:
            e["userid"] = rev.user_id
        if "timestamp" in props:
            e["timestamp"] = iso8601(rev.timestamp)
        if "size" in props:
            e["size"] = rev.size
        if "sha1" in props:
            e["sha1"] = rev.sha1
        fmt = default_format(rev.content_model)
        if params["slots"] is not None:
            if props & {"content", "contentmodel", "slotsize", "slotsha1"}:
                slot: dict[str, Any] = {}
                if "slotsize" in props:
                    slot["size"] = rev.size
                if "slotsha1" in props:
                    slot["sha1"] = rev.sha1
                if props & {"contentmodel", "content"}:
                    slot["contentmodel"] = rev.content_model
                if "content" in props:
                    slot["contentformat"] = fmt
                    if ctx.formatversion == 2:
                        slot["content"] = rev.text
                        slot["_content"] = "content"
                    else:
                        slot.update(content("*", rev.text))
                e["slots"] = {"main": slot, "_type": "kvp", "_kvpkeyname": "role", "_element": "slot"}
        else:
            if "contentmodel" in props:
                e["contentmodel"] = rev.content_model
            if "content" in props:
                e["contentformat"] = fmt
                key = "content" if ctx.formatversion == 2 else "*"
                e[key] = rev.text
                e["_content"] = key
        if "comment" in props:
            e["comment"] = rev.comment
        if "parsedcomment" in props:
            e["parsedcomment"] = parsed_comment(ctx, conn, rev.comment, title)
        if "tags" in props:
            e["tags"] = ResultList(list(rev.tags), "tag")
        return e
