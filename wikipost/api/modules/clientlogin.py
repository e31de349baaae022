"""action=clientlogin: main-account login through AuthManager's API (ApiClientLogin, 1.39).

Only the password provider exists here: ``username`` + ``password`` answer ``PASS`` or ``FAIL``
with ``message`` and ``messagecode`` (mwapi reads both). Bot passwords do not work here, as in
MediaWiki: ``User@App`` is not an account, so it fails like a wrong password.
"""

from __future__ import annotations

from typing import Any

from wikipost.api.authresponse import fail
from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.services.login import LoginMessage

MESSAGE_FORMATS = ("html", "none", "raw", "wikitext")
CANNOT_CHANGE_USER = LoginMessage(
    "cannotloginnow-text",
    "Login is not possible when using MediaWiki\\Session\\BotPasswordSessionProvider sessions.",
)


class ClientLogin(ApiModule):
    name = "clientlogin"
    blocking = True
    prefix = "login"
    classname = "ApiClientLogin"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login",)
    description = "Log in to the wiki using the interactive flow."
    token = "login"
    write = True
    read = False
    params = (
        Param("requests", "string", multi=True),
        Param("messageformat", MESSAGE_FORMATS, default="wikitext"),
        Param("mergerequestfields", "boolean"),
        Param("preservestate", "boolean"),
        Param("returnurl", "string"),
        Param("continue", "boolean"),
    )
    examples = (
        (
            "action=clientlogin&username=Example&password=ExamplePassword&"
            "loginreturnurl=http://example.org/&logintoken=123ABC",
            "Start the process of logging in.",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        if not params["continue"] and params["returnurl"] is None:
            raise ApiError(
                "missingparam",
                'At least one of the parameters "logincontinue" and "loginreturnurl" is required.',
            )
        request, wiki = ctx.request, ctx.wiki
        # AuthManager's own fields are not prefixed and not declared (templated by providers).
        username = request.get("username")
        password = request.get("password")
        request.has("rememberMe")
        request.has("domain")
        out: dict[str, Any] = {}
        ctx.result["clientlogin"] = out
        if params["continue"]:
            self._fail(
                out,
                params,
                LoginMessage(
                    "authmanager-authn-not-in-progress",
                    "Authentication is not in progress or session data has been lost. Please start "
                    "again from the beginning.",
                ),
            )
            return
        if ctx.session.bot_app:
            self._fail(out, params, CANNOT_CHANGE_USER)
            return
        outcome = wiki.login.main_login(username, password, request.client_ip)
        if not outcome.ok or outcome.user is None:
            assert outcome.message is not None
            self._fail(out, params, outcome.message)
            return
        user = outcome.user
        ctx.session.login(user.id)
        if request.has("rememberMe"):
            ctx.session.remember = (user.id, user.name, wiki.users.new_remember_token(user.id))
        out.update(status="PASS", username=user.name)

    @staticmethod
    def _fail(out: dict[str, Any], params: dict[str, Any], message: LoginMessage) -> None:
        fail(out, params["messageformat"], wikitext=message.wikitext, key=message.code, code=message.code)
