"""list=users: information about a list of users (ApiQueryUsers, 1.39).

Invalid names come first, then the requested users in request order; unknown names are
``missing``. ``emailable`` is UserService.can_receive_email (a false value is absent in fv1, which
is what pywikibot's ``'emailable' in props`` relies on).
"""

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
from wikipost.services.usernames import creatable_name
from wikipost.services.userrights import format_expiry
from wikipost.services.users import UserRecord

PROPS = (
    "blockinfo",
    "cancreate",
    "centralids",
    "editcount",
    "emailable",
    "gender",
    "groupmemberships",
    "groups",
    "implicitgroups",
    "registration",
    "rights",
)


class QueryUsers(QueryModule):
    name = "users"
    group = "list"
    prefix = "us"
    classname = "ApiQueryUsers"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Users",)
    description = "Get information about a list of users."
    params = (
        Param("prop", PROPS, multi=True),
        Param("attachedwiki", "string"),
        Param("users", "string", multi=True),
        Param("userids", "integer", multi=True),
    )
    examples = (
        (
            "action=query&list=users&ususers=Example&usprop=groups|editcount|gender",
            "Return information for user Example.",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        names, ids = params["users"], params["userids"]
        if names and ids:
            raise ApiError(
                "invalidparammix", 'The parameters "ususers" and "ususerids" can not be used together.'
            )
        prop = set(params["prop"] or ())
        users = ctx.wiki.users
        out: list[dict[str, Any]] = []
        good: list[str] = []
        for raw in names or []:
            canonical = users.normalize_name(raw)
            if canonical:
                good.append(canonical)
            else:
                out.append({"name": raw, "invalid": True})
        if names:
            found: dict[Any, UserRecord] = {u.name: u for u in users.get_many(names=good)}
            keys: list[Any] = good
        else:
            found = {u.id: u for u in users.get_many(ids=ids or [])}
            keys = list(ids or [])
        for key in keys:
            user = found.get(key)
            if user is not None:
                out.append(self._describe(ctx, user, prop))
            elif names:
                out.append(self._missing_name(str(key), prop))
            else:
                out.append({"userid": key, "missing": True})
        query_result(ctx)["users"] = ResultList(out, "user")

    @staticmethod
    def _describe(ctx: ApiContext, user: UserRecord, prop: set[str]) -> dict[str, Any]:
        users = ctx.wiki.users
        vals: dict[str, Any] = {"userid": user.id, "name": user.name}
        actor = users.actor_for(user) if prop & {"groups", "implicitgroups", "rights"} else None
        if "editcount" in prop:
            vals["editcount"] = user.editcount
        if "registration" in prop:
            vals["registration"] = iso8601(user.registration)
        if actor is not None and "groups" in prop:
            vals["groups"] = ResultList(users.effective_groups(actor), "g")
        if "groupmemberships" in prop:
            vals["groupmemberships"] = ResultList(
                [{"group": g, "expiry": format_expiry(e)} for g, e in users.group_memberships(user.id)],
                "groupmembership",
            )
        if actor is not None and "implicitgroups" in prop:
            vals["implicitgroups"] = ResultList(list(actor.implicit_groups), "g")
        if actor is not None and "rights" in prop:
            vals["rights"] = ResultList(users.rights_list(actor), "r")
        if "blockinfo" in prop:
            block = users.get_block(user.id)
            if block is not None:
                vals.update(block_details(block, ctx.wiki.clock.now()))
        if "emailable" in prop:
            vals["emailable"] = users.can_receive_email(user)
        if "gender" in prop:
            vals["gender"] = users.get_options(user.id).get("gender") or "unknown"
        if "centralids" in prop:
            vals["centralids"] = {"local": user.id}
            vals["attachedlocal"] = {"local": True}
        return vals

    @staticmethod
    def _missing_name(name: str, prop: set[str]) -> dict[str, Any]:
        vals: dict[str, Any] = {"name": name, "missing": True}
        if "cancreate" in prop:
            ok = creatable_name(name) is not None
            vals["cancreate"] = ok
            if not ok:
                vals["cancreateerror"] = ResultList(
                    [
                        {
                            "message": "noname",
                            "params": ResultList([], "param"),
                            "code": "noname",
                            "type": "error",
                        }
                    ],
                    "error",
                )
        return vals
