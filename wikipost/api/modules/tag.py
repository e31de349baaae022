"""action=tag: add or remove change tags on revisions, log entries and recent changes
(ApiTag and ChangeTags::updateTagsWithChecks, 1.39).

Each id is handled on its own and gets its own result: ``success`` (with the ``tag/update`` log
entry, or ``noop`` when nothing changed), ``error`` (no such id), ``failure`` (a tag that may not
be removed) or ``skipped`` (the ``changetag`` rate limit). Only tags an administrator defined and
activated may be added; software tags may not be removed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.modules.edit import check_tags
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.db.schema.pages import logging, recentchanges, revisions
from wikipost.namespaces import SPECIAL
from wikipost.services import changetags
from wikipost.services.changetags import SOFTWARE_TAGS, TagChange
from wikipost.services.titles import Title

KINDS = (("revid", "revision"), ("rcid", "recent change"), ("logid", "log entry"))


def format_message(ctx: ApiContext, code: str, text: str, params: list[Any]) -> dict[str, Any]:
    """One message inside a result (ApiErrorFormatter::formatMessage): ``code`` and ``info`` in
    the bc error format, the format's own fields otherwise."""
    if ctx.errorformat == "bc":
        return {"code": code, "info": text}
    out: dict[str, Any] = {"code": code}
    if ctx.errorformat in ("plaintext", "wikitext"):
        out["text"] = text
    elif ctx.errorformat == "html":
        out["html"] = text
    elif ctx.errorformat == "raw":
        out["key"] = code
        out["params"] = ResultList(params, "param")
    return out


def status_errors(ctx: ApiContext, key: str, text: str, params: list[Any]) -> ResultList:
    """A failed status as ``errors`` (ApiErrorFormatter::arrayFromStatus)."""
    if ctx.errorformat == "bc":
        entry: dict[str, Any] = {
            "message": key,
            "params": ResultList(params, "param"),
            "code": key,
            "type": "error",
        }
    else:
        entry = {**format_message(ctx, key, text, params), "module": ctx.module_path}
    return ResultList([entry], "error")


def _not_removable(tags: list[str]) -> tuple[str, str, list[Any]]:
    if len(tags) == 1:
        key = "tags-update-remove-not-allowed-one"
        return key, f'The tag "{tags[0]}" is not allowed to be removed.', [tags[0]]
    key = "tags-update-remove-not-allowed-multi"
    text = f"The following tags are not allowed to be manually removed: {', '.join(tags)}"
    return key, text, [", ".join(tags), len(tags)]


