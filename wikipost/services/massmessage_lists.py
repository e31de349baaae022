"""Delivery lists: the ``MassMessageListContent`` JSON model, ``{{#target:…}}`` wikitext lists,
target strings (``Title@site``) and the list edits of ``action=editmassmessagelist``.

Everything here is pure: titles are parsed by the :class:`TitleParsing` the caller passes (the
wiki's TitleParser), the local site is given explicitly (DECISIONS D2: the local site — host of
the server URL, or the wiki id — is the only valid site).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from json.scanner import make_scanner
from typing import Any, Protocol

import mwparserfromhell

CONTENT_MODEL = "MassMessageListContent"
EMPTY_LIST_TEXT = '{"description":"","targets":[]}'


class TitleLike(Protocol):
    namespace: int
    prefixed_text: str


class TitleParsing(Protocol):
    def parse(self, text: str, default_namespace: int = 0) -> Any: ...


class ListContentError(ValueError):
    """Invalid list content; ``code``/``info`` are action=edit's error."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(info)
        self.code = code
        self.info = info


INVALID_CONTENT = ("invalid-content-data", "Invalid content data")


@dataclass(frozen=True)
class Sites:
    """The site strings that mean "this wiki" (lower-case)."""

    local: tuple[str, ...]

    @classmethod
    def of(cls, host: str, wiki_id: str) -> Sites:
        return cls(tuple(dict.fromkeys(s.lower() for s in (host, wiki_id) if s)))

    def is_local(self, site: str) -> bool:
        return site.lower() in self.local

    @property
    def display(self) -> str:
        return self.local[0] if self.local else ""


@dataclass(frozen=True)
class ListTarget:
    title: str
    site: str | None = None

    def sort_key(self) -> tuple[int, str, str]:
        # Local targets first; then by site, then by title — code-point order is UTF-8 byte order.
        return (0, "", self.title) if self.site is None else (1, self.site, self.title)

    def as_json(self) -> dict[str, str]:
        return {"title": self.title} if self.site is None else {"title": self.title, "site": self.site}


def _parse_title(titles: TitleParsing, text: str) -> Any | None:
    try:
        return titles.parse(text)
    except Exception:  # InvalidTitle (the parser's own exception type)
        return None


# --- the JSON content model ---------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _finite_float(text: str) -> float:
    """A number too large for a float (1e400) is refused: no JSON could store it again."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _php_int(text: str) -> int | float:
    """An integer beyond PHP's 64 bits becomes a float, as json_decode makes it."""
    number = int(text)
    return number if number in _PHP_INT else _finite_float(text)


def decode_json(text: str) -> Any:
    """PHP json_decode: any failure is "Syntax error" (NaN/Infinity are not JSON)."""
    try:
        return json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_php_int
        )
    except (ValueError, RecursionError):
        raise ListContentError("invalid-json-data", "Invalid JSON: Syntax error") from None


def validate_list_data(data: Any, titles: TitleParsing) -> dict[str, Any]:
    """The decoded content if it is a valid list (1.39's rules), else ListContentError."""
    if not isinstance(data, dict) or not isinstance(data.get("description"), str):
        raise ListContentError(*INVALID_CONTENT)
    targets = data.get("targets")
    if not isinstance(targets, list):
        raise ListContentError(*INVALID_CONTENT)
    for item in targets:
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            raise ListContentError(*INVALID_CONTENT)
        if _parse_title(titles, item["title"]) is None:
            raise ListContentError(*INVALID_CONTENT)
    return data


def parse_list_text(text: str, titles: TitleParsing) -> dict[str, Any]:
    """Decode and validate list content (what action=edit checks on every save)."""
    return validate_list_data(decode_json(text), titles)


# --- reading a list one target at a time --------------------------------------------------------
#
# A list of 100,000 targets is a few MB of text but, decoded, 100,000 dicts: a send reads its
# targets from the text one array element at a time instead (json's own scanner for each value,
# so numbers, strings and errors are exactly json.loads's).

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SYNTAX_ERROR = ("invalid-json-data", "Invalid JSON: Syntax error")


