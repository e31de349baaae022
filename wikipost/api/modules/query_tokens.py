"""meta=tokens: one token per requested type (ApiQueryTokens)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.services.tokens import TOKEN_TYPES


class QueryTokens(QueryModule):
    name = "tokens"
    group = "meta"
    classname = "ApiQueryTokens"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Tokens",)
    description = "Gets tokens for data-modifying actions."
    read = False
    params = (Param("type", tuple(sorted(TOKEN_TYPES)), multi=True, default="csrf", allow_all=True),)
    examples = (
        ("action=query&meta=tokens", "Retrieve a csrf token (the default)."),
        ("action=query&meta=tokens&type=watch|patrol", "Retrieve a watch token and a patrol token."),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        if ctx.lacks_same_origin:
            ctx.warn(
                self.path(),
                "tokens-origin",
                "Tokens may not be obtained when the same-origin policy is not applied.",
            )
            return
        tokens = {f"{t}token": ctx.wiki.tokens.get(ctx.session, ctx.actor, t) for t in params["type"]}
        query_result(ctx)["tokens"] = tokens
