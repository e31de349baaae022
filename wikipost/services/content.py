"""Content models and formats (pages.md §2.11): which formats a model takes, JSON validation and
the stored form of JSON content."""

from __future__ import annotations

import json
from typing import Any

from wikipost.services import massmessage_lists

MASSMESSAGE_LIST = "MassMessageListContent"
CONTENT_MODELS = (MASSMESSAGE_LIST, "css", "javascript", "json", "text", "unknown", "wikitext")
CONTENT_FORMATS = (
    "application/json",
    "application/octet-stream",
    "application/unknown",
    "application/x-binary",
    "text/css",
    "text/javascript",
    "text/plain",
    "text/unknown",
    "text/x-wiki",
    "unknown/unknown",
)
MODEL_FORMATS: dict[str, tuple[str, ...]] = {
    "wikitext": ("text/x-wiki",),
    "javascript": ("text/javascript",),
    "css": ("text/css",),
    "json": ("application/json",),
    "text": ("text/plain",),
    MASSMESSAGE_LIST: ("application/json",),
    "unknown": ("unknown/unknown",),
}
JSON_MODELS = {"json", MASSMESSAGE_LIST}
TEXT_MODELS = {"wikitext", "javascript", "css", "text"}


class ContentError(ValueError):
    def __init__(self, code: str, info: str) -> None:
        self.code = code
        self.info = info
        super().__init__(info)


def default_format(model: str) -> str:
    return MODEL_FORMATS.get(model, ("text/plain",))[0]


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ContentError("invalid-json-data", "Invalid JSON: Syntax error") from None


def encode_json(value: Any) -> str:
    """FormatJson::encode with tab indentation, as PHP prints it (numbers, ``<>&`` escaped,
    UTF-8 and ``/`` kept): one serialiser with the delivery lists'."""
    return massmessage_lists.php_json(value)


def validate(model: str, text: str, titles: Any) -> str:
    """The stored form of ``text`` for ``model``; raises ContentError when it is not valid."""
    if model not in JSON_MODELS:
        return text
    if model == MASSMESSAGE_LIST:
        try:
            return massmessage_lists.normalize_list_text(text, titles)
        except massmessage_lists.ListContentError as err:
            raise ContentError(err.code, err.info) from None
    return encode_json(parse_json(text))


def stored_form(model: str, text: str) -> str:
    """Best-effort normalisation without validation (used by the service-level save)."""
    if model not in JSON_MODELS:
        return text
    try:
        # Text that was validated is in the stored form already, where -0.0 reads "-0": keep it
        # a float so that encoding again changes nothing.
        return encode_json(json.loads(text, parse_int=_int_keeping_negative_zero))
    except (ValueError, RecursionError):
        return text


def _int_keeping_negative_zero(digits: str) -> int | float:
    return -0.0 if digits == "-0" else int(digits)
