"""Every built-in Action API module, one per file, registered here."""

from wikipost.api.module import ApiModule
from wikipost.api.modules.query import Query
from wikipost.api.modules.query_tokens import QueryTokens

ALL_MODULES: list[type[ApiModule]] = [
    Query,
    QueryTokens,
]