def _scanner() -> Any:
    """json's value scanner with decode_json's hooks (one per read: its key memo is per call)."""
    decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_php_int)
    return make_scanner(decoder)  # type: ignore[arg-type]  # typeshed: the context is a decoder


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.scan = _scanner()
        self.after = 0  # where the last array ``elements`` read ended (after "]" and whitespace)

    def skip(self, at: int) -> int:
        match = _WHITESPACE.match(self.text, at)
        assert match is not None  # "*" always matches
        return match.end()

    def expect(self, at: int, char: str) -> int:
        """The offset after ``char`` (and the whitespace after it) at ``at``, else a syntax error."""
        if not self.text.startswith(char, at):
            raise ListContentError(*_SYNTAX_ERROR)
        return self.skip(at + 1)

    def value(self, at: int) -> tuple[Any, int]:
        try:
            value, end = self.scan(self.text, at)
        except (StopIteration, ValueError, RecursionError):
            raise ListContentError(*_SYNTAX_ERROR) from None
        return value, self.skip(end)

    def elements(self, at: int) -> Iterator[Any]:
        """The elements of the array whose ``[`` is at ``at``, one at a time; ``after`` is set
        once the ``]`` is read."""
        at = self.expect(at, "[")
        if self.text.startswith("]", at):
            self.after = self.skip(at + 1)
            return
        while True:
            item, at = self.value(at)
            yield item
            if not self.text.startswith(",", at):
                self.after = self.expect(at, "]")
                return
            at = self.skip(at + 1)


def _valid_entry(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("title"), str)


@dataclass(frozen=True)
class ListText:
    """A delivery list's text, read as decode_json and validate_list_data read it, but without
    decoding its targets all at once: ``scan_list_text`` checks the syntax and the shape,
    ``items``/``usable_titles`` read the targets one by one, ``check_titles`` checks their
    titles (the one check that needs the title parser: a send does it while it normalises)."""

    text: str
    description: str
    targets_at: int  # offset of the "[" of the (last) "targets" value

    def items(self) -> Iterator[dict[str, Any]]:
        yield from _Reader(self.text).elements(self.targets_at)

    def usable_titles(self, sites: Sites, check: TitleParsing | None = None) -> Iterator[str]:
        """usable_targets, in list order. With ``check``, the titles of the entries for other
        sites are checked here (ListContentError); the caller checks the ones it gets."""
        for item in self.items():
            site = item.get("site")
            if not isinstance(site, str) or sites.is_local(site):
                yield item["title"]
            elif check is not None and _parse_title(check, item["title"]) is None:
                raise ListContentError(*INVALID_CONTENT)

    def check_titles(self, titles: TitleParsing) -> None:
        for item in self.items():
            if _parse_title(titles, item["title"]) is None:
                raise ListContentError(*INVALID_CONTENT)


def scan_list_text(text: str) -> ListText:
    """decode_json + validate_list_data except the title checks, holding one target at a time.

    As json_decode reads an object, a key given twice counts with its last value; a syntax
    error anywhere wins over invalid content."""
    reader = _Reader(text)
    at = reader.skip(0)
    if not text.startswith("{", at):
        decode_json(text)  # a syntax error, else valid JSON that is not a list
        raise ListContentError(*INVALID_CONTENT)
    at = reader.expect(at, "{")
    description: Any = None
    targets_at: int | None = None  # None: no "targets", or not a list of valid entries
    while not text.startswith("}", at):
        if not text.startswith('"', at):
            raise ListContentError(*_SYNTAX_ERROR)
        key, at = reader.value(at)
        at = reader.expect(at, ":")
        if key == "targets" and text.startswith("[", at):
            valid = True
            for item in reader.elements(at):  # every element: a syntax error may follow
                valid = valid and _valid_entry(item)
            targets_at, at = (at if valid else None), reader.after
        else:
            value, at = reader.value(at)
            if key == "description":
                description = value
            elif key == "targets":
                targets_at = None
        if not text.startswith(",", at):
            break
        at = reader.skip(at + 1)
        if not text.startswith('"', at):  # no "}" after a comma
            raise ListContentError(*_SYNTAX_ERROR)
    at = reader.expect(at, "}")
    if at != len(text):
        raise ListContentError(*_SYNTAX_ERROR)
    if not isinstance(description, str) or targets_at is None:
        raise ListContentError(*INVALID_CONTENT)
    return ListText(text, description, targets_at)


