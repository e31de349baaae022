"""Special:UserLogout: logging out is a POST with the session's token (a link or an image
pointing here cannot log anyone out); the GET shows the one-button form."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from wikipost.web.context import PageContext
from wikipost.web.special import SESSION_FAILURE, PageOutput, SpecialPage, message_page
from wikipost.web.specials.userlogin import safe_return_url


class SpecialUserLogout(SpecialPage):
    name = "UserLogout"
    heading = "Log out"
    aliases = ("Logout",)

    def execute(self, ctx: PageContext, sub: str) -> PageOutput | Response:
        if ctx.actor.is_anon and not ctx.session.id:
            return message_page(
                self.heading, "You are not logged in.", links={"Log in": ctx.url("Special:UserLogin")}
            )
        if ctx.posted:
            if ctx.token_ok():
                session = ctx.session
                if session.user_id and not session.bot_app:
                    ctx.wiki.users.forget_remember_token(session.user_id)
                session.reset()
                return RedirectResponse(safe_return_url(ctx, ctx.param("returnto")), status_code=302)
            errors = [SESSION_FAILURE]
        else:
            errors = []
        values = {
            "errors": errors,
            "action": ctx.url("Special:UserLogout"),
            "token": ctx.token(),
            "returnto": ctx.param("returnto"),
        }
        return PageOutput(self.heading, "userlogout.html", values)
