"""Special:UserLogin: main-account login with the API's throttle and messages (one session for
web and API: the cookie this page sets is the one api.php reads)."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from wikipost.services.titles import InvalidTitle
from wikipost.web.context import PageContext
from wikipost.web.special import SESSION_FAILURE, PageOutput, SpecialPage

ALREADY_LOGGED_IN = "You are already logged in as {name}. Use the form below to log in as another user."


def safe_return_url(ctx: PageContext, returnto: str) -> str:
    """The local page to go back to (never another site): Main Page when ``returnto`` is empty
    or not a valid local title."""
    if returnto:
        try:
            title = ctx.wiki.titles.parse(returnto)
        except InvalidTitle:
            title = None
        if title is not None and not title.is_external:
            return ctx.url(title)
    return ctx.url("Main Page")


class SpecialUserLogin(SpecialPage):
    name = "UserLogin"
    heading = "Log in"
    aliases = ("Login",)

    def execute(self, ctx: PageContext, sub: str) -> PageOutput | Response:
        errors: list[str] = []
        name = ctx.param("wpName")
        if ctx.posted:
            outcome = self.attempt(ctx, name, errors)
            if outcome is not None:
                return outcome
        ctx.session.persist()  # the login token's secret lives in the session
        values = {
            "errors": errors,
            "notice": ALREADY_LOGGED_IN.format(name=ctx.actor.name) if ctx.actor.is_registered else "",
            "name": name or ("" if ctx.actor.is_anon else ctx.actor.name),
            "returnto": ctx.param("returnto"),
            "action": ctx.url("Special:UserLogin"),
            "login_token": ctx.token("login"),
            "remember": bool(ctx.param("wpRemember")),
        }
        return PageOutput(self.heading, "userlogin.html", values)

    def attempt(self, ctx: PageContext, name: str, errors: list[str]) -> Response | None:
        wiki, session = ctx.wiki, ctx.session
        if not wiki.tokens.has_secret(session, "login") or not ctx.token_ok("wpLoginToken", "login"):
            errors.append(SESSION_FAILURE)
            return None
        outcome = wiki.login.main_login(name, ctx.param("wpPassword"), ctx.client_ip)
        if not outcome.ok or outcome.user is None:
            assert outcome.message is not None
            errors.append(outcome.message.text)
            return None
        user = outcome.user
        session.login(user.id)
        if ctx.param("wpRemember"):
            session.remember = (user.id, user.name, wiki.users.new_remember_token(user.id))
        return RedirectResponse(safe_return_url(ctx, ctx.param("returnto")), status_code=302)
