"""Everything one API request's modules may use, passed to ``execute``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wikipost.actor import Actor
from wikipost.api.errors import ApiMessage
from wikipost.api.request import ApiRequest

if TYPE_CHECKING:
    from wikipost.api.registry import Registry
    from wikipost.db.commitgroup import CommitGroup
    from wikipost.services.sessions import Session
    from wikipost.wiki import Wiki


@dataclass
class ApiContext:
    wiki: Wiki
    registry: Registry
    request: ApiRequest
    session: Session
    actor: Actor
    result: dict[str, Any] = field(default_factory=dict)
    warnings: list[ApiMessage] = field(default_factory=list)
    module_path: str = "main"
    formatversion: int = 1
    errorformat: str = "bc"
    # True for origin=*, callback= or Treat-as-Untrusted: anonymous, no tokens, no login.
    lacks_same_origin: bool = False
    response_headers: dict[str, str] = field(default_factory=dict)
    # Limits given as "max", by module name: reported as "limits" when the module runs (ApiBase).
    parsed_limits: dict[str, int] = field(default_factory=dict)
    # action=query: the pages titles=/pageids=/revids=/generator= resolved to (a
    # services.pageset.Resolved), and whether a prop module stopped early (no batchcomplete).
    pageset: Any = None
    batch_incomplete: bool = False
    # Top-level result keys that existed when the first warning was added. MediaWiki adds
    # "warnings", "continue" and "batchcomplete" on top of the result, so whichever of them
    # came later comes first in the output (see ApiMain._success).
    keys_before_warnings: frozenset[str] | None = None
    # Set when the request runs on the event loop: a module may then stage its write for the
    # loop's group commit (wikipost/db/commitgroup.py) and finish after it (see defer()).
    commits: CommitGroup | None = None
    pending: tuple[asyncio.Future[Any], Callable[[], None]] | None = None

    def defer(self, future: asyncio.Future[Any], then: Callable[[], None]) -> None:
        """Finish this module with ``then()`` once ``future`` is done (errors raised there are
        the module's errors, as if ``execute`` had raised them)."""
        self.pending = (future, then)

    def warn(self, module: str | None, code: str, text: str, **data: Any) -> None:
        """Add a warning, once: MediaWiki does not repeat an identical line."""
        path = module or self.module_path
        for w in self.warnings:
            if w.module == path and w.code == code and w.text == text:
                return
        if self.keys_before_warnings is None:
            self.keys_before_warnings = frozenset(self.result)
        self.warnings.append(ApiMessage(code, text, dict(data), module=path))

    def deprecation(self, module: str | None, text: str) -> None:
        """A deprecation warning, plus the mailing-list line MediaWiki adds to ``main``."""
        # Observed in every 1.39 transcript: "main" comes before the deprecating module.
        # A deprecation of main itself keeps its own line first (emailuser.post_without_content_type).
        if (module or self.module_path) == "main":
            self.warn("main", "deprecation", text)
        self.warn("main", "deprecation-help", DEPRECATION_HELP)
        self.warn(module, "deprecation", text)


DEPRECATION_HELP = (
    "Subscribe to the mediawiki-api-announce mailing list at "
    "<https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/> "
    "for notice of API deprecations and breaking changes."
)
