"""action=unblock: lift a block (ApiUnblock, 1.39), through ``users.remove_block`` — the same
row removal and ``unblock`` log entry as Special:Unblock."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.modules.block import block_error, check_change_tags, require_one, user_by_id, user_param
from wikipost.api.params import Param
from wikipost.services.blockinfo import block_details
from wikipost.services.blocks import BlockError

# UnblockUser's ``ipb_cant_unblock`` (en); $1 is the user name or the block id asked for.
CANT_UNBLOCK = "Error: Block ID {target} not found. It may have been unblocked already."


class Unblock(ApiModule):
    name = "unblock"
    classname = "ApiUnblock"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Block",)
    description = "Unblock a user."
    token = "csrf"
    write = True
    params = (
        Param("id", "integer", help="ID of the block to unblock (obtained through list=blocks)."),
        Param("user", "user", help="User to unblock."),
        Param("userid", "integer", deprecated=True, help="Specify user=#ID instead."),
        Param("reason", "string", default="", help="Reason for unblock."),
        Param("tags", "string", multi=True, help="Change tags to apply to the entry in the block log."),
    )
    examples = (
        ("action=unblock&id=105", "Unblock block ID #105."),
        ("action=unblock&user=Bob&reason=Sorry%20Bob", "Unblock user Bob with reason Sorry Bob."),
    )

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        given = require_one(p, "", "id", "user", "userid")
        if not ctx.actor.has_right("block"):
            raise ApiError("permissiondenied", "You don't have permission to unblock users.")
        name: str | None = None
        if given == "userid":
            name = user_by_id(ctx, p["userid"])
        elif given == "user":
            name = user_param(ctx, "user", p["user"], ips=True)
        check_change_tags(ctx, p["tags"])
        users = ctx.wiki.users
        try:
            outcome = users.remove_block(
                ctx.actor,
                target_name=name,
                block_id=p["id"],
                reason=p["reason"],
                tags=tuple(p["tags"] or ()),
            )
        except BlockError as err:
            if err.code in ("cantunblock", "nosuchuser"):  # UnblockUser finds no block either way
                target = str(p["id"]) if name is None else name
                raise ApiError("cantunblock", CANT_UNBLOCK.format(target=target)) from None
            own = users.get_block(ctx.actor.id) if ctx.actor.is_registered else None
            data = {"blockinfo": block_details(own, ctx.wiki.clock.now())} if own is not None else None
            raise block_error(err, data) from None
        ctx.result["unblock"] = {
            "id": outcome.block.id,
            "user": outcome.user_name,
            "userid": outcome.user_id,
            "reason": p["reason"],
        }
