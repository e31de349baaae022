"""meta=userinfo: who the session is (ApiQueryUserInfo, 1.39).

Always reflects the request's session (pywikibot and mwclient append it to every query).
"""

from __future__ import annotations

from typing import Any

from wikipost.actor import Actor
from wikipost.api.context import ApiContext
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601
from wikipost.services import notices
from wikipost.services.blockinfo import block_details
from wikipost.services.preferences import options_with_defaults
from wikipost.services.userrights import format_expiry

PROPS = (
    "acceptlang",
    "blockinfo",
    "cancreateaccount",
    "centralids",
    "changeablegroups",
    "editcount",
    "email",
    "groupmemberships",
    "groups",
    "hasmsg",
    "implicitgroups",
    "latestcontrib",
    "options",
    "preferencestoken",
    "ratelimits",
    "realname",
    "registrationdate",
    "rights",
    "theoreticalratelimits",
    "unreadcount",
)
# $wgRateLimits' own order in 1.39; configured actions are listed in it, unknown ones after.
RATELIMIT_ORDER = (
    "edit",
    "move",
    "upload",
    "rollback",
    "mailpassword",
    "sendemail",
    "emailuser",
    "changeemail",
    "confirmemail",
    "purge",
    "linkpurge",
    "renderfile",
    "renderfile-nonstandard",
    "stashedit",
    "stashbasehtml",
    "changetag",
    "editcontentmodel",
)


def rate_limits(ctx: ApiContext, actor: Actor, *, theoretical: bool = False) -> dict[str, Any]:
    """$wgRateLimits entries for the categories that apply to ``actor`` (getRateLimits)."""
    out: dict[str, Any] = {"_type": "assoc"}
    if actor.has_right("noratelimit") and not theoretical:
        return out
    newbie = actor.is_anon or "autoconfirmed" not in actor.rights
    categories = ["anon" if actor.is_anon else "user"]
    if newbie:
        categories += ["ip", "subnet"] + (["newbie"] if actor.is_registered else [])
    categories += list(actor.groups)
    configured = ctx.wiki.settings.ratelimits.limits
    known = [a for a in RATELIMIT_ORDER if a in configured]
    for action in known + [a for a in configured if a not in known]:
        limits = configured[action]
        for cat in categories:
            if cat in limits:
                hits, seconds = limits[cat]
                out.setdefault(action, {})[cat] = {"hits": int(hits), "seconds": int(seconds)}
    return out


class QueryUserInfo(QueryModule):
    name = "userinfo"
    group = "meta"
    prefix = "ui"
    classname = "ApiQueryUserInfo"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Userinfo",)
    description = "Get information about the current user."
    read = False
    params = (
        Param("prop", PROPS, multi=True, allow_all=True),
        Param("attachedwiki", "string"),
    )
    examples = (
        ("action=query&meta=userinfo", "Get information about the current user."),
        (
            "action=query&meta=userinfo&uiprop=blockinfo|groups|rights|hasmsg",
            "Get additional information about the current user.",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        query_result(ctx)["userinfo"] = self.info(ctx, set(params["prop"] or ()))

    def info(self, ctx: ApiContext, prop: set[str]) -> dict[str, Any]:
        actor, users = ctx.actor, ctx.wiki.users
        now = ctx.wiki.clock.now()
        user = users.get_by_id(actor.id) if actor.is_registered else None
        vals: dict[str, Any] = {"id": actor.id, "name": actor.name}
        if actor.is_anon:
            vals["anon"] = True
        if "blockinfo" in prop and user is not None:
            block = users.get_block(user.id)
            if block is not None:
                vals.update(block_details(block, now))
        if "hasmsg" in prop:
            # The new-message notice (services/notices.py): set by others' edits to the user's
            # talk page, mass-message deliveries included; anonymous users have none here.
            with ctx.wiki.db.read() as conn:
                vals["messages"] = user is not None and notices.has_new_messages(conn, user.id)
        if "groups" in prop:
            vals["groups"] = ResultList(users.effective_groups(actor), "g")
        if "groupmemberships" in prop:
            held = users.group_memberships(actor.id) if actor.is_registered else []
            vals["groupmemberships"] = ResultList(
                [{"group": g, "expiry": format_expiry(e)} for g, e in held if g in actor.groups],
                "groupmembership",
            )
        if "implicitgroups" in prop:
            vals["implicitgroups"] = ResultList(list(actor.implicit_groups), "g")
        if "rights" in prop:
            vals["rights"] = ResultList(users.rights_list(actor), "r")
        if "changeablegroups" in prop:
            vals["changeablegroups"] = self._changeable(ctx, actor)
        if "options" in prop:
            vals["options"] = self._options(ctx, actor)
        if "preferencestoken" in prop and actor.is_registered and actor.has_right("editmyoptions"):
            vals["preferencestoken"] = ctx.wiki.tokens.get(ctx.session, actor, "csrf")
        if "editcount" in prop:
            vals["editcount"] = user.editcount if user is not None else 0
        if "ratelimits" in prop:
            vals["ratelimits"] = rate_limits(ctx, actor)
        if "theoreticalratelimits" in prop:
            vals["theoreticalratelimits"] = rate_limits(ctx, actor, theoretical=True)
        if "realname" in prop and actor.has_right("viewmyprivateinfo"):
            vals["realname"] = ""
        if "email" in prop and actor.has_right("viewmyprivateinfo"):
            vals["email"] = user.email if user is not None else ""
            if user is not None and user.email and user.email_authenticated is not None:
                vals["emailauthenticated"] = iso8601(user.email_authenticated)
        if "registrationdate" in prop and user is not None:
            vals["registrationdate"] = iso8601(user.registration)
        if "acceptlang" in prop:
            vals["acceptlang"] = self._acceptlang(ctx)
        if "unreadcount" in prop and actor.is_registered:
            vals["unreadcount"] = 0
        if "centralids" in prop:
            vals["centralids"] = {"local": actor.id}
            vals["attachedlocal"] = {"local": actor.is_registered}
        if "latestcontrib" in prop and user is not None:
            pass  # 1.39 omits it for users without contributions; edits are not tracked here
        if "cancreateaccount" in prop:
            vals["cancreateaccount"] = actor.has_right("createaccount")
        return vals

    @staticmethod
    def _changeable(ctx: ApiContext, actor: Actor) -> dict[str, Any]:
        """The groups ``actor`` may add and remove (services.userrights, as action=userrights)."""
        wiki = ctx.wiki
        changeable = wiki.userrights.changeable_groups(actor)
        return {kind: ResultList(groups, "g") for kind, groups in changeable.items()}

    @staticmethod
    def _options(ctx: ApiContext, actor: Actor) -> dict[str, Any]:
        """1.39's defaults, typed as it prints them, with what the user has set."""
        stored = ctx.wiki.users.stored_options(actor.id) if actor.is_registered else {}
        return dict(options_with_defaults(stored))

    @staticmethod
    def _acceptlang(ctx: ApiContext) -> ResultList:
        header = ctx.request.headers.get("accept-language", "")
        langs: list[dict[str, Any]] = []
        for part in header.split(","):
            code, _, q = part.strip().partition(";q=")
            if not code:
                continue
            try:
                quality = float(q) if q else 1.0
            except ValueError:
                continue
            langs.append({"q": quality, "code": code.lower(), "_content": "code"})
        return ResultList(langs, "lang")
