"""action=block: block a user (ApiBlock, 1.39), through ``users.place_block`` — the same checks,
block row and ``block``/``reblock`` log entry as Special:Block.

Also the helpers the account-administration modules share: ``user``-type parameters
(UserDef), requireOnlyOneParameter's messages, the change-tags check and BlockError → ApiError.

Wikipost blocks accounts only: an IP address or range is answered ``nosuchuser``; ``hidename``
(suppression) is not offered (``hidenamenotsupported`` for those with ``hideuser``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.modules.edit import check_tags
from wikipost.api.params import Param
from wikipost.clock import iso8601
from wikipost.services.blocks import BlockError, BlockRequest, user_title
from wikipost.services.usernames import is_ip, normalize_name
from wikipost.services.watchlist import apply_watch

_USER_ID = re.compile(r"^#(\d+)$")
NO_HIDEUSER = "You are not allowed to execute the action you have requested."


def quoted_list(names: list[str]) -> str:
    """Message::listParam in English: ``"a"``, ``"a" and "b"``, ``"a", "b" and "c"``."""
    quoted = [f'"{n}"' for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def require_one(params: dict[str, Any], prefix: str, *names: str) -> str:
    """ApiBase::requireOnlyOneParameter: the one of ``names`` that was given (not None/False)."""
    given = [n for n in names if params.get(n) is not None and params.get(n) is not False]
    if len(given) > 1:
        listed = quoted_list([prefix + n for n in given])
        raise ApiError("invalidparammix", f"The parameters {listed} can not be used together.")
    if not given:
        listed = quoted_list([prefix + n for n in names])
        raise ApiError("missingparam", f"One of the parameters {listed} is required.")
    return given[0]


def user_param(ctx: ApiContext, name: str, raw: str, *, ips: bool) -> str:
    """A ``user``-type parameter (UserDef, 1.39): ``#ID`` → that user's name ("Unknown user"
    when there is none), a valid name → its canonical form, an IP address or range (when
    ``ips``) as given; anything else fails with ``baduser``."""
    text = raw.strip()
    by_id = _USER_ID.match(text)
    if by_id:
        user = ctx.wiki.users.get_by_id(int(by_id.group(1))) if int(by_id.group(1)) else None
        return user.name if user is not None else "Unknown user"
    canonical = normalize_name(text)
    if canonical is not None:
        return canonical
    if ips and (is_ip(text) or _is_range(text)):
        return text
    raise ApiError("baduser", f'Invalid value "{raw}" for user parameter "{name}".', params=[name, raw])


def _is_range(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return "/" in text


def user_by_id(ctx: ApiContext, user_id: int) -> str:
    """The name of the user a deprecated ``userid`` names, or ``nosuchuserid``."""
    user = ctx.wiki.users.get_by_id(user_id)
    if user is None:
        raise ApiError("nosuchuserid", f"There is no user with ID {user_id}.")
    return user.name


def check_change_tags(ctx: ApiContext, tags: list[str] | None) -> None:
    """ChangeTags::canAddTagsAccompanyingChange for a log entry's ``tags``."""
    if not tags:
        return
    if not ctx.actor.has_right("applychangetags"):
        raise ApiError(
            "tags-apply-no-permission",
            "You do not have permission to apply change tags along with your changes.",
        )
    with ctx.wiki.db.read() as conn:
        check_tags(ctx, conn, tags)


def block_error(err: BlockError, data: dict[str, Any] | None = None) -> ApiError:
    return ApiError(err.code or "blockfailed", err.text, data)


def watch_user(ctx: ApiContext, name: str) -> None:
    """``watchuser``: put the user page on the performer's watchlist."""
    with ctx.wiki.db.write() as conn:
        apply_watch(conn, ctx.actor, user_title(name), "watch")


class Block(ApiModule):
    name = "block"
    classname = "ApiBlock"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Block",)
    description = "Block a user."
    token = "csrf"
    write = True
    rights = ("block",)
    rights_error = ("permissiondenied", "You don't have permission to block this user from editing.")
    params = (
        Param("user", "user", help="User to block."),
        Param("userid", "integer", deprecated=True, help="Specify user=#ID instead."),
        Param("expiry", "string", default="never", help='Expiry time: relative ("5 months") or absolute.'),
        Param("reason", "string", default="", help="Reason for block."),
        Param("anononly", "boolean", help="Block anonymous users only (IP targets)."),
        Param("nocreate", "boolean", help="Prevent account creation."),
        Param("autoblock", "boolean", help="Automatically block the last used IP address."),
        Param("noemail", "boolean", help='Prevent user from sending email (needs "blockemail").'),
        Param("hidename", "boolean", help='Hide the username from the block log (needs "hideuser").'),
        Param("allowusertalk", "boolean", help="Allow the user to edit their own talk page."),
        Param("reblock", "boolean", help="If the user is already blocked, overwrite the existing block."),
        Param("watchuser", "boolean", help="Watch the user's user and talk pages."),
        Param("tags", "string", multi=True, help="Change tags to apply to the entry in the block log."),
    )
    examples = (
        (
            "action=block&user=192.0.2.5&expiry=3%20days&reason=First%20strike&token=123ABC",
            "Block IP address 192.0.2.5 for three days with a reason.",
        ),
        (
            "action=block&user=Vandal&expiry=never&reason=Vandalism&nocreate=&autoblock=&noemail=&token=123ABC",
            "Block user Vandal indefinitely with a reason, and prevent new account creation and "
            "email sending.",
        ),
    )

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        if require_one(p, "", "user", "userid") == "user":
            target = user_param(ctx, "user", p["user"], ips=True)
        else:
            target = user_by_id(ctx, p["userid"])
        if p["noemail"] and not ctx.actor.has_right("blockemail"):
            raise ApiError(
                "cantblock-email",
                "You don't have permission to block users from sending email through the wiki.",
            )
        if p["hidename"]:
            if not ctx.actor.has_right("hideuser"):
                raise ApiError("permissiondenied", NO_HIDEUSER)
            raise ApiError("hidenamenotsupported", "This wiki does not hide user names.")
        check_change_tags(ctx, p["tags"])
        request = BlockRequest(
            target=target,
            expiry=p["expiry"],
            reason=p["reason"],
            create_account=p["nocreate"],
            block_email=p["noemail"],
            disable_usertalk=not p["allowusertalk"],
            autoblock=p["autoblock"],
            confirmed=p["reblock"],
            self_without_confirm=True,
            tags=tuple(p["tags"] or ()),
        )
        try:
            outcome = ctx.wiki.users.place_block(ctx.actor, request)
        except BlockError as err:
            raise block_error(err) from None
        if p["watchuser"]:
            watch_user(ctx, outcome.user_name)
        block = outcome.block
        ctx.result["block"] = {
            "user": outcome.user_name,
            "userID": block.user_id,
            "expiry": "infinite" if block.expiry is None else iso8601(block.expiry),
            "id": block.id,
            "reason": p["reason"],
            "anononly": p["anononly"],
            "nocreate": p["nocreate"],
            "autoblock": p["autoblock"],
            "noemail": p["noemail"],
            "hidename": p["hidename"],
            "allowusertalk": p["allowusertalk"],
            "watchuser": p["watchuser"],
            "partial": False,
        }
