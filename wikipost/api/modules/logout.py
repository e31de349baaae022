"""action=logout: end the session (ApiLogout, 1.39). Every token of the session dies with it."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import ApiModule


class Logout(ApiModule):
    name = "logout"
    classname = "ApiLogout"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Logout",)
    description = "Log out and clear session data."
    token = "csrf"
    write = False
    read = False
    examples = (("action=logout&token=123ABC", "Log the current user out."),)

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        session = ctx.session
        if session.user_id and not session.bot_app:
            ctx.wiki.users.forget_remember_token(session.user_id)
        if session.id is not None or session.user_id:
            session.reset()
