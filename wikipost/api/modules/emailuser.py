"""action=emailuser (ApiEmailUser): email a user; checks and delivery live in the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.mail.backends.base import DeliveryError
from wikipost.services.emailuser import EmailUserError, EmailUserResult
from wikipost.settings import Settings


class EmailUser(ApiModule):
    name = "emailuser"
    classname = "ApiEmailUser"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Email",)
    description = "Email a user."
    write = True
    token = "csrf"
    params = (
        Param("target", "string", required=True, help="User to send the email to."),
        Param("subject", "string", required=True, help="Subject header."),
        Param("text", "text", required=True, help="Mail body."),
        Param("ccme", "boolean", help="Send a copy of this mail to me."),
    )
    examples = (
        (
            "action=emailuser&target=WikiSysop&text=Content&token=123ABC",
            "Send an email to the user WikiSysop with the text Content.",
        ),
    )

    @classmethod
    def runs_blocking(cls, settings: Settings) -> bool:
        # delivery = "sync" waits for the SMTP server inside the request.
        return settings.mail.delivery == "sync"

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        service = ctx.wiki.emailuser
        args = (
            ctx.actor,
            ctx.request.client_ip,
            params["target"],
            params["subject"],
            params["text"],
            bool(params["ccme"]),
        )
        if ctx.commits is not None and not self.runs_blocking(ctx.wiki.settings):
            try:
                future = service.send_deferred(ctx.commits, *args)
            except EmailUserError as err:
                raise ApiError(err.code, err.text) from None
            ctx.defer(future, lambda: self.report(ctx, future.result))
            return
        self.report(ctx, lambda: service.send(*args))

    @staticmethod
    def report(ctx: ApiContext, outcome_of: Callable[[], EmailUserResult]) -> None:
        try:
            outcome = outcome_of()
        except EmailUserError as err:
            raise ApiError(err.code, err.text) from None
        result: dict[str, Any] = {"result": outcome.result}
        if outcome.errors:
            if ctx.errorformat == "bc":
                result["warnings"] = ResultList([], "warning")
            result["errors"] = ResultList([_error(e, ctx.errorformat) for e in outcome.errors], "error")
        ctx.result["emailuser"] = result


def _error(err: DeliveryError, errorformat: str) -> dict[str, Any]:
    """A transport failure as 1.39 lists it (Status::getErrorsArray / formatted messages)."""
    if errorformat == "bc":
        return {
            "message": "pear-mail-error",
            "params": ResultList([err.reason], "param"),
            "code": "pear-mail-error",
            "type": "error",
        }
    out: dict[str, Any] = {"code": "pear-mail-error"}
    if errorformat == "raw":
        out.update(key="pear-mail-error", params=ResultList([err.reason], "param"))
    elif errorformat == "html":
        out.update(html=err.reason, _content="html")
    else:
        out.update(text=err.reason, _content="text")
    return out
