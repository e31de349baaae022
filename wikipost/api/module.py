"""The module contract: what an Action API module declares, as data.

A module is a class with class attributes (its contract) and one ``execute``. The dispatcher
(``api.main``) enforces the contract in MediaWiki's order; ``action=paraminfo`` and
``action=help`` are generated from the same attributes. Declarations never depend on the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from wikipost.api.params import Param

if TYPE_CHECKING:
    from wikipost.api.context import ApiContext
    from wikipost.settings import Settings


class ApiModule:
    name: ClassVar[str]
    group: ClassVar[str] = "action"  # action | list | meta | prop | format
    prefix: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    token: ClassVar[str | None] = None  # token type, e.g. "csrf"; adds the "token" parameter
    must_be_posted: ClassVar[bool | None] = None  # None: True exactly when a token is needed
    write: ClassVar[bool] = False  # needs writeapi and a writable wiki
    read: ClassVar[bool] = True  # needs the read right
    rights: ClassVar[tuple[str, ...]] = ()  # any one of these, checked after the token
    rights_error: ClassVar[tuple[str, str]] = (
        "permissiondenied",
        "You don't have permission to perform this action.",
    )
    classname: ClassVar[str] = ""
    source: ClassVar[str] = "MediaWiki"
    helpurls: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    examples: ClassVar[tuple[tuple[str, str], ...]] = ()  # (query string, description)
    internal: ClassVar[bool] = False
    deprecated: ClassVar[bool] = False
    # Query submodules: whether it can serve as generator=.
    generator: ClassVar[bool] = False
    # Does slow work (password hashing, resolving a whole delivery list, a large page save):
    # runs in a worker thread so the event loop keeps serving. Fast modules run inline, which
    # spares them a thread hand-off and GIL contention between worker threads.
    blocking: ClassVar[bool] = False

    @classmethod
    def runs_blocking(cls, settings: Settings) -> bool:
        return cls.blocking

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        raise NotImplementedError

    # --- derived declarations -------------------------------------------------------------

    @classmethod
    def path(cls) -> str:
        return cls.name if cls.group == "action" else f"query+{cls.name}"

    @classmethod
    def posted(cls) -> bool:
        return bool(cls.token) if cls.must_be_posted is None else cls.must_be_posted

    @classmethod
    def all_params(cls) -> tuple[Param, ...]:
        if not cls.token:
            return cls.params
        token = Param("token", required=True, sensitive=True, must_post=True, tokentype=cls.token)
        return cls.params + (token,)

    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.all_params():
            if p.name == name:
                return p
        raise KeyError(name)


class QueryModule(ApiModule):
    """A ``list=``, ``meta=`` or ``prop=`` submodule of ``action=query``."""

    group: ClassVar[str] = "list"
