"""Special:Preferences, the email section (1.39's field names: ``wpdisablemail`` inverted as
"Allow other users to email me", ``wpemail-allow-new-users``, ``wpccmeonemails``,
``wpemail-blacklist``). Saved through the same preference methods as action=options, so the
change shows at once in ``usprop=emailable``, action=emailuser and ``#t-emailuser``.

A second small form on the page mails a confirmation link (``wpSendConfirmation``) through the
same ``email_confirmation`` service Special:ConfirmEmail checks the link against.
"""

from __future__ import annotations

from datetime import UTC, datetime

from wikipost.mail.confirm import ConfirmationError
from wikipost.mail.message import is_valid_email
from wikipost.services.preferences import EmailPreferences, UnknownUsers
from wikipost.services.users import UserRecord
from wikipost.web.context import PageContext
from wikipost.web.special import SESSION_FAILURE, PageOutput, SpecialPage

SAVED = "Your preferences have been saved."
NO_EDIT_RIGHT = "You don't have permission to edit your own preferences."
CONFIRMATION_SENT = "Confirmation email sent."
ALREADY_CONFIRMED = "Your email address has already been confirmed."
NO_VALID_EMAIL = "You do not have a valid email address set in your user preferences."
NOT_CONFIRMED = (
    "Your email address is not yet confirmed. No email will be sent for any of the following features."
)
NO_EMAIL = "Please enter an email address in your preferences for these features to work."
EMAIL_HELP = (
    "Email address is optional, but is needed for password resets, should you forget your "
    "password. You can also choose to let others contact you by email through a link on your "
    "user or talk page. Your email address is not revealed when other users contact you."
)


def confirmed_text(ts: int) -> str:
    """``emailauthenticated``: "Your email address was confirmed on 5 December 2026 at 21:39."."""
    when = datetime.fromtimestamp(ts, UTC)
    return f"Your email address was confirmed on {when.day} {when:%B %Y} at {when:%H:%M}."


class SpecialPreferences(SpecialPage):
    name = "Preferences"
    heading = "Preferences"
    login_required = True

    def execute(self, ctx: PageContext, sub: str) -> PageOutput:
        state = _State()
        if ctx.posted:
            if not ctx.token_ok():
                state.errors.append(SESSION_FAILURE)
            elif ctx.form.get("wpSendConfirmation"):
                self.send_confirmation(ctx, state)
            else:
                self.save(ctx, state)
        return self.render(ctx, state)

    # --- actions -------------------------------------------------------------------------------

    def save(self, ctx: PageContext, state: _State) -> None:
        if not ctx.actor.has_right("editmyoptions"):
            state.errors.append(NO_EDIT_RIGHT)
            return
        user = self.user(ctx)
        if not self.options_shown(ctx) or not self.email_prefs_enabled(ctx, user):
            # HTMLForm keeps hidden and disabled fields as they are: nothing here to store.
            state.success = SAVED
            return
        muted = tuple(line.strip() for line in ctx.param("wpemail-blacklist").splitlines() if line.strip())
        prefs = EmailPreferences(
            allow_email=_checked(ctx, "wpdisablemail"),  # inverted: checked means "allow"
            allow_new_users=_checked(ctx, "wpemail-allow-new-users"),
            cc_me=_checked(ctx, "wpccmeonemails"),
            muted=muted,
        )
        mute_list = ctx.wiki.settings.users.user_email_mute_list
        try:
            ctx.wiki.users.save_email_preferences(ctx.actor.id, prefs, mute_list=mute_list)
        except UnknownUsers as err:
            state.field_errors["email-blacklist"] = [f"{name} does not exist." for name in err.names]
            state.submitted = prefs
            return
        state.success = SAVED

    def send_confirmation(self, ctx: PageContext, state: _State) -> None:
        user = self.user(ctx)
        if not is_valid_email(user.email):
            state.errors.append(NO_VALID_EMAIL)
        elif user.email_confirmed:
            state.errors.append(ALREADY_CONFIRMED)
        else:
            try:
                ctx.wiki.email_confirmation.send(user.name)
            except ConfirmationError:
                state.errors.append(NO_VALID_EMAIL)
            else:
                state.success = CONFIRMATION_SENT

    # --- the page ------------------------------------------------------------------------------

    @staticmethod
    def user(ctx: PageContext) -> UserRecord:
        user = ctx.wiki.users.get_by_id(ctx.actor.id)
        assert user is not None  # a logged-in actor's account exists
        return user

    @staticmethod
    def options_shown(ctx: PageContext) -> bool:
        """1.39 offers the email options only where users may email each other at all."""
        mail = ctx.wiki.settings.mail
        return mail.enable_email and mail.enable_user_email and ctx.actor.has_right("sendemail")

    @staticmethod
    def email_prefs_enabled(ctx: PageContext, user: UserRecord) -> bool:
        """1.39 disables the email options until the address is confirmed
        ($wgEmailAuthentication), or while there is no address at all."""
        if not user.email:
            return False
        return user.email_confirmed or not ctx.wiki.settings.mail.email_authentication

    def render(self, ctx: PageContext, state: _State) -> PageOutput:
        wiki = ctx.wiki
        user = self.user(ctx)
        prefs = state.submitted or wiki.users.email_preferences(user.id)
        mail = wiki.settings.mail
        if not user.email:
            confirmation = NO_EMAIL
        elif user.email_authenticated is not None:
            confirmation = confirmed_text(user.email_authenticated)
        else:
            confirmation = NOT_CONFIRMED
        values = {
            "errors": state.errors,
            "success": state.success,
            "field_errors": state.field_errors,
            "action": ctx.url("Special:Preferences"),
            "token": ctx.token(),
            "show_address": ctx.actor.has_right("viewmyprivateinfo"),
            "email": user.email,
            "email_help": EMAIL_HELP,
            "change_email_url": ctx.url("Special:ChangeEmail", returnto="Special:Preferences"),
            "confirmation": confirmation,
            "confirmed": user.email_confirmed,
            "can_send_confirmation": bool(user.email) and not user.email_confirmed and mail.enable_email,
            "options_shown": self.options_shown(ctx),
            "disabled": not self.email_prefs_enabled(ctx, user),
            "mute_list_enabled": wiki.settings.users.user_email_mute_list,
            "prefs": prefs,
            "muted_text": "\n".join(prefs.muted),
        }
        return PageOutput(self.heading, "preferences.html", values)


class _State:
    """What a submission produced: errors, a success message, the values to show again."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.field_errors: dict[str, list[str]] = {}
        self.success = ""
        self.submitted: EmailPreferences | None = None


def _checked(ctx: PageContext, name: str) -> bool:
    values = ctx.form.get(name)
    return bool(values and values[0] not in ("", "0"))
