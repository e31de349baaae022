"""list=blocks: the blocks in force (ApiQueryBlocks, 1.39), newest first by default.

Every block here is a sitewide block on an account (no IP, range or automatic blocks), so
``bkip`` and the IP/range ``bkshow`` values select nothing, ``range`` gives nothing and
``restrictions`` is always empty.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import false

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.listing import page_rows, parsed_comment, time_window
from wikipost.api.module import QueryModule
from wikipost.api.modules.block import user_param
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601
from wikipost.db.schema.accounts import blocks, users
from wikipost.services.blocks import blocks_in_force, user_title
from wikipost.services.usernames import is_ip

PROPS = (
    "id",
    "user",
    "userid",
    "by",
    "byid",
    "timestamp",
    "expiry",
    "reason",
    "parsedreason",
    "range",
    "flags",
    "restrictions",
)
SHOW = ("account", "!account", "ip", "!ip", "range", "!range")


class QueryBlocks(QueryModule):
    name = "blocks"
    group = "list"
    prefix = "bk"
    classname = "ApiQueryBlocks"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Blocks",)
    description = "List all blocked users and IP addresses."
    params = (
        Param("start", "timestamp", help="The timestamp to start enumerating from."),
        Param("end", "timestamp", help="The timestamp to stop enumerating at."),
        Param("dir", ("newer", "older"), default="older", help="In which direction to enumerate."),
        Param("ids", "integer", multi=True, help="List of block IDs to list."),
        Param("users", "user", multi=True, help="List of users to search for."),
        Param("ip", "string", help="Get all blocks applying to this IP address or CIDR range."),
        Param(
            "limit", "limit", default=10, min=1, max=500, highmax=5000, help="The maximum number of blocks."
        ),
        Param(
            "prop",
            PROPS,
            multi=True,
            default="id|user|by|timestamp|expiry|reason|flags",
            help="Which properties to get.",
        ),
        Param("show", SHOW, multi=True, help="Show only items that meet these criteria."),
        Param("continue", "string", help="When more results are available, use this to continue."),
    )
    examples = (
        ("action=query&list=blocks", "List blocks."),
        ("action=query&list=blocks&bkusers=Alice|Bob", "List blocks of users Alice and Bob."),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        if params["users"] and params["ip"] is not None:
            raise ApiError("invalidparammix", 'The parameters "bkusers" and "bkip" can not be used together.')
        show = set(params["show"] or [])
        if any({flag, "!" + flag} <= show for flag in ("account", "ip", "range")):
            raise ApiError("show", "Incorrect parameter - mutually exclusive values may not be supplied.")
        q = blocks_in_force(ctx.wiki.clock.now())
        if params["ids"]:
            q = q.where(blocks.c.id.in_(params["ids"]))
        if params["users"]:
            names = [user_param(ctx, "bkusers", raw, ips=True) for raw in params["users"]]
            q = q.where(users.c.name.in_(names))
        if params["ip"] is not None:
            _check_ip(params["ip"])
            q = q.where(false())  # no IP or range blocks here
        if show & {"!account", "ip", "range"}:
            q = q.where(false())  # every block is on an account
        q = time_window(q, blocks.c.timestamp, blocks.c.id, params, "bk")
        props = set(params["prop"] or [])
        with ctx.wiki.db.read() as conn:
            rows = page_rows(ctx, conn, q, params["limit"], "bk")
            out = [self._block(ctx, conn, row, props) for row in rows]
        query_result(ctx)["blocks"] = ResultList(out, "block")

    @staticmethod
    def _block(ctx: ApiContext, conn: Any, row: Any, props: set[str]) -> dict[str, Any]:
        b: dict[str, Any] = {}
        if "id" in props:
            b["id"] = row.id
        if "user" in props:
            b["user"] = row.user_name
        if "userid" in props:
            b["userid"] = row.user_id
        if "by" in props:
            b["by"] = row.by_name
        if "byid" in props:
            b["byid"] = row.by_user_id or 0
        if "timestamp" in props:
            b["timestamp"] = iso8601(row.timestamp)
        if "expiry" in props:
            b["expiry"] = iso8601(row.expiry)  # "infinity" for an infinite block
        if "reason" in props:
            b["reason"] = row.reason
        if "parsedreason" in props:
            b["parsedreason"] = parsed_comment(ctx, conn, row.reason, user_title(row.user_name))
        if "flags" in props:
            b.update(
                automatic=False,
                anononly=False,
                nocreate=bool(row.create_account),
                autoblock=bool(row.autoblock),
                noemail=bool(row.block_email),
                hidden=False,
                allowusertalk=bool(row.allow_usertalk),
                partial=not row.sitewide,
            )
        if "restrictions" in props:
            b["restrictions"] = ResultList([], "restriction")
        return b


def _check_ip(value: str) -> None:
    """bkip must be an address or a CIDR range."""
    if is_ip(value):
        return
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ApiError("param_ip", "IP parameter is not valid.") from None
