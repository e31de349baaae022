"""API errors are exceptions carrying MediaWiki's wire code; only api.main renders them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiMessage:
    """One error or warning: a code, its English text and optional machine data.

    ``key``/``params`` serve ``errorformat=raw``; ``wikitext`` and ``html`` default to ``text``.
    """

    code: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    params: list[Any] = field(default_factory=list)
    wikitext: str | None = None
    html: str | None = None
    module: str | None = None


class ApiError(Exception):
    """A failed request. ``messages`` holds every error; the bc format shows the first."""

    def __init__(
        self,
        code: str,
        text: str,
        data: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        params: list[Any] | None = None,
        http_status: int = 200,
        headers: dict[str, str] | None = None,
        module: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {text}")
        self.messages = [
            ApiMessage(
                code, text, dict(data or {}), key or f"apierror-{code}", list(params or []), module=module
            )
        ]
        self.http_status = http_status
        self.headers = dict(headers or {})

    @classmethod
    def many(cls, messages: list[ApiMessage], *, http_status: int = 200) -> ApiError:
        if not messages:
            raise ValueError("ApiError.many needs at least one message")
        err = cls(messages[0].code, messages[0].text)
        err.messages = list(messages)
        err.http_status = http_status
        return err

    @property
    def code(self) -> str:
        return self.messages[0].code

    @property
    def info(self) -> str:
        return self.messages[0].text


def missingparam(name: str) -> ApiError:
    return ApiError("missingparam", f'The "{name}" parameter must be set.', params=[name])


def badvalue(name: str, value: str) -> ApiError:
    return ApiError("badvalue", f'Unrecognized value for parameter "{name}": {value}.')


def permissiondenied(action_text: str = "perform this action") -> ApiError:
    return ApiError("permissiondenied", f"You don't have permission to {action_text}.")


class ContractError(AssertionError):
    """A module's declarations contradict each other: a programming error found at start-up."""
