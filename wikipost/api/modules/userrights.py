"""action=userrights: change a user's group memberships (ApiUserrights, 1.39).

Expiries are checked first, then the user; groups the performer may not change are dropped
without an error (``added``/``removed`` list what changed), as 1.39 does. The ``add``/``remove``
values are the groups of the default ``$wgGroupPermissions``: declarations do not depend on
the configuration.
"""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.modules.block import (
    check_change_tags,
    require_one,
    user_param,
    watch_user,
)
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.services.blockinfo import block_details
from wikipost.services.userrights import all_groups, group_expiry
from wikipost.settings import DEFAULT_PERMISSIONS

GROUPS = tuple(all_groups(DEFAULT_PERMISSIONS))
NO_SUCH_USER = 'There is no user by the name "{name}". Check your spelling.'


def expiries_for(ctx: ApiContext, add: list[str], raw: list[str]) -> dict[str, int | None]:
    """One expiry per added group (a single one applies to all), each a time in the future."""
    if not add:
        return {}
    if len(raw) != len(add):
        if len(raw) != 1:
            given = "1 expiry timestamp was" if len(raw) == 1 else f"{len(raw)} expiry timestamps were"
            needed = "1 was" if len(add) == 1 else f"{len(add)} were"
            raise ApiError("toofewexpiries", f"{given} provided where {needed} needed.")
        raw = raw * len(add)
    now = ctx.wiki.clock.now()
    out: dict[str, int | None] = {}
    for group, text in zip(add, raw, strict=True):
        try:
            out[group] = group_expiry(text, now)
        except ValueError:
            raise ApiError("invalidexpiry", f'Invalid expiry time "{text}".') from None
        expiry = out[group]
        if expiry is not None and expiry < now:
            raise ApiError("pastexpiry", f'Expiry time "{text}" is in the past.')
    return out


class Userrights(ApiModule):
    name = "userrights"
    classname = "ApiUserrights"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:User_group_membership",)
    description = "Change a user's group membership."
    token = "userrights"
    write = True
    params = (
        Param("user", "user", help="User."),
        Param("userid", "integer", deprecated=True, help="Specify user=#ID instead."),
        Param("add", GROUPS, multi=True, help="Add the user to these groups."),
        Param(
            "expiry",
            "string",
            multi=True,
            allow_duplicates=True,
            default="infinite",
            help="Expiry timestamps, one per added group or one for all.",
        ),
        Param("remove", GROUPS, multi=True, help="Remove the user from these groups."),
        Param("reason", "string", default="", help="Reason for the change."),
        Param("tags", "string", multi=True, help="Change tags to apply to the entry in the user rights log."),
        Param("watchuser", "boolean", help="Watch the user's user and talk pages."),
    )
    examples = (
        (
            "action=userrights&user=FooBot&add=bot&remove=sysop|bureaucrat&token=123ABC",
            "Add user FooBot to group bot, and remove from groups sysop and bureaucrat.",
        ),
        (
            "action=userrights&userid=123&add=bot&remove=sysop|bureaucrat&token=123ABC",
            "Add the user with ID 123 to group bot, and remove from groups sysop and bureaucrat.",
        ),
        (
            "action=userrights&user=SometimeSysop&add=sysop&expiry=1%20month&token=123ABC",
            "Add user SometimeSysop to group sysop for 1 month.",
        ),
    )

    @classmethod
    def all_params(cls) -> tuple[Param, ...]:
        """ApiUserrights declares ``token`` itself, after ``reason``: paraminfo keeps that order."""
        declared = super().all_params()
        token, rest = declared[-1], declared[:-1]
        at = [p.name for p in rest].index("reason") + 1
        return rest[:at] + (token,) + rest[at:]

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        wiki, actor = ctx.wiki, ctx.actor
        if not actor.has_right("userrights") and actor.is_registered:
            block = wiki.users.get_block(actor.id)
            if block is not None and block.sitewide:
                info = {"blockinfo": block_details(block, wiki.clock.now())}
                raise ApiError("blocked", "You have been blocked from editing.", info)
        add = list(p["add"] or [])
        expiries = expiries_for(ctx, add, list(p["expiry"] or ["infinite"]))
        if require_one(p, "", "user", "userid") == "user":
            name = user_param(ctx, "user", p["user"], ips=False)
            target = wiki.users.get_by_name(name)
        else:  # UserrightsPage::fetchUser("#ID"): an unknown id is no valid name
            target = wiki.users.get_by_id(p["userid"])
            if target is None:
                raise ApiError("invaliduser", "You have not specified a valid username.")
            name = target.name
        if target is None:
            raise ApiError("nosuchuser", NO_SUCH_USER.format(name=name))
        check_change_tags(ctx, p["tags"])
        change = ctx.wiki.userrights.change_groups(
            actor,
            target,
            add,
            list(p["remove"] or []),
            expiries,
            reason=p["reason"],
            tags=list(p["tags"] or []),
        )
        if p["watchuser"]:
            watch_user(ctx, target.name)
        ctx.result["userrights"] = {
            "user": target.name,
            "userid": target.id,
            "added": ResultList(change.added, "group"),
            "removed": ResultList(change.removed, "group"),
        }
