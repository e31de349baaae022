"""Special:Unblock[/User] (1.39's ``wpTarget``, ``wpReason``): lifts the block through
``wiki.users.lift_block``, which removes it and writes the ``unblock`` log entry together.
Needs ``block``, the right 1.39 checks here (there is no separate ``unblock`` right)."""

from __future__ import annotations

from typing import Any

from wikipost.services.blocks import BlockError
from wikipost.web.context import PageContext
from wikipost.web.forms import Field, FormState
from wikipost.web.special import FormSpecialPage, PageOutput, message_page

INTRO = "Use the form below to restore write access to a previously blocked IP address or username."
REASON_MAX = 500


class SpecialUnblock(FormSpecialPage):
    name = "Unblock"
    heading = "Unblock user"
    restriction = "block"
    submit_label = "Remove this block"
    legend = "Unblock user"

    @staticmethod
    def target_name(ctx: PageContext, sub: str) -> str:
        return (ctx.param("wpTarget") or sub or ctx.param("ip")).strip()

    def intro(self, ctx: PageContext, sub: str) -> str:
        return INTRO

    def fields(self, ctx: PageContext, sub: str) -> tuple[Field, ...]:
        return (
            Field(
                "Target", "user", "IP address or username:", default=self.target_name(ctx, sub), required=True
            ),
            Field("Reason", "text", "Reason:", maxlength=REASON_MAX),
        )

    def show_form(self, ctx: PageContext, sub: str, state: FormState, **extra: Any) -> PageOutput:
        output = super().show_form(ctx, sub, state, **extra)
        target = str(state.values.get("Target", "")).strip()
        user = ctx.wiki.users.get_by_name(target) if target else None
        if user is not None:
            output.relevant_user = user.name
        return output

    def on_submit(self, ctx: PageContext, state: FormState, sub: str) -> PageOutput | None:
        try:
            name, _log_id = ctx.wiki.users.lift_block(
                ctx.actor, str(state.values["Target"]), str(state.values["Reason"]).strip()
            )
        except BlockError as err:
            state.messages.append(err.text)
            return None
        page = message_page(
            self.heading,
            f"{name} has been unblocked.",
            kind="success",
            links={f"Return to User:{name}": ctx.url(f"User:{name}")},
        )
        page.relevant_user = name
        return page
