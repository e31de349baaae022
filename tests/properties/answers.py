"""What every answer of api.php must be, whatever was asked: the fuzzer's oracle.

* never HTTP 5xx, never a traceback, never ``internal_api_error_*`` (an exception the dispatcher
  caught: a bug all the same);
* a well-formed document in the format asked for — JSON parses, JSONP wraps JSON, XML parses,
  PHP serialisation loads with exact string lengths, the ``*fm`` formats wrap one of those in
  HTML, ``none`` is empty; ``action=help`` without ``wrap`` is the HTML help page (1.39's raw
  printer) unless it failed;
* ``MediaWiki-API-Error`` exactly when the document is an error, naming its code(s);
* CORS: an ``origin=`` that does not match the Origin header gets 1.39's plain-text 403.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.properties.phpunserialize import php_unserialize

FORMAT_TYPES = {
    "json": "application/json",
    "xml": "text/xml",
    "php": "application/vnd.php.serialized",
    "none": "text/plain",
}
ALL_FORMATS = ("json", "jsonfm", "none", "php", "phpfm", "rawfm", "xml", "xmlfm")
CORS_REFUSAL = b"'origin' parameter does not match Origin header\n"
HELP_HEADING = '<h1 id="firstHeading">MediaWiki API help</h1>'
_PRETTY = re.compile(r'<pre class="api-pretty-content">(.*)</pre>', re.S)
_FM_FORMAT = re.compile(r"HTML representation of the (JSON|XML|PHP) format")
_JSONP = re.compile(r"/\*\*/[\]\[.'\"_A-Za-z0-9]*\((.*)\)", re.S)


@dataclass
class Answer:
    """An HTTP answer, whichever transport it came over."""

    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    set_cookies: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Asked:
    """What the request asked, as far as the shape of the answer depends on it."""

    method: str
    params: Mapping[str, object] | None  # as the server sees them (ApiCall.effective); None: unknown
    origin_header: str | None
    request: str = ""  # the request as sent, for failure reports


class BadAnswer(AssertionError):
    pass


def _fail(reason: str, answer: Answer, asked: Asked | None = None) -> BadAnswer:
    head = {k: v for k, v in answer.headers.items() if k != "set-cookie"}
    sent = f"\nrequest {asked.request}" if asked is not None else ""
    return BadAnswer(f"{reason}{sent}\nstatus {answer.status} {head}\nbody {answer.body[:600]!r}")


def error_codes(fmt: str, text: str) -> list[str] | None:
    """The error code(s) of a printed document, [] for a success; raises when it does not parse."""
    if fmt == "json":
        data = json.loads(text)
        return _codes_of(data)
    if fmt == "php":
        return _codes_of(php_unserialize(text.encode("utf-8")))
    root = ET.fromstring(text)
    if root.tag != "api":
        raise ValueError(f"XML root is <{root.tag}>")
    error = root.find("error")
    if error is not None:
        return [error.get("code", "")]
    errors = root.find("errors")
    if errors is not None:
        return [e.get("code", "") for e in errors]
    return []


def header_names_codes(header: str | None, codes: list[str]) -> bool:
    """MediaWiki-API-Error lists every error's code once (ApiMain::handleException); the
    document shows them all, or with errorformat=bc only the first."""
    if header is None:
        return False
    listed = header.split(", ")
    return listed == list(dict.fromkeys(codes)) or (len(codes) == 1 and listed[0] == codes[0])


def _codes_of(data: Any) -> list[str]:
    if not isinstance(data, dict):
        raise ValueError(f"top level is {type(data).__name__}, not an object")
    if "error" in data:
        return [data["error"]["code"]]
    if "errors" in data:
        items = data["errors"]
        items = items.values() if isinstance(items, dict) else items
        return [item["code"] for item in items]
    return []


def _document(answer: Answer, fmt: str, callback: bool | None, asked: Asked | None) -> tuple[str, str]:
    """(base format, document text) of an answer printed in ``fmt``; checks the wrapping.

    ``callback``: True when the JSON must be wrapped as JSONP, False when not, None for either.
    """
    ctype = answer.headers.get("content-type", "")
    text = answer.body.decode("utf-8")
    if fmt.endswith("fm"):
        if not ctype.startswith("text/html"):
            raise _fail(f"{fmt} answer is {ctype}", answer, asked)
        match = _PRETTY.search(text)
        named = _FM_FORMAT.search(text)
        if match is None or named is None:
            raise _fail(f"{fmt} answer is not the pretty-printing page", answer, asked)
        base = named.group(1).lower()
        expected = "json" if fmt == "rawfm" else fmt[:-2]
        if base != expected:
            raise _fail(f"{fmt} answer pretty-prints {base}", answer, asked)
        text = html.unescape(match.group(1))
    else:
        base = fmt
        wanted: tuple[str, ...] = ("text/javascript",) if callback and fmt == "json" else (FORMAT_TYPES[fmt],)
        if callback is None and fmt == "json":
            wanted = ("text/javascript", FORMAT_TYPES[fmt])
        if not ctype.startswith(wanted):
            raise _fail(f"format={fmt} answered with Content-Type {ctype!r}", answer, asked)
    if base == "json" and callback is not False:
        match = _JSONP.fullmatch(text)
        if match is None and callback:
            raise _fail("JSONP answer is not /**/name(...)", answer, asked)
        if match is not None:
            text = match.group(1)
    return base, text


def check_answer(asked: Asked, answer: Answer) -> None:
    """Raise BadAnswer when ``answer`` breaks one of the module docstring's rules."""
    body = answer.body
    header = answer.headers.get("mediawiki-api-error")
    if answer.status >= 500:
        raise _fail("HTTP 5xx", answer, asked)
    if b"Traceback (most recent call last)" in body:
        raise _fail("a traceback in the answer", answer, asked)
    if header is not None and "internal_api_error" in header:
        raise _fail("an internal error (caught exception)", answer, asked)
    params = asked.params
    if params is None:
        well_formed(answer, asked)
        return
    origin = params.get("origin")
    if origin is not None and origin != "*" and origin not in (asked.origin_header or "").split():
        if (answer.status, body) != (403, b"" if asked.method == "HEAD" else CORS_REFUSAL):
            raise _fail("origin= not in Origin: expected the CORS 403", answer, asked)
        return
    if asked.method == "OPTIONS":
        if answer.status != 200 or body:
            raise _fail("OPTIONS: expected an empty 200", answer, asked)
        return
    if header is None and answer.status != 200:
        raise _fail(f"HTTP {answer.status} without MediaWiki-API-Error", answer, asked)
    if asked.method == "HEAD":
        if body:
            raise _fail("a body in the answer to HEAD", answer, asked)
        return
    requested = params.get("format")
    fmt = requested if isinstance(requested, str) and requested in ALL_FORMATS else "jsonfm"
    action = params.get("action", "help")
    if action == "help" and "wrap" not in params and header is None:
        ctype = answer.headers.get("content-type", "")
        if not ctype.startswith("text/html") or HELP_HEADING not in body.decode("utf-8"):
            raise _fail("action=help without wrap: expected the HTML help page", answer, asked)
        return
    if fmt == "none":
        if body or not answer.headers.get("content-type", "").startswith("text/plain"):
            raise _fail("format=none: expected an empty text/plain answer", answer, asked)
        return
    # A format parameter MediaWiki refuses (formatversion=3) makes the error printer drop its
    # parameters (ApiMain::handleException, forceDefaultParams): no JSONP then.
    # An unknown format= falls back to jsonfm; whether that printer reads callback= is not a
    # matter of well-formedness (1.39 does, see the report), so either is accepted then.
    printer_ok = params.get("formatversion", "1") in ("1", "2", "latest")
    callback: bool | None = "callback" in params and fmt in ("json", "jsonfm", "rawfm") and printer_ok
    if callback and (fmt != requested or not isinstance(params["callback"], str)):
        callback = None  # a callback= with controls (U+001F) may itself be refused
    base, text = _document(answer, fmt, callback, asked)
    try:
        codes = error_codes(base, text)
    except Exception as exc:
        raise _fail(
            f"the {base} document does not parse: {type(exc).__name__}: {exc}", answer, asked
        ) from None
    if codes and not header_names_codes(header, codes):
        raise _fail(f"error {codes} but MediaWiki-API-Error is {header!r}", answer, asked)
    if not codes and header is not None:
        raise _fail(f"MediaWiki-API-Error {header!r} on a success document", answer, asked)


