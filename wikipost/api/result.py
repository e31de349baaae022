"""Result data with MediaWiki's ApiResult metadata, and its transformation per format.

Modules build plain dicts and lists. A few metadata keys, named as ApiResult names them, say
what formatversion 1 and XML need to know:

* ``_content``: the key holding an element's text content. fv1 renames it to ``*`` (moved to
  the end, as PHP does); XML prints it as element text with ``xml:space="preserve"``.
* ``_BC_bools``: keys whose booleans stay ``true``/``false`` in fv1. Other booleans become
  ``""`` (true) or disappear (false) in fv1 and XML.
* ``_subelements``: scalar keys XML prints as child elements rather than attributes.
* ``_element`` on a :class:`ResultList` (or a dict of items): the XML tag of list items.
* ``_type: "kvp"`` with ``_kvpkeyname``: a dict whose keys become XML items with a name attribute.

Every key starting with ``_`` is stripped from JSON output.

Every string value is cleaned as ApiResult::validateValue cleans it (UtfNormal's cleanUp): C0
controls other than HT, LF and CR, U+FFFE, U+FFFF and lone surrogates become U+FFFD, and the text
is NFC-normalised — so an echoed value (an unrecognised parameter's name with a NUL in it) can be
printed in every format, XML included. Keys are left alone, as ApiResult leaves them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# What UtfNormal's replaceForNativeNormalize screens out, plus what Python strings can hold and
# UTF-8 cannot (surrogates: invalid bytes kept by the request parser's surrogateescape).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class ResultList(list[Any]):
    """A JSON array whose items are XML elements named ``element``."""

    def __init__(self, items: Any = (), element: str = "_v") -> None:
        super().__init__(items)
        self.element = element


def content(key: str, value: Any, **attrs: Any) -> dict[str, Any]:
    """An element with text content under ``key`` (``*`` in fv1)."""
    out: dict[str, Any] = dict(attrs)
    out[key] = value
    out["_content"] = key
    return out


def clean_text(value: str) -> str:
    """A string as ApiResult stores it: unprintable characters replaced, NFC (see above)."""
    if value.isascii():
        return _UNPRINTABLE.sub("\ufffd", value) if _UNPRINTABLE.search(value) else value
    value = _UNPRINTABLE.sub("\ufffd", value)
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def to_json_data(value: Any, formatversion: int) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return _dict_to_json(value, formatversion)
    if isinstance(value, list | tuple):
        return [to_json_data(v, formatversion) for v in value]
    return value


def _dict_to_json(value: dict[str, Any], fv: int) -> dict[str, Any]:
    content_key = value.get("_content")
    bc_bools = value.get("_BC_bools", ())
    out: dict[str, Any] = {}
    moved: Any = _MISSING
    for key, item in value.items():
        if key.startswith("_"):
            continue
        if fv == 1:
            if isinstance(item, bool) and key not in bc_bools:
                if not item:
                    continue
                item = ""
            if key == content_key and key != "*":
                moved = to_json_data(item, fv)
                continue
        out[key] = to_json_data(item, fv)
    if moved is not _MISSING:
        out["*"] = moved
    return out


_MISSING = object()
