"""action=delete: delete a page (ApiDelete)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.pagetarget import page_target
from wikipost.api.params import Param
from wikipost.services.watchlist import apply_watch


class Delete(ApiModule):
    name = "delete"
    blocking = True
    classname = "ApiDelete"
    token = "csrf"
    write = True
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Delete",)
    description = "Delete a page."
    params = (
        Param("title", "title"),
        Param("pageid", "integer"),
        Param("reason", "string"),
        Param("tags", "string", multi=True),
        Param("deletetalk", "boolean"),
        Param("watch", "boolean", deprecated=True),
        Param("watchlist", ("watch", "unwatch", "preferences", "nochange"), default="preferences"),
        Param("unwatch", "boolean", deprecated=True),
        Param("oldimage", "string"),
    )

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        wiki = ctx.wiki
        with wiki.db.write() as conn:
            _, page = page_target(wiki, conn, p)
            if page is None:
                raise ApiError("missingtitle", "The page you specified doesn't exist.")
            if not ctx.actor.has_right("delete"):
                raise ApiError("permissiondenied", wiki.protection.group_list("delete"))
            reason = p["reason"]
            if reason is None:
                text = wiki.pages.get_text(conn, page)
                reason = f'content was: "{text[:150]}"' if text else "content was empty"
                # excontentauthor: the last 20 revisions are all by one user.
                authors = {r.user_name for r in wiki.pages.history(conn, page.id, limit=20)}
                if text and len(authors) == 1:
                    (author,) = authors
                    reason += f', and the only contributor was "[[Special:Contributions/{author}|{author}]]"'
            log_id = wiki.protection.delete(
                conn, page=page, actor=ctx.actor, reason=reason, tags=list(p["tags"] or [])
            )
            apply_watch(
                conn,
                ctx.actor,
                page.title,
                p["watchlist"],
                p["watch"],
                p["unwatch"],
                user_option="watchdeletion",
            )
        ctx.result["delete"] = {"title": page.title.prefixed_text, "reason": reason, "logid": log_id}