def serialize_list(data: dict[str, Any]) -> str:
    """The stored form, byte for byte what 1.39 stores (JsonContent::beautifyJSON)."""
    return php_json(data)


def php_json(value: Any) -> str:
    """FormatJson::encode( $value, "\\t", FormatJson::UTF8_OK ), byte for byte: PHP's
    json_encode with pretty printing (its four-space indent turned into tabs), ``/`` and
    non-ASCII characters unescaped, ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and PHP's
    numbers (``100`` for 100.0, ``1.0e-5``, integers past 64 bits as floats)."""
    out: list[str] = []
    _php_json(value, "\n", out)
    return "".join(out)


_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    # JSON_HEX_TAG | JSON_HEX_AMP, and the line terminators JavaScript does not allow in strings.
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_ESCAPED = re.compile('["\\\\<>&\x00-\x1f\u2028\u2029]')
_PHP_INT = range(-(2**63), 2**63)


def _php_json(value: Any, newline: str, out: list[str]) -> None:
    """``value`` as PHP's json_encode prints it, indented by ``newline``'s tabs."""
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + "\t"
        for n, (key, item) in enumerate(value.items()):
            out.append(("{" if n == 0 else ",") + inner + _php_string(str(key)) + ": ")
            _php_json(item, inner, out)
        out.append(newline + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[]")
            return
        inner = newline + "\t"
        for n, item in enumerate(value):
            out.append(("[" if n == 0 else ",") + inner)
            _php_json(item, inner, out)
        out.append(newline + "]")
    elif isinstance(value, str):
        out.append(_php_string(value))
    elif value is None or isinstance(value, bool):
        out.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, int) and value in _PHP_INT:
        out.append(str(value))
    else:  # a float, or an integer too large for PHP (json_decode makes it a float)
        out.append(_php_float(float(value)))


def _php_string(text: str) -> str:
    return (
        '"'
        + _JSON_ESCAPED.sub(lambda m: _JSON_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text)
        + '"'
    )


def _php_float(number: float) -> str:
    """A float as PHP prints it with serialize_precision -1 (php_gcvt of the shortest digits):
    ``100`` for 100.0, ``0.0001``, but ``1.0e-5``, ``1.5e-7`` and ``1.0e+17``."""
    sign = "-" if math.copysign(1.0, number) < 0 else ""
    if number == 0:
        return sign + "0"
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0").rstrip("0")
    # The decimal point sits ``point`` digits into ``digits``: value = 0.DIGITS x 10^point.
    point = int(exponent or 0) + (
        len(whole) if whole != "0" else -(len(fraction) - len(fraction.lstrip("0")))
    )
    if point < -3 or point > 17:
        rest = digits[1:] or "0"
        power = point - 1
        return f"{sign}{digits[0]}.{rest}e{'-' if power < 0 else '+'}{abs(power)}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    whole_part = digits[:point].ljust(point, "0")
    return sign + whole_part + (f".{digits[point:]}" if len(digits) > point else "")


def normalize_list_text(text: str, titles: TitleParsing) -> str:
    """Pre-save transform of a list page: validate, then re-encode in the stored form."""
    return serialize_list(parse_list_text(text, titles))


def stored_targets(data: dict[str, Any]) -> list[ListTarget]:
    out = []
    for item in data.get("targets", []):
        site = item.get("site")
        out.append(ListTarget(item["title"], site if isinstance(site, str) else None))
    return out


