"""Compare Wikipost's answers with the MediaWiki 1.39 transcripts (tests/fixtures/conformance).

The transcripts are JSONL records ``{seq, name, method, url, params, form, raw_body, status,
headers, body, ...}`` (see the README there). This module loads them, replays a record's
request against a client, and compares the answer's *shape*: the same keys in the same order,
the same types, and the same values except those the README lists as naturally different
(token values, timestamps, session cookies, ``servedby``), plus whatever a caller says varies
(ids, counters).

Typical use::

    rec = record("tokens.invalid_type.anon")
    response = replay(client, rec)
    assert_conforms(rec, response)                      # status, error header, body shape
    assert_conforms(rec, response, vary={"pageid"})     # ids differ on our side
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.conformance.compare import key_differences, kind_of

FIXTURES = Path(__file__).parent / "fixtures" / "conformance"
TRANSCRIPTS = ("mediawiki-1.39.transcript.jsonl", "mediawiki-1.39.pages.transcript.jsonl")

ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TOKEN = re.compile(r"^([0-9a-f]{32,40})?\+\\$")
# Keys whose values differ between any two runs (README "What naturally differs").
NATURALLY_DIFFERENT = frozenset(
    {"servedby", "curtimestamp", "time", "timestamp", "touched", "newtimestamp", "starttimestamp"}
)


@cache
def load_records(filename: str) -> tuple[dict[str, Any], ...]:
    """Every record of one transcript file, in order (summary records included)."""
    with (FIXTURES / filename).open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle if line.strip())


def records(prefix: str = "", files: Iterable[str] = TRANSCRIPTS) -> list[dict[str, Any]]:
    """Request records whose name starts with ``prefix``, from the given transcript files."""
    return [r for f in files for r in load_records(f) if "method" in r and r["name"].startswith(prefix)]


def record(name: str, files: Iterable[str] = TRANSCRIPTS) -> dict[str, Any]:
    """The first record called ``name``."""
    for rec in records(name, files):
        if rec["name"] == name:
            return rec
    raise KeyError(name)


FORM = "application/x-www-form-urlencoded"


def replay(
    client: Any,
    rec: dict[str, Any],
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    raw_content_type: str | None = FORM,
) -> Any:
    """Send a record's request with an httpx-like ``client`` (e.g. Starlette's TestClient).

    ``token`` replaces the recorded token value (ours differ). A ``raw_body`` record is sent
    byte for byte with ``raw_content_type`` (None: no Content-Type header at all, as in
    ``emailuser.post_without_content_type``).
    """
    url = urlsplit(rec["url"])
    path = url.path + (f"?{url.query}" if url.query else "")
    if rec.get("form") is not None:
        form = dict(rec["form"])
        if token is not None and "token" in form:
            form["token"] = token
        return client.request(rec["method"], path, data=form, headers=headers)
    if rec.get("raw_body") is not None:
        sent = dict(headers or {})
        if raw_content_type is not None:
            sent.setdefault("Content-Type", raw_content_type)
        return client.request(rec["method"], path, content=rec["raw_body"].encode(), headers=sent)
    return client.request(rec["method"], path, headers=headers)


def _is_varying_value(key: str | None, value: Any) -> bool:
    if key in NATURALLY_DIFFERENT:
        return True
    if isinstance(value, str):
        if ISO_TIMESTAMP.match(value):
            return True
        if key is not None and key.endswith("token") and TOKEN.match(value):
            return True
    return False


def compare(
    expected: Any,
    actual: Any,
    *,
    vary: Iterable[str] = (),
    check_order: bool = True,
    ignore: Callable[[str, Any], bool] | None = None,
    path: str = "$",
) -> list[str]:
    """Differences between two JSON values, as readable lines (empty when they conform).

    * dict keys must match exactly, and in the same order when ``check_order``;
    * values under keys in ``vary`` (and naturally different ones) need only the same type;
    * ``ignore(path, expected_value)`` may skip any subtree.
    """
    vary = frozenset(vary)
    problems: list[str] = []

    def walk(exp: Any, act: Any, where: str, key: str | None) -> None:
        if ignore is not None and ignore(where, exp):
            return
        if isinstance(exp, dict):
            if not isinstance(act, dict):
                problems.append(f"{where}: expected an object, got {kind_of(act)}")
                return
            problems.extend(key_differences(exp, act, where))
            common_exp = [k for k in exp if k in act]
            common_act = [k for k in act if k in exp]
            if check_order and common_exp != common_act:
                problems.append(f"{where}: key order {common_act} != expected {common_exp}")
            for k in common_exp:
                walk(exp[k], act[k], f"{where}.{k}", k)
            return
        if isinstance(exp, list):
            if not isinstance(act, list):
                problems.append(f"{where}: expected a list, got {kind_of(act)}")
                return
            if len(exp) != len(act):
                problems.append(f"{where}: expected {len(exp)} items, got {len(act)}")
            for i, (e, a) in enumerate(zip(exp, act, strict=False)):
                walk(e, a, f"{where}[{i}]", key)
            return
        if key in vary or _is_varying_value(key, exp):
            if kind_of(exp) != kind_of(act):
                problems.append(f"{where}: expected a {kind_of(exp)}, got {act!r}")
            return
        if exp != act or kind_of(exp) != kind_of(act):
            problems.append(f"{where}: expected {exp!r}, got {act!r}")

    walk(expected, actual, path, None)
    return problems


def compare_response(rec: dict[str, Any], response: Any, **options: Any) -> list[str]:
    """Status, ``MediaWiki-API-Error`` header, content type and body shape of one answer."""
    problems: list[str] = []
    if response.status_code != rec["status"]:
        problems.append(f"status {response.status_code} != {rec['status']}")
    want_error = (rec.get("headers") or {}).get("mediawiki-api-error")
    got_error = response.headers.get("mediawiki-api-error")
    if want_error != got_error:
        problems.append(f"MediaWiki-API-Error {got_error!r} != {want_error!r}")
    want_type = ((rec.get("headers") or {}).get("content-type") or "").lower()
    got_type = response.headers.get("content-type", "").lower()
    if want_type.split(";")[0] != got_type.split(";")[0]:
        problems.append(f"content-type {got_type!r} != {want_type!r}")
    body = rec.get("body")
    if isinstance(body, dict | list):
        try:
            actual = response.json()
        except ValueError:
            problems.append("body is not JSON")
        else:
            problems += compare(body, actual, **options)
    return problems


def assert_conforms(rec: dict[str, Any], response: Any, **options: Any) -> None:
    problems = compare_response(rec, response, **options)
    assert not problems, f"{rec['name']} differs from MediaWiki 1.39:\n" + "\n".join(problems)