def _format_of(answer: Answer) -> str | None:
    """The printer an answer came from, judged by its Content-Type and page; None for help."""
    ctype = answer.headers.get("content-type", "")
    if ctype.startswith("text/html"):
        text = answer.body.decode("utf-8")
        named = _FM_FORMAT.search(text)
        if HELP_HEADING in text or named is None:
            return None
        return named.group(1).lower() + "fm"
    if ctype.startswith("text/javascript"):
        return "json"
    return next((fmt for fmt, wanted in FORMAT_TYPES.items() if ctype.startswith(wanted)), "unknown")


def well_formed(answer: Answer, asked: Asked | None = None) -> None:
    """The rules that hold without knowing the request: by the Content-Type alone."""
    header = answer.headers.get("mediawiki-api-error")
    if answer.status >= 500 or b"Traceback (most recent call last)" in answer.body:
        raise _fail("HTTP 5xx or a traceback", answer, asked)
    if header is not None and "internal_api_error" in header:
        raise _fail("an internal error (caught exception)", answer, asked)
    if header is None and answer.status not in (200, 403):
        raise _fail(f"HTTP {answer.status} without MediaWiki-API-Error", answer, asked)
    if not answer.body or (answer.status, answer.body) == (403, CORS_REFUSAL):
        return
    fmt = _format_of(answer)
    if fmt is None:
        if HELP_HEADING not in answer.body.decode("utf-8") or header is not None:
            raise _fail("an HTML answer that is neither the help page nor a *fm page", answer, asked)
        return
    if fmt in ("none", "unknown"):
        raise _fail(f"a body with Content-Type {answer.headers.get('content-type')!r}", answer, asked)
    base, text = _document(answer, fmt, None, asked)
    try:
        codes = error_codes(base, text)
    except Exception as exc:
        raise _fail(
            f"the {base} document does not parse: {type(exc).__name__}: {exc}", answer, asked
        ) from None
    if bool(codes) != (header is not None) or (codes and not header_names_codes(header, codes)):
        raise _fail(f"error {codes} but MediaWiki-API-Error is {header!r}", answer, asked)