class Tag(ApiModule):
    name = "tag"
    classname = "ApiTag"
    token = "csrf"
    write = True
    blocking = True  # a write: never wait on the store's write lock on the event loop
    rights = ("changetags",)
    rights_error = (
        "permissiondenied",
        "You don't have permission to add and remove arbitrary tags on individual revisions and log entries.",
    )
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Tag",)
    description = "Add or remove change tags from individual revisions or log entries."
    params = (
        Param("rcid", "integer", multi=True),
        Param("revid", "integer", multi=True),
        Param("logid", "integer", multi=True),
        Param("add", "string", multi=True),
        Param("remove", "string", multi=True),
        Param("reason", "string", default=""),
        Param("tags", "string", multi=True),
    )
    examples = (
        (
            "action=tag&revid=123&add=vandalism&token=123ABC",
            "Add the vandalism tag to revision ID 123 without specifying a reason",
        ),
        (
            "action=tag&logid=123&remove=spam&reason=Wrongly+applied&token=123ABC",
            "Remove the spam tag from log entry ID 123 with the reason Wrongly applied",
        ),
    )

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        wiki = ctx.wiki
        block = wiki.protection.block_error(ctx.actor, wiki.titles.make(SPECIAL, "Tags"))
        if block is not None:  # a sitewide block stops everything at once
            raise ApiError(block.code, block.text, block.data)
        with wiki.db.read() as conn:
            for name in ("add", "tags"):  # the "tags" type of 1.39: applicable tags only
                if p[name]:
                    check_tags(ctx, conn, list(p[name]))
        if not (p["revid"] or p["rcid"] or p["logid"]):
            raise ApiError(
                "missingparam", 'At least one of the parameters "revid", "rcid" and "logid" is required.'
            )
        results = []
        for kind, _ in KINDS:
            for item_id in p[kind] or []:
                results.append(self._one(ctx, p, kind, item_id))
        ctx.result["tag"] = ResultList(results, "result")

    def _one(self, ctx: ApiContext, p: dict[str, Any], kind: str, item_id: int) -> dict[str, Any]:
        wiki = ctx.wiki
        out: dict[str, Any] = {kind: item_id}
        with wiki.db.write() as conn:
            change = self._find(conn, kind, item_id)
            if change is None:
                noun = dict(KINDS)[kind]
                out["status"] = "error"
                text = f"There is no {noun} with ID {item_id}."
                out.update(format_message(ctx, f"nosuch{kind}", text, [item_id]))
                return out
            software = [t for t in dict.fromkeys(p["remove"] or []) if t in SOFTWARE_TAGS]
            if software:
                key, text, params = _not_removable(software)
                out["status"] = "failure"
                out["errors"] = status_errors(ctx, key, text, params)
                return out
            if not wiki.ratelimiter.hit("changetag", ctx.actor, ctx.request.client_ip):
                out["status"] = "skipped"
                return out
            result = changetags.update_tags(conn, change, list(p["add"] or []), list(p["remove"] or []))
            out["status"] = "success"
            if not result.added and not result.removed:
                out["noop"] = True
                return out
            target, page_id = self._log_target(conn, ctx, change)
            log_id = changetags.log_tag_update(
                conn,
                now=int(wiki.clock.now()),
                actor=ctx.actor,
                target=target,
                page_id=page_id,
                change=change,
                result=result,
                reason=p["reason"],
            )
            if p["tags"]:
                changetags.add_to_log_entry(conn, log_id, list(p["tags"]))
        out["actionlogid"] = log_id
        out["added"] = ResultList(result.added, "t")
        out["removed"] = ResultList(result.removed, "t")
        return out

    @staticmethod
    def _find(conn: Connection, kind: str, item_id: int) -> TagChange | None:
        """The change an id names, with its related ids; None when there is no such change."""
        if kind == "revid":
            found = conn.execute(
                select(revisions.c.id).where(revisions.c.id == item_id, revisions.c.deleted.is_(False))
            ).first()
            return changetags.resolve_change(conn, rc_id=None, rev_id=item_id, log_id=None) if found else None
        if kind == "rcid":
            found = conn.execute(select(recentchanges.c.id).where(recentchanges.c.id == item_id)).first()
            return changetags.resolve_change(conn, rc_id=item_id, rev_id=None, log_id=None) if found else None
        found = conn.execute(select(logging.c.id).where(logging.c.id == item_id)).first()
        return changetags.resolve_change(conn, rc_id=None, rev_id=None, log_id=item_id) if found else None

    @staticmethod
    def _log_target(conn: Connection, ctx: ApiContext, change: TagChange) -> tuple[Title, int]:
        """The page the tag/update entry is about: the revision's page, Special:Log/<type> for a
        log entry, else Special:Tags (ChangeTags::updateTagsWithChecks)."""
        wiki = ctx.wiki
        if change.rev_id is not None:
            revision = wiki.pages.get_revision(conn, change.rev_id)
            page = wiki.pages.get_page_by_id(conn, revision.page_id) if revision else None
            if page is not None:
                return page.title, page.id
        if change.log_id is not None:
            kind = conn.execute(select(logging.c.type).where(logging.c.id == change.log_id)).scalar()
            if kind:
                return wiki.titles.make(SPECIAL, f"Log/{kind}"), 0
        return wiki.titles.make(SPECIAL, "Tags"), 0
