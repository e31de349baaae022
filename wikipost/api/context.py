"""Everything one API request's modules may use, passed to ``execute``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wikipost.actor import Actor
from wikipost.api.errors import ApiMessage
from wikipost.api.request import ApiRequest

if TYPE_CHECKING:
    from wikipost.api.registry import Registry
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

    def warn(self, module: str | None, code: str, text: str, **data: Any) -> None:
        """Add a warning, once: MediaWiki does not repeat an identical line."""
        path = module or self.module_path
        for w in self.warnings:
            if w.module == path and w.code == code and w.text == text:
                return
        self.warnings.append(ApiMessage(code, text, dict(data), module=path))

    def deprecation(self, module: str | None, text: str) -> None:
        self.warn(module, "deprecation", text)
