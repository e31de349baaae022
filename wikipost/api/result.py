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
"""

from __future__ import annotations

from typing import Any


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


def to_json_data(value: Any, formatversion: int) -> Any:
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