def usable_targets(data: dict[str, Any], sites: Sites) -> list[str]:
    """Titles to deliver to: site-less entries and entries naming the local site."""
    return [t.title for t in stored_targets(data) if t.site is None or sites.is_local(t.site)]


def display_targets(data: dict[str, Any], sites: Sites) -> list[str]:
    """prop=mmcontent's strings: ``Title`` or ``Title@site`` (a local title with @ gets the site)."""
    out = []
    for t in stored_targets(data):
        if t.site is not None:
            out.append(f"{t.title}@{t.site}")
        elif "@" in t.title:
            out.append(f"{t.title}@{sites.display}")
        else:
            out.append(t.title)
    return out


# --- target strings (add / remove) ---------------------------------------------------------------


@dataclass(frozen=True)
class ParsedTarget:
    raw: str
    target: ListTarget | None
    invalid_title: bool = False
    invalid_site: bool = False


def parse_target_string(raw: str, titles: TitleParsing, sites: Sites) -> ParsedTarget:
    entry = raw.strip()
    site: str | None = None
    title_text = entry
    if "@" in entry:
        title_text, _, site_text = entry.rpartition("@")
        site = site_text.strip().lower()
    invalid_site = site is not None and (site == "" or not sites.is_local(site))
    title = _parse_title(titles, title_text) if title_text.strip() else None
    invalid_title = (
        title is None
        or getattr(title, "namespace", 0) < 0
        or not getattr(title, "dbkey", "x")
        or bool(getattr(title, "interwiki", ""))
    )
    if title is None or invalid_title or invalid_site:
        return ParsedTarget(raw, None, invalid_title, invalid_site)
    return ParsedTarget(raw, ListTarget(title.prefixed_text))


# --- editmassmessagelist -------------------------------------------------------------------------


@dataclass
class ListChange:
    """The outcome of applying add/remove/description to a list (massmessage.md §9.3)."""

    new_data: dict[str, Any]
    added: list[ListTarget] = field(default_factory=list)
    removed: list[ListTarget] = field(default_factory=list)
    invalid_add: list[ParsedTarget] = field(default_factory=list)
    invalid_remove: list[str] = field(default_factory=list)
    description_changed: bool = False
    description_unchanged: bool = False  # supplied but identical: invaliddescription

    @property
    def needs_edit(self) -> bool:
        return bool(self.added or self.removed or self.description_changed)


def apply_list_edit(
    data: dict[str, Any],
    *,
    add: Sequence[str] | None,
    remove: Sequence[str] | None,
    description: str | None,
    titles: TitleParsing,
    sites: Sites,
) -> ListChange:
    old = stored_targets(data)
    new = list(old)
    change = ListChange(new_data=data)
    if add is not None:
        seen_invalid: set[str] = set()
        for raw in add:
            parsed = parse_target_string(raw, titles, sites)
            if parsed.target is not None:
                new.append(parsed.target)
            elif raw not in seen_invalid:
                seen_invalid.add(raw)
                change.invalid_add.append(parsed)
        new = sorted(dict.fromkeys(new), key=ListTarget.sort_key)
    if remove is not None:
        for raw in remove:
            parsed = parse_target_string(raw, titles, sites)
            if parsed.target is not None and parsed.target in new:
                new.remove(parsed.target)
            elif raw not in change.invalid_remove:
                change.invalid_remove.append(raw)
    old_set, new_set = set(old), set(new)
    change.added = [t for t in new if t not in old_set]
    change.removed = [t for t in old if t not in new_set]
    if description is not None:
        if description != data.get("description"):
            change.description_changed = True
        else:
            change.description_unchanged = True
    if change.needs_edit:
        # Keep any extra keys of entries that stay; new entries are plain {title[, site]}.
        extras = {
            ListTarget(i["title"], i.get("site") if isinstance(i.get("site"), str) else None): i
            for i in data.get("targets", [])
        }
        targets = [_as_php_array(extras[t]) if t in extras else t.as_json() for t in new]
        # MassMessageListContentHandler::edit writes these two keys, in this order, and nothing
        # else of the old content.
        change.new_data = {
            "description": description if change.description_changed else data.get("description"),
            "targets": targets,
        }
    return change


