"""action=tokens: the deprecated per-action token module (ApiTokens).

``type=edit|email|…`` answers ``{"tokens": {"edittoken": …}}``; the old per-action names are
all the session's csrf token, the others their meta=tokens value.
"""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.services.tokens import TOKEN_TYPES

LEGACY_CSRF = ("block", "delete", "edit", "email", "import", "move", "options", "protect", "unblock")
TYPES = tuple(sorted(set(LEGACY_CSRF) | set(TOKEN_TYPES)))


class Tokens(ApiModule):
    name = "tokens"
    classname = "ApiTokens"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Tokens_(action)",)
    description = (
        "Get tokens for data-modifying actions. This module is deprecated in favor of "
        "action=query&meta=tokens."
    )
    deprecated = True
    read = False
    params = (Param("type", TYPES, multi=True, default="edit"),)
    examples = (
        ("action=tokens", "Retrieve an edit token (the default)."),
        ("action=tokens&type=email|move", "Retrieve an email token and a move token."),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        ctx.deprecation(
            self.path(), '"action=tokens" has been deprecated. Please use "action=query&meta=tokens" instead.'
        )
        out: dict[str, str] = {}
        if ctx.lacks_same_origin:
            ctx.warn(
                self.path(),
                "tokens-origin",
                "Tokens may not be obtained when the same-origin policy is not applied.",
            )
        else:
            for kind in params["type"]:
                meta_type = "csrf" if kind in LEGACY_CSRF else kind
                out[f"{kind}token"] = ctx.wiki.tokens.get(ctx.session, ctx.actor, meta_type)
        ctx.result["tokens"] = out
