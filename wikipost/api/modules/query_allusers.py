"""list=allusers: enumerate registered users by name (ApiQueryAllUsers, 1.39)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601
from wikipost.services.blockinfo import block_details
from wikipost.services.usernames import canonical_form
from wikipost.settings import DEFAULT_PERMISSIONS

PROPS = ("blockinfo", "centralids", "editcount", "groups", "implicitgroups", "registration", "rights")
GROUPS = tuple(sorted(g for g in DEFAULT_PERMISSIONS if g not in ("*", "user", "autoconfirmed")))
ALL_RIGHTS = tuple(sorted({r for rights in DEFAULT_PERMISSIONS.values() for r in rights}))


class QueryAllUsers(QueryModule):
    name = "allusers"
    group = "list"
    prefix = "au"
    classname = "ApiQueryAllUsers"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Allusers",)
    description = "Enumerate all registered users."
    params = (
        Param("from", "user"),
        Param("to", "user"),
        Param("prefix", "user"),
        Param("dir", ("ascending", "descending"), default="ascending"),
        Param("group", GROUPS, multi=True),
        Param("excludegroup", GROUPS, multi=True),
        Param("rights", ALL_RIGHTS, multi=True, multi_high_limit=500),
        Param("prop", PROPS, multi=True),
        Param("limit", "limit", default=10, min=1, max=500, highmax=5000),
        Param("witheditsonly", "boolean"),
        Param("activeusers", "boolean"),
        Param("attachedwiki", "string"),
    )
    examples = (("action=query&list=allusers&aufrom=Y", "List users starting at Y."),)

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        if params["group"] and params["excludegroup"]:
            raise ApiError(
                "invalidparammix", 'The parameters "augroup" and "auexcludegroup" can not be used together.'
            )
        users = ctx.wiki.users
        groups = list(params["group"] or [])
        if params["rights"]:
            perms = ctx.wiki.settings.permissions
            with_right = [g for g, rights in perms.items() if set(rights) & set(params["rights"])]
            if not with_right:
                query_result(ctx)["allusers"] = ResultList([], "u")
                return
            groups = list(dict.fromkeys(groups + with_right))
        everyone = any(g in ("*", "user", "autoconfirmed") for g in groups)
        limit = params["limit"]
        rows = users.list_users(
            start=_name(params["from"]),
            end=_name(params["to"]),
            prefix=_name(params["prefix"]),
            descending=params["dir"] == "descending",
            groups=[] if everyone else groups,
            exclude_groups=params["excludegroup"] or [],
            with_edits_only=params["witheditsonly"],
            limit=limit + 1,
        )
        prop = set(params["prop"] or ())
        out = []
        for user in rows[:limit]:
            out.append(self._describe(ctx, user, prop))
        if len(rows) > limit:
            cont = ctx.result.setdefault("continue", {})
            cont["aufrom"] = rows[limit].name
            cont["continue"] = "-||"
        query_result(ctx)["allusers"] = ResultList(out, "u")

    @staticmethod
    def _describe(ctx: ApiContext, user: Any, prop: set[str]) -> dict[str, Any]:
        users = ctx.wiki.users
        data: dict[str, Any] = {"userid": user.id, "name": user.name}
        if "centralids" in prop:
            data["centralids"] = {"local": user.id}
        if "blockinfo" in prop:
            block = users.get_block(user.id)
            if block is not None:
                data.update(block_details(block, ctx.wiki.clock.now()))
        if "editcount" in prop:
            data["editcount"] = user.editcount
        if "registration" in prop:
            data["registration"] = iso8601(user.registration)
        if prop & {"groups", "implicitgroups", "rights"}:
            implicit = list(users.implicit_groups(user))
            groups = implicit + [g for g in user.groups if g not in implicit]
            if "groups" in prop:
                data["groups"] = ResultList(groups, "g")
            if "implicitgroups" in prop:
                data["implicitgroups"] = ResultList(implicit, "g")
            if "rights" in prop:
                data["rights"] = ResultList(users.ordered_rights(groups), "r")
        return data


def _name(value: str | None) -> str | None:
    return canonical_form(value) if value else None
