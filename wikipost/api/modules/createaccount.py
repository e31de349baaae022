"""action=createaccount: create an account through AuthManager's API (ApiAMCreateAccount, 1.39).

Only the password provider exists here, so the flow has one step: ``username``, ``password``,
``retype`` (and ``email``, ``realname``, ``reason``) — AuthManager's own fields, not prefixed
and not declared, as in 1.39 — answer ``PASS`` with the name, or ``FAIL`` with ``message`` and
``messagecode``. The checks and the throttle live in ``services.accounts``. The session stays
as it was: the new account logs in on its own, as with MediaWiki's API. ``realname`` is
accepted and not stored (Wikipost keeps no real names).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from wikipost.api.authresponse import fail
from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.services.accounts import CreationMessage, NewAccount

MESSAGE_FORMATS = ("html", "none", "raw", "wikitext")
NOT_IN_PROGRESS = CreationMessage(
    "authmanager-create-not-in-progress",
    "Account creation is not in progress or session data has been lost. Please start again from "
    "the beginning.",
)
FIELDS = ("username", "password", "retype", "email", "realname", "reason")


class CreateAccount(ApiModule):
    name = "createaccount"
    blocking = True  # hashes the password
    prefix = "create"
    classname = "ApiAMCreateAccount"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Account_creation",)
    description = "Create a new user account."
    token = "createaccount"
    write = True
    read = False
    params = (
        Param("requests", "string", multi=True, help="Only use these authentication requests."),
        Param("messageformat", MESSAGE_FORMATS, default="wikitext", help="Format to use for messages."),
        Param("mergerequestfields", "boolean", help="Merge field information for all requests."),
        Param("preservestate", "boolean", help="Preserve state from a failed login attempt."),
        Param("returnurl", "string", help="Return URL for third-party authentication flows."),
        Param("continue", "boolean", help="Continue an earlier UI or REDIRECT response."),
    )
    examples = (
        (
            "action=createaccount&username=Example&password=ExamplePassword&retype=ExamplePassword"
            "&createreturnurl=http://example.org/&createtoken=123ABC",
            "Start the process of creating user Example with the password ExamplePassword.",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        if not params["continue"] and params["returnurl"] is None:
            raise ApiError(
                "missingparam",
                'At least one of the parameters "createcontinue" and "createreturnurl" is required.',
            )
        returnurl = params["returnurl"]
        if returnurl is not None and not urlsplit(returnurl).scheme:
            raise ApiError(
                "badurl_createreturnurl",
                f'Invalid value "{returnurl}" for URL parameter "createreturnurl".',
            )
        request = ctx.request
        fields = {name: request.get(name) for name in FIELDS}
        out: dict[str, Any] = {}
        ctx.result["createaccount"] = out
        if params["continue"]:
            self._fail(out, params, NOT_IN_PROGRESS)
            return
        outcome = ctx.wiki.accounts.create(
            ctx.actor,
            request.client_ip,
            NewAccount(
                username=fields["username"],
                password=fields["password"],
                retype=fields["retype"],
                email=(fields["email"] or "").strip(),
                reason=fields["reason"] or "",
            ),
        )
        if outcome.message is not None:
            self._fail(out, params, outcome.message)
            return
        out.update(status="PASS", username=outcome.user_name)

    @staticmethod
    def _fail(out: dict[str, Any], params: dict[str, Any], message: CreationMessage) -> None:
        fail(out, params["messageformat"], wikitext=message.wikitext, key=message.key, code=message.api_code)
