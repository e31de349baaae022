"""Special:ConfirmEmail/<token>: the page a confirmation link opens."""

from __future__ import annotations

from wikipost.web.context import PageContext
from wikipost.web.special import PageOutput, SpecialPage, message_page

MESSAGES = {
    "invalid": "Invalid confirmation code. The code may have expired.",
    "expired": "Invalid confirmation code. The code may have expired.",
    "used": "This confirmation code has already been used.",
    "changed": "This confirmation code is for an address the account no longer uses.",
}


class SpecialConfirmEmail(SpecialPage):
    name = "ConfirmEmail"
    heading = "Confirm email address"

    def execute(self, ctx: PageContext, sub: str) -> PageOutput:
        if not sub:
            text = "Open the link from your confirmation mail to confirm your address."
            return message_page(self.heading, text)
        outcome = ctx.wiki.email_confirmation.confirm(sub.replace(" ", "_"))
        if outcome.ok:
            text = (
                f"Your email address has been confirmed, {outcome.user_name}. You may now use "
                "email features of the wiki."
            )
            return message_page(self.heading, text, kind="success", links={"Main Page": ctx.url("Main Page")})
        return message_page(self.heading, MESSAGES[outcome.reason], status=400, kind="error")
