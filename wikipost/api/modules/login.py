"""action=login: bot-password login, and deprecated main-account login (ApiLogin, 1.39)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.api.result import content
from wikipost.services.login import LoginMessage, LoginOutcome

SAME_ORIGIN = LoginMessage(
    "api-login-fail-sameorigin", "Cannot log in when the same-origin policy is not applied."
)
BAD_SESSION_PROVIDER = LoginMessage(
    "api-login-fail-badsessionprovider",
    "Cannot log in when using MediaWiki\\Session\\BotPasswordSessionProvider sessions.",
)
TOKEN_DEPRECATED = (
    'Fetching a token via "action=login" is deprecated. Use "action=query&meta=tokens&type=login" instead.'
)
MAIN_ACCOUNT_DEPRECATED = (
    'Main-account login via "action=login" is deprecated and may stop working without warning. '
    'To continue login with "action=login", see [[Special:BotPasswords]]. To safely continue '
    'using main-account login, see "action=clientlogin".'
)
MAIN_ACCOUNT_DEPRECATED_NOBOTPW = (
    'Main-account login via "action=login" is deprecated and may stop working without warning. '
    'To log in, use "action=clientlogin".'
)


def message_value(ctx: ApiContext, message: LoginMessage) -> Any:
    """A reason: plain text in the bc error format, else an object like the error formatter's."""
    fmt = ctx.errorformat
    if fmt == "bc":
        return message.text
    if fmt in ("plaintext", "wikitext"):
        return content("text", message.text if fmt == "plaintext" else message.wikitext, code=message.code)
    if fmt == "html":
        return content("html", message.text, code=message.code)
    if fmt == "raw":
        return {"code": message.code, "key": message.code, "params": []}
    return {"code": message.code}


class Login(ApiModule):
    name = "login"
    blocking = True
    prefix = "lg"
    classname = "ApiLogin"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login",)
    description = (
        "Log in and get authentication cookies. This action should only be used in "
        "combination with Special:BotPasswords."
    )
    must_be_posted = True
    write = True  # paraminfo says writerights; any caller with writeapi may log in
    read = False
    params = (
        Param("name", "string"),
        Param("password", "password", sensitive=True, must_post=True),
        Param("domain", "string"),
        Param("token", "string", sensitive=True, must_post=True),
    )
    examples = (("action=login&lgname=user&lgpassword=password&lgtoken=123ABC", "Log in."),)

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        result: dict[str, Any] = {}
        ctx.result["login"] = result
        if ctx.lacks_same_origin:
            result.update(result="Aborted", reason=message_value(ctx, SAME_ORIGIN))
            return
        session, wiki = ctx.session, ctx.wiki
        session.persist()
        if session.bot_app:
            result.update(result="Aborted", reason=message_value(ctx, BAD_SESSION_PROVIDER))
            return
        had_secret = wiki.tokens.has_secret(session, "login")
        token = wiki.tokens.get(session, ctx.actor, "login")
        sent = params["token"]
        if not sent:
            result.update(result="NeedToken", token=token)
            ctx.deprecation(self.path(), TOKEN_DEPRECATED)
            return
        if not had_secret:
            result.update(
                result="Failed",
                reason=message_value(
                    ctx,
                    LoginMessage(
                        "sessionlost", "Unable to continue login. Your session most likely timed out."
                    ),
                ),
            )
            return
        if not wiki.tokens.check(session, ctx.actor, "login", sent):
            result["result"] = "WrongToken"
            return
        ip = ctx.request.client_ip
        name, password = params["name"], params["password"]
        outcome: LoginOutcome | None = None
        if name and password:
            outcome = wiki.login.bot_password_login(name, password, ip)
        if outcome is None:
            outcome = wiki.login.main_login(name, password, ip)
            if outcome.ok:
                ctx.deprecation(
                    self.path(),
                    MAIN_ACCOUNT_DEPRECATED
                    if wiki.settings.users.enable_bot_passwords
                    else MAIN_ACCOUNT_DEPRECATED_NOBOTPW,
                )
        if not outcome.ok or outcome.user is None:
            assert outcome.message is not None
            result.update(result="Failed", reason=message_value(ctx, outcome.message))
            return
        user = outcome.user
        session.login(user.id, outcome.bot_app)
        if outcome.bot_app is None:
            session.remember = (user.id, user.name, wiki.users.new_remember_token(user.id))
        result.update(result="Success", lguserid=user.id, lgusername=user.name)
