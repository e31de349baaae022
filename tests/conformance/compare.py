"""Compare one of our answers with a transcript record: status, error codes, texts, body shape.

What naturally differs (tests/fixtures/conformance/README.md) is not compared: token values,
timestamps, Message-IDs, cookie values, ``servedby``, request ids, ids of pages, revisions, logs
and recent changes (a selection was replayed, so counters need not line up), ``sha1`` and
``touched``. Everything else must be equal: the same keys, the same list lengths, the same
strings and numbers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(r"^[0-9a-f]{40}\+\\$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$|^\d{14}$")
REQUEST_ID = re.compile(r"\[[0-9a-f]{20,}\]|\b[0-9a-f]{24}\b")
# Keys whose values differ from run to run; only the kind of value is compared.
VOLATILE_KEYS = frozenset(
    {
        "servedby",
        "curtimestamp",
        "newtimestamp",
        "timestamp",
        "touched",
        "sha1",
        "requestid",
        "starttimestamp",
        "time",
        "expiry_time",
        "token",
        "logintoken",
        "csrftoken",
        "lguserid",
        "messageid",
        "cookieprefix",
        "sessionid",
        "blockedtimestampformatted",
    }
)
ID_KEY = re.compile(
    r"(lg|ns)?(user|page|rev|oldrev|newrev|parent|log|rc|block|blockedby|cmpage|pl|rcuser|lastrev"
    r"|old_rev)?id|logpage"
)
# Continuation values embed timestamps and page/revision/log/rc ids ("20261124204940|27",
# "page|<sortkey hex>|35"): their numeric parts vary like the ids and timestamps themselves.
CONTINUE_KEY = re.compile(r"[a-z]*continue")
NUMBER = re.compile(r"\d+")
# Signatures (~~~~) write the date of the save, and MassMessage's hidden comment names the list's
# revision id (fixtures README: both vary from run to run).
SIGNATURE_DATE = re.compile(r"\d{2}:\d{2}, \d{1,2} [A-Z][a-z]+ \d{4} \(UTC\)")
OLDID = re.compile(r"([?&]oldid=)\d+")
# Keys whose numbers are counters of a whole run (a selection was replayed).
COUNTER_KEYS = frozenset(
    {"pages", "articles", "edits", "jobs", "activeusers", "users", "images", "admins", "editcount"}
)
MAX_DIFFS = 4


@dataclass
class Outcome:
    matched: bool
    diffs: list[str] = field(default_factory=list)


def kind_of(value: Any) -> str:
    """A JSON value's kind as the diffs name it (booleans are not numbers)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def key_differences(expected: dict[str, Any], got: dict[str, Any], path: str) -> list[str]:
    """The missing and unexpected keys of an object, as diff lines."""
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    return ([f"{path}: missing keys {missing}"] if missing else []) + (
        [f"{path}: unexpected keys {extra}"] if extra else []
    )


def _short(value: Any, limit: int = 90) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compare_values(expected: Any, got: Any, path: str, diffs: list[str], key: str = "") -> None:
    if len(diffs) >= MAX_DIFFS:
        return
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            diffs.append(f"{path}: expected an object, got {_short(got)}")
            return
        if key == "pages" and _keyed_by_page_id(expected) and _keyed_by_page_id(got):
            # formatversion=1 keys query.pages by page id, which varies: pair pages by title.
            expected, got = _by_title(expected), _by_title(got)
        diffs += key_differences(expected, got, path)
        for k in expected:
            if k in got:
                compare_values(expected[k], got[k], f"{path}.{k}", diffs, k)
        return
    if isinstance(expected, list):
        if not isinstance(got, list):
            diffs.append(f"{path}: expected a list, got {_short(got)}")
            return
        if len(expected) != len(got):
            diffs.append(f"{path}: expected {len(expected)} items, got {len(got)}: {_short(got)}")
            return
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            compare_values(e, g, f"{path}[{i}]", diffs, key)
        return
    if kind_of(expected) != kind_of(got):
        diffs.append(f"{path}: expected {_short(expected)}, got {_short(got)}")
        return
    if key in VOLATILE_KEYS or ID_KEY.fullmatch(key) or key in COUNTER_KEYS:
        return
    if isinstance(expected, str):
        if expected == got or _volatile_string(expected) and _volatile_string(got):
            return
        if CONTINUE_KEY.fullmatch(key) and NUMBER.sub("0", expected) == NUMBER.sub("0", got):
            return
        if _stable_text(expected) == _stable_text(got):
            return
        if REQUEST_ID.sub("<id>", expected) == REQUEST_ID.sub("<id>", got) and "internal" in path:
            return
        diffs.append(f"{path}: expected {_short(expected)}, got {_short(got)}")
        return
    if expected != got:
        diffs.append(f"{path}: expected {_short(expected)}, got {_short(got)}")


