"""Compare one of our answers with a transcript record: status, error codes, texts, body shape.

What naturally differs (tests/fixtures/conformance/README.md) is not compared: token values,
timestamps, Message-IDs, cookie values, ``servedby``, request ids, ids of pages, revisions, logs
and recent changes (a selection was replayed, so counters need not line up) and ``touched``.
Everything else must be equal: the same keys, the same list lengths, the same strings and
numbers — sizes, lengths and ``sha1`` exactly, since the replays run on the capture day's clock
(only the time of day of a signature differs, never its length); a ``sha1`` only where its
revision's text carries no signature. HTML answers (``jsonfm``, the help page) are compared by
their title, the pretty-printed result and the warnings comment.
"""

from __future__ import annotations

import html
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
# Signatures (~~~~) write the time of the save — the replays run on the capture day, so only the
# time of day differs — and MassMessage's hidden comment names the list's revision id (fixtures
# README: both vary from run to run).
SIGNATURE_TIME = re.compile(r"\d{2}:\d{2}(?=, \d{1,2} [A-Z][a-z]+ \d{4} \(UTC\))")
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
        signed = _signed(expected)
        for k in expected:
            if k in got and not (k == "sha1" and signed):
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


def _signed(revision: dict[str, Any]) -> bool:
    """Whether a revision's text (as the record shows it) carries a signature's time."""
    slots = revision.get("slots")
    main = slots.get("main") if isinstance(slots, dict) else None
    text = main.get("content") if isinstance(main, dict) else revision.get("content", revision.get("*"))
    return isinstance(text, str) and SIGNATURE_TIME.search(text) is not None


def _keyed_by_page_id(value: dict[str, Any]) -> bool:
    return bool(value) and all(
        re.fullmatch(r"-?\d+", k) and isinstance(v, dict) and "title" in v for k, v in value.items()
    )


def _by_title(pages: dict[str, Any]) -> dict[str, Any]:
    """Pages keyed by title; a missing page (negative key) keeps that mark in its key."""
    return {("missing:" if k.startswith("-") else "") + str(v["title"]): v for k, v in pages.items()}


def _stable_text(value: str) -> str:
    return OLDID.sub(r"\1<id>", SIGNATURE_TIME.sub("<hh:mm>", value))


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
    elif isinstance(expected, str) and want_type == "text/html":
        compare_html(expected, body_text, diffs)
    return Outcome(matched=not diffs, diffs=diffs[:MAX_DIFFS])


HTML_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
HTML_PRETTY = re.compile(r'<pre class="api-pretty-content">(.*?)</pre>', re.DOTALL)
HTML_WARNINGS = re.compile(r"<!-- API warnings and errors:\n(.*?)\n-->", re.DOTALL)


def compare_html(expected: str, got: str, diffs: list[str]) -> None:
    """An HTML answer: its title, the result it pretty-prints and the warnings comment (the
    skin around them is MediaWiki's own and not compared)."""
    parts = (
        ("title", HTML_TITLE, False),
        ("pre", HTML_PRETTY, True),
        ("<!--warnings-->", HTML_WARNINGS, True),
    )
    for part, pattern, is_json in parts:
        want, have = pattern.search(expected), pattern.search(got)
        if want is None or have is None:
            if (want is None) != (have is None):
                diffs.append(f"body.{part}: " + ("missing" if have is None else "unexpected"))
        elif is_json:
            _compare_json_text(
                html.unescape(want.group(1)), html.unescape(have.group(1)), f"body.{part}", diffs
            )
        elif want.group(1) != have.group(1):
            diffs.append(f"body.{part}: expected {_short(want.group(1))}, got {_short(have.group(1))}")


def _compare_json_text(expected: str, got: str, path: str, diffs: list[str]) -> None:
    try:
        want, have = json.loads(expected), json.loads(got)
    except ValueError:
        if expected.strip() != got.strip():
            diffs.append(f"{path}: expected {_short(expected)}, got {_short(got)}")
        return
    compare_values(want, have, path, diffs)
