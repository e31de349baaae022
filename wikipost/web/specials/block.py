"""Special:Block[/User]: the form of 1.39's SpecialBlock (``wpTarget``, ``wpExpiry``,
``wpReason``, ``wpCreateAccount``, ``wpDisableEmail``, ``wpDisableUTEdit``, ``wpAutoBlock``,
``wpHardBlock``, ``wpPreviousTarget``, ``wpConfirm``) over ``wiki.users.place_block``: the same
block store ``wikipost block`` writes, the same expiry parser, and a ``block`` log entry.

Re-blocking an already-blocked user needs confirmation, as in 1.39: opening
Special:Block/User for a blocked user fills the form with the block's settings and confirms
(``wpConfirm`` hidden, ``wpPreviousTarget`` = the user); a POST for a blocked user without it
is refused with the confirmation checkbox shown. ``wpReblock=1`` is accepted as the same
confirmation (the API's name for it).
"""

from __future__ import annotations

from typing import Any

from wikipost.clock import iso8601
from wikipost.services.blocks import BLOCKING_SELF, NEED_REBLOCK, BlockError, BlockRequest
from wikipost.services.users import UserRecord
from wikipost.web.context import PageContext
from wikipost.web.forms import Field, FormState
from wikipost.web.special import FormSpecialPage, PageOutput, message_page

INTRO = (
    "Use the form below to block write access from a specific username. This should be done "
    "only to prevent vandalism, and in accordance with policy. Fill in a specific reason below "
    "(for example, citing particular pages that were vandalized)."
)
EXPIRY_HELP = (
    'For example "infinite", "2 hours", "3 days", "1 week", "6 months", "1 year", or a time '
    'such as "2030-01-31T12:00:00Z".'
)
REASON_MAX = 500  # CommentStore's character limit
SUBMIT = "Block this user"
RESUBMIT = "Re-block the user with these settings"


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value not in ("", "0"))


class SpecialBlock(FormSpecialPage):
    name = "Block"
    heading = "Block user"
    restriction = "block"
    aliases = ("BlockIP",)
    legend = "Block details"

    # --- the form ------------------------------------------------------------------------------

    @staticmethod
    def target_name(ctx: PageContext, sub: str) -> str:
        """SpecialBlock::getTargetAndType: ``wpTarget`` first, then the subpage, then ``ip``."""
        return (ctx.param("wpTarget") or sub or ctx.param("ip") or ctx.param("wpBlockAddress")).strip()

    def target_user(self, ctx: PageContext, name: str) -> UserRecord | None:
        return ctx.wiki.users.get_by_name(name) if name else None

    def intro(self, ctx: PageContext, sub: str) -> str:
        return INTRO

    def fields(self, ctx: PageContext, sub: str) -> tuple[Field, ...]:
        wiki = ctx.wiki
        target = self.target_name(ctx, sub)
        user = self.target_user(ctx, target)
        block = wiki.users.get_block(user.id) if user is not None else None
        is_self = user is not None and user.id == ctx.actor.id
        expiry = ""
        defaults = {"CreateAccount": True, "DisableEmail": False, "DisableUTEdit": False, "Reason": ""}
        if block is not None:
            expiry = "infinite" if block.expiry is None else iso8601(block.expiry)
            defaults = {
                "CreateAccount": block.create_account,
                "DisableEmail": block.block_email,
                "DisableUTEdit": not block.allow_usertalk,
                "Reason": block.reason,
            }
        if is_self or (block is not None and ctx.posted):
            confirm = Field("Confirm", "check", "Confirm block")
        else:
            confirm = Field("Confirm", "hidden", default="1" if block is not None else "")
        fields = [
            Field("Target", "user", "IP address or username:", default=target, required=True),
            Field("Expiry", "text", "Expiration:", default=expiry, required=True, help=EXPIRY_HELP),
            Field("Reason", "text", "Reason:", default=defaults["Reason"], maxlength=REASON_MAX),
            Field("CreateAccount", "check", "Block account creation", default=defaults["CreateAccount"]),
        ]
        mail = wiki.settings.mail
        if mail.enable_user_email and ctx.actor.has_right("blockemail"):
            fields.append(
                Field(
                    "DisableEmail", "check", "Block user from sending email", default=defaults["DisableEmail"]
                )
            )
        fields += [
            Field(
                "DisableUTEdit",
                "check",
                "Block user from editing their own talk page",
                default=defaults["DisableUTEdit"],
            ),
            Field(
                "AutoBlock",
                "check",
                "Automatically block the last IP address used by this user, and any subsequent IP "
                "addresses they try to edit from",
                default=True,
            ),
            Field("HardBlock", "check", "Prevent logged-in users from editing from this IP address"),
            Field("PreviousTarget", "hidden", default=target),
            confirm,
        ]
        return tuple(fields)

    def show_form(self, ctx: PageContext, sub: str, state: FormState, **extra: Any) -> PageOutput:
        target = str(state.values.get("Target", "")).strip()
        user = self.target_user(ctx, target)
        blocked = user is not None and ctx.wiki.users.get_block(user.id) is not None
        if user is not None and not ctx.posted:
            if blocked:
                state.messages.append(NEED_REBLOCK.format(name=user.name))
            if user.id == ctx.actor.id:
                state.messages.append(BLOCKING_SELF)
        output = super().show_form(ctx, sub, state, buttons=(("", RESUBMIT if blocked else SUBMIT),), **extra)
        output.template = "block.html"
        links = {}
        if user is not None:
            output.relevant_user = user.name
            links[f"Unblock {user.name}"] = ctx.url(f"Special:Unblock/{user.name}")
            links[f"View block log for {user.name}"] = ctx.url(
                "Special:Log", type="block", page=f"User:{user.name}"
            )
        else:
            links["Unblock a user"] = ctx.url("Special:Unblock")
        output.values["links"] = links
        return output

    # --- submission ----------------------------------------------------------------------------

    def on_submit(self, ctx: PageContext, state: FormState, sub: str) -> PageOutput | None:
        values = state.values
        target = str(values["Target"]).strip()
        previous = str(values["PreviousTarget"]).strip()
        users = ctx.wiki.users
        same_target = bool(previous) and users.normalize_name(previous) == users.normalize_name(target)
        confirmed = _truthy(ctx.param("wpReblock")) or (_truthy(values["Confirm"]) and same_target)
        request = BlockRequest(
            target=target,
            expiry=str(values["Expiry"]),
            reason=str(values["Reason"]).strip(),
            create_account=bool(values["CreateAccount"]),
            block_email=bool(values.get("DisableEmail", False)),
            disable_usertalk=bool(values["DisableUTEdit"]),
            autoblock=bool(values["AutoBlock"]),
            hardblock=bool(values["HardBlock"]),
            confirmed=confirmed,
        )
        try:
            outcome = users.place_block(ctx.actor, request)
        except BlockError as err:
            state.messages.append(err.text)
            values["PreviousTarget"] = target
            if err.needs_confirm:
                values["Confirm"] = False
            return None
        name = outcome.user_name
        page = message_page(
            "Block succeeded",
            f"{name} has been blocked.",
            kind="success",
            links={
                f"Return to User:{name}": ctx.url(f"User:{name}"),
                f"Unblock {name}": ctx.url(f"Special:Unblock/{name}"),
            },
        )
        page.relevant_user = name
        return page