def _keyed_by_page_id(value: dict[str, Any]) -> bool:
    return bool(value) and all(
        re.fullmatch(r"-?\d+", k) and isinstance(v, dict) and "title" in v for k, v in value.items()
    )


def _by_title(pages: dict[str, Any]) -> dict[str, Any]:
    """Pages keyed by title; a missing page (negative key) keeps that mark in its key."""
    return {("missing:" if k.startswith("-") else "") + str(v["title"]): v for k, v in pages.items()}


def _stable_text(value: str) -> str:
    return OLDID.sub(r"\1<id>", SIGNATURE_DATE.sub("<date>", value))


def _volatile_string(value: str) -> bool:
    return bool(TOKEN.match(value) or TIMESTAMP.match(value))


VOLATILE_TEXT = [
    (re.compile(r"[0-9a-f]{40}\+\\\\?"), "<token>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"), "<timestamp>"),
    (re.compile(r'(servedby|curtimestamp)="[^"]*"'), r'\1="…"'),
    (re.compile(r'([a-z]*continue)="[^"]*"'), lambda m: NUMBER.sub("0", m.group(0))),
    (
        re.compile(r'\b(logid|pageid|logpage|revid|rcid|old_revid|lastrevid|parentid|userid)="\d+"'),
        r'\1="<id>"',
    ),
]


def normalize_text(text: str) -> str:
    for pattern, replacement in VOLATILE_TEXT:
        text = pattern.sub(replacement, text)
    return text.strip()


def media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def compare_response(record: dict[str, Any], status: int, headers: dict[str, str], body_text: str) -> Outcome:
    """Our answer (status, lower-cased headers, raw body) against the record's."""
    diffs: list[str] = []
    if record["status"] != status:
        diffs.append(f"status: expected {record['status']}, got {status}")
    expected_headers = record.get("headers") or {}
    want_type = media_type(expected_headers.get("content-type"))
    got_type = media_type(headers.get("content-type"))
    if want_type and want_type != got_type:
        diffs.append(f"content-type: expected {want_type}, got {got_type or '(none)'}")
    want_error = expected_headers.get("mediawiki-api-error")
    got_error = headers.get("mediawiki-api-error")
    if (want_error or None) != (got_error or None):
        diffs.append(f"MediaWiki-API-Error: expected {want_error}, got {got_error}")
    if bool(expected_headers.get("retry-after")) != bool(headers.get("retry-after")):
        diffs.append(
            f"Retry-After: expected {expected_headers.get('retry-after')}, got {headers.get('retry-after')}"
        )
    expected = record.get("body")
    if isinstance(expected, dict | list):
        try:
            got = json.loads(body_text)
        except ValueError:
            diffs.append(f"body: expected JSON, got {_short(body_text)}")
        else:
            compare_values(expected, got, "body", diffs)
    elif isinstance(expected, str) and want_type.endswith("xml"):
        if normalize_text(expected) != normalize_text(body_text):
            diffs.append(
                f"body: expected {_short(normalize_text(expected))}, got {_short(normalize_text(body_text))}"
            )
    # HTML pages (jsonfm and friends) are compared by status and content type only.
    return Outcome(matched=not diffs, diffs=diffs[:MAX_DIFFS])