def _as_php_array(value: Any) -> Any:
    """A kept list entry as 1.39 stores it after an editmassmessagelist edit: made a PHP array
    by wfObjectToArray (an empty object becomes ``[]``, an object keyed "0", "1", … in order a
    list), encoded, and decoded again by the edit's pre-save transform (a float printed without
    a point or an exponent, such as ``-0``, comes back an integer)."""
    if isinstance(value, float):
        printed = _php_float(value)
        return int(printed) if printed.lstrip("-").isdigit() else value
    if isinstance(value, list):
        return [_as_php_array(v) for v in value]
    if not isinstance(value, dict):
        return value
    if list(value) == [str(n) for n in range(len(value))]:
        return [_as_php_array(v) for v in value.values()]
    return {k: _as_php_array(v) for k, v in value.items()}


def _number(n: int) -> str:
    return f"{n:,}"


def _one(verb: str, target: ListTarget) -> str:
    if target.site is None:
        return f"{verb} [[:{target.title}]]"
    return f"{verb} {target.title} on {target.site}"


def _pages(n: int) -> str:
    return f"{_number(n)} page" if n == 1 else f"{_number(n)} pages"


def edit_summary(change: ListChange) -> str:
    """The summary of an editmassmessagelist edit (massmessage.md §9.4)."""
    added, removed, desc = change.added, change.removed, change.description_changed
    if added and removed:
        if desc:
            return f"Added {_pages(len(added))}, removed {_pages(len(removed))}, and changed the description"
        return f"Added {_pages(len(added))} and removed {_pages(len(removed))}"
    if added or removed:
        items = added or removed
        verb = "Added" if added else "Removed"
        text = _one(verb, items[0]) if len(items) == 1 else f"{verb} {_pages(len(items))}"
        return f"{text} and changed the description" if desc else text
    return "Changed the description" if desc else ""


# --- wikitext lists: {{#target:Page|site}} -------------------------------------------------------


@dataclass(frozen=True)
class WikitextTarget:
    title: str  # as written (trimmed); normalised at submit
    error: str = ""  # the rendered error when the target is ignored


_TARGET_NAME = re.compile(r"^\s*#target\s*:", re.IGNORECASE)


def wikitext_targets(text: str, titles: TitleParsing, sites: Sites) -> list[WikitextTarget]:
    """Every ``{{#target:…}}`` of a wikitext page, valid or not (errors say why not)."""
    found: list[WikitextTarget] = []
    if "#" not in text:
        return found
    for template in mwparserfromhell.parse(text).filter_templates(recursive=True):
        name = str(template.name)
        match = _TARGET_NAME.match(name)
        if not match:
            continue
        page = name[match.end() :].strip()
        site = ""
        if template.params:
            first = template.params[0]
            site = (f"{first.name}={first.value}" if first.showkey else str(first.value)).strip()
        found.append(_check_wikitext_target(page, site, titles, sites))
    return found


def _check_wikitext_target(page: str, site: str, titles: TitleParsing, sites: Sites) -> WikitextTarget:
    title = _parse_title(titles, page) if page else None
    if title is None:
        return WikitextTarget(page, f'"{page}" is not a valid page title.')
    if site and not sites.is_local(site):
        return WikitextTarget(page, f'"{site}" is not a valid site.')
    if getattr(title, "interwiki", ""):
        return WikitextTarget(
            page,
            f'"{page}" is not a valid page title. Interwiki targets should be specified using '
            "the site parameter (<kbd>|site=www.example.org</kbd>).",
        )
    return WikitextTarget(page)


def valid_wikitext_titles(text: str, titles: TitleParsing, sites: Sites) -> Iterable[str]:
    return (t.title for t in wikitext_targets(text, titles, sites) if not t.error)
