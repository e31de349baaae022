"""action=checktoken: is a token valid for this session (ApiCheckToken, 1.39)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.clock import iso8601
from wikipost.services.tokens import TOKEN_TYPES


class CheckToken(ApiModule):
    name = "checktoken"
    classname = "ApiCheckToken"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Checktoken",)
    description = "Check the validity of a token from action=query&meta=tokens."
    params = (
        Param("type", tuple(sorted(TOKEN_TYPES)), required=True),
        Param("token", "string", required=True, sensitive=True),
        Param("maxtokenage", "integer"),
    )
    examples = (("action=checktoken&type=csrf&token=123ABC", "Test the validity of a csrf token."),)

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        tokens, token, max_age = ctx.wiki.tokens, params["token"], params["maxtokenage"]
        if token.endswith(" \\"):
            ctx.warn(
                self.path(),
                "checktoken-percentencoding",
                'Check that symbols such as "+" in the token are properly percent-encoded in the URL.',
            )
        res: dict[str, Any] = {}
        if tokens.check(ctx.session, ctx.actor, params["type"], token, max_age=max_age):
            res["result"] = "valid"
        elif max_age is not None and tokens.check(ctx.session, ctx.actor, params["type"], token):
            res["result"] = "expired"
        else:
            res["result"] = "invalid"
        generated = tokens.timestamp(token)
        if generated is not None:
            res["generated"] = iso8601(generated)
        ctx.result["checktoken"] = res
