"""Special:ChangeEmail: a new address (``wpNewEmail``, blank removes it) and the current
password (``wpPassword``, checked with the login throttle). The new address is unconfirmed
until the link in the confirmation mail is opened (Special:ConfirmEmail)."""

from __future__ import annotations

from starlette.responses import Response

from wikipost.services.preferences import EmailChangeError, EmailChanger
from wikipost.web.context import PageContext
from wikipost.web.forms import Field, FormState
from wikipost.web.special import FormSpecialPage, PageOutput, message_page
from wikipost.web.specials.userlogin import safe_return_url

HEADER = (
    "Complete this form to change your email address. If you would like to remove the "
    "association of any email address from your account, leave the new email address blank "
    "when submitting the form."
)
NEW_EMAIL_HELP = (
    "This field should be left blank if you want to remove your email address. You will not be "
    "able to reset a forgotten password and will not receive emails from this wiki if the email "
    "address is removed."
)
SENT = (
    "A confirmation email has been sent to the specified email address. Before any other email "
    "is sent to the account, you will have to follow the instructions in the email, to confirm "
    "that the account is actually yours."
)
CHANGED = "Your email address has been changed."
REMOVED = "Your email address has been removed."
CANNOT_CHANGE = "Changing email addresses is not supported on this wiki."
EMAIL_MAX = 255


class SpecialChangeEmail(FormSpecialPage):
    name = "ChangeEmail"
    heading = "Change or remove email address"
    login_required = True
    restriction = "editmyprivateinfo"
    submit_label = "Change email"

    def execute(self, ctx: PageContext, sub: str) -> PageOutput | Response:
        if not ctx.wiki.settings.mail.enable_email:
            return message_page(self.heading, CANNOT_CHANGE, status=400, kind="error")
        if not ctx.actor.has_right("viewmyprivateinfo"):
            text = "You do not have permission to view your own private information."
            return message_page("Permission error", text, status=403, kind="error")
        return super().execute(ctx, sub)

    def intro(self, ctx: PageContext, sub: str) -> str:
        return HEADER

    def fields(self, ctx: PageContext, sub: str) -> tuple[Field, ...]:
        user = ctx.wiki.users.get_by_id(ctx.actor.id)
        current = user.email if user is not None and user.email else "(none)"
        return (
            Field("Name", "info", "Username:", default=ctx.actor.name),
            Field("OldEmail", "info", "Current email address:", default=current),
            Field("NewEmail", "email", "New email address:", maxlength=EMAIL_MAX, help=NEW_EMAIL_HELP),
            Field("Password", "password", f"Your {ctx.wiki.settings.site.name} password:", required=True),
            Field("returnto", "hidden", raw_name=True),
        )

    def on_submit(self, ctx: PageContext, state: FormState, sub: str) -> PageOutput | None:
        wiki = ctx.wiki
        changer = EmailChanger(
            wiki.users,
            wiki.login,
            wiki.email_confirmation,
            require_confirmation=wiki.settings.mail.email_authentication,
        )
        new_email = str(state.values["NewEmail"]).strip()
        try:
            sent = changer.change(ctx.actor.name, new_email, str(state.values["Password"]), ctx.client_ip)
        except EmailChangeError as err:
            state.messages.append(err.text)
            return None
        text = SENT if sent else (CHANGED if new_email else REMOVED)
        back = str(state.values["returnto"])
        label = f"Return to {back}" if back else "Return to Main Page"
        return message_page(self.heading, text, kind="success", links={label: safe_return_url(ctx, back)})
