"""Answers put into a form that does not depend on the order of mass-message deliveries.

MediaWiki runs the delivery jobs in random order (fixtures README, "What naturally differs"), so
which delivery created a talk page, the order of the delivery revisions, log entries and recent
changes, and the running sizes all vary from run to run. What does not vary is what each delivery
did: the section it appended, its comment, tags and flags, the entries it logged. Both the
expected and our answer are rewritten the same way before they are compared:

* in a list of log entries, recent changes or revisions, the items made by the delivery account
  are sorted and put after the other items (which keep their order);
* a delivery revision's ``content`` becomes the text it appended (without the blank line that
  separates it from the previous section) and its ``size`` that text's length in bytes — when
  the size was the length of the whole text; a size that was not stays as it was and fails the
  comparison, so sizes are still compared exactly;
* a delivery recent change's ``type``/``new``/``oldlen``/``newlen`` become ``added``, the bytes
  its section added (a page-creating delivery writes no separating blank line: 2 bytes less).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conformance.compare import normalize_text

DELIVERER = "MediaWiki message delivery"
XML_DELIVERY_ITEM = re.compile(r'<item\b[^>]*\buser="' + DELIVERER + r'"[^>]*?(?:/>|>.*?</item>)', re.DOTALL)


def canonical(value: Any) -> Any:
    """A copy of an answer body with every delivery-ordered list in canonical form."""
    if isinstance(value, dict):
        return {
            k: _revisions([canonical(r) for r in v])
            if k == "revisions" and isinstance(v, list)
            else canonical(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return (
            _sort_deliveries(items, _recent_change) if _is_rc_list(items) else _sort_deliveries(items, None)
        )
    return value


def _by_deliverer(item: Any) -> bool:
    return isinstance(item, dict) and item.get("user") == DELIVERER


def _sort_deliveries(items: list[Any], project: Any) -> list[Any]:
    """Other items in their order, then the delivery account's items sorted.

    When the jobs ran relative to other requests is timing, so the deliveries' place among the
    other items varies as much as their order among themselves.
    """
    if not any(_by_deliverer(item) for item in items):
        return items
    chosen = [project(item) if project else item for item in items if _by_deliverer(item)]
    chosen.sort(key=lambda item: json.dumps(_orderless(item), sort_keys=True, ensure_ascii=False))
    return [item for item in items if not _by_deliverer(item)] + chosen


def _orderless(item: dict[str, Any]) -> dict[str, Any]:
    """The sort key leaves out ids and timestamps, which follow the delivery order."""
    return {
        k: v for k, v in item.items() if not (k.endswith("id") or k in ("timestamp", "logpage", "parentid"))
    }


def _is_rc_list(items: list[Any]) -> bool:
    return any(_by_deliverer(i) and "oldlen" in i and "newlen" in i for i in items)


def _recent_change(item: dict[str, Any]) -> dict[str, Any]:
    if not ("oldlen" in item and "newlen" in item):
        return item
    out = {k: v for k, v in item.items() if k not in ("type", "new", "oldlen", "newlen")}
    created = item.get("type") == "new"
    out["added"] = int(item["newlen"]) - int(item["oldlen"]) + (2 if created else 0)
    return out


def _content(revision: dict[str, Any]) -> str | None:
    slots = revision.get("slots")
    if isinstance(slots, dict) and isinstance(slots.get("main"), dict):
        text = slots["main"].get("content")
        return text if isinstance(text, str) else None
    text = revision.get("*", revision.get("content"))
    return text if isinstance(text, str) else None


def _with_content(revision: dict[str, Any], text: str) -> dict[str, Any]:
    out = dict(revision)
    if isinstance(out.get("slots"), dict) and isinstance(out["slots"].get("main"), dict):
        out["slots"] = {**out["slots"], "main": {**out["slots"]["main"], "content": text}}
    elif "*" in out:
        out["*"] = text
    else:
        out["content"] = text
    whole = _content(revision)
    if "size" in out and whole is not None and out["size"] == len(whole.encode("utf-8")):
        out["size"] = len(text.encode("utf-8"))
    return out


def _revisions(revisions: list[Any]) -> list[Any]:
    if not any(_by_deliverer(r) for r in revisions):
        return revisions
    out: list[Any] = []
    previous: str | None = None
    for revision in revisions:
        text = _content(revision) if isinstance(revision, dict) else None
        if _by_deliverer(revision) and text is not None:
            appended = text[len(previous) :] if previous and text.startswith(previous) else text
            out.append(_with_content(revision, appended.lstrip("\n")))
        else:
            out.append(revision)
        previous = text if text is not None else previous
    return _sort_deliveries(out, None)


def canonical_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its expected body in canonical form."""
    body = record.get("body")
    if isinstance(body, str):
        return {**record, "body": canonical_xml(body)}
    if not isinstance(body, dict | list):
        return record
    return {**record, "body": canonical(body)}


def canonical_text(text: str) -> str:
    """Our raw answer in canonical form (JSON, or XML's delivery <item>s sorted)."""
    try:
        body = json.loads(text)
    except ValueError:
        return canonical_xml(text)
    return json.dumps(canonical(body), ensure_ascii=False)


def canonical_xml(text: str) -> str:
    """The delivery account's <item> elements (log entries, recent changes) sorted in place."""
    found = list(XML_DELIVERY_ITEM.finditer(text))
    if len(found) < 2:
        return text
    ordered = sorted((m.group(0) for m in found), key=normalize_text)
    out, last = [], 0
    for match, item in zip(found, ordered, strict=True):
        out += [text[last : match.start()], item]
        last = match.end()
    return "".join(out) + text[last:]
