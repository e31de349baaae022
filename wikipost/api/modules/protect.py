"""action=protect: change protection levels (ApiProtect)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.pagetarget import page_target
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import parse_iso8601
from wikipost.services.protection import Restriction
from wikipost.services.watchlist import apply_watch

INFINITE = ("infinite", "indefinite", "infinity", "never")
LEVELS = ("", "autoconfirmed", "sysop", "all")


class Protect(ApiModule):
    name = "protect"
    blocking = True
    classname = "ApiProtect"
    token = "csrf"
    write = True
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Protect",)
    description = "Change the protection level of a page."
    params = (
        Param("title", "title"),
        Param("pageid", "integer"),
        Param("protections", "string", multi=True, required=True),
        Param("expiry", "string", multi=True, default="infinite", allow_duplicates=True),
        Param("reason", "string", default=""),
        Param("tags", "string", multi=True),
        Param("cascade", "boolean"),
        Param("watch", "boolean", deprecated=True),
        Param("watchlist", ("watch", "unwatch", "preferences", "nochange"), default="preferences"),
    )

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        wiki = ctx.wiki
        if not ctx.actor.has_right("protect"):
            raise ApiError("permissiondenied", wiki.protection.group_list("protect"))
        with wiki.db.write() as conn:
            title, page = page_target(wiki, conn, p)
            expiries = p["expiry"] or ["infinite"]
            if len(expiries) != 1 and len(expiries) != len(p["protections"]):
                raise ApiError(
                    "toofewexpiries",
                    f"{len(expiries)} expiry timestamps were provided "
                    f"where {len(p['protections'])} were needed.",
                )
            wanted: list[Restriction] = []
            shown: list[dict[str, Any]] = []
            for i, item in enumerate(p["protections"]):
                kind, _, level = item.partition("=")
                allowed = ("edit", "move") if page is not None else ("create",)
                if kind not in allowed:
                    raise ApiError("protect-invalidaction", f'Invalid protection type "{kind}".')
                if level not in LEVELS:
                    raise ApiError("protect-invalidlevel", f'Invalid protection level "{level}".')
                raw = expiries[i] if len(expiries) > 1 else expiries[0]
                if raw in INFINITE:
                    expiry = None
                else:
                    stamp = parse_iso8601(raw)
                    if stamp is None:
                        raise ApiError("invalidexpiry", f'Expiry time "{raw}" is invalid.')
                    expiry = int(stamp)
                wanted.append(Restriction(kind, level, expiry))
                shown.append(
                    {
                        kind: level if level not in ("", "all") else "",
                        "expiry": "infinite" if expiry is None else raw,
                    }
                )
            # WikiPage::doUpdateRestrictions: an applicable type not given loses its level, so
            # ``protections=`` (no types) removes every protection.
            given = {r.type for r in wanted}
            applicable = ("edit", "move") if page is not None else ("create",)
            wanted += [Restriction(kind, "", None) for kind in applicable if kind not in given]
            wiki.protection.protect(
                conn,
                title=title,
                actor=ctx.actor,
                page=page,
                wanted=wanted,
                reason=p["reason"],
                cascade=False,
            )
            apply_watch(conn, ctx.actor, title, p["watchlist"], p["watch"], user_option="watchdefault")
        out: dict[str, Any] = {"title": title.prefixed_text, "reason": p["reason"]}
        out["protections"] = ResultList(shown, "protection")
        ctx.result["protect"] = out
