"""Parameter values for the generated requests: valid, boundary and nasty, per schema.

Each parameter's schema in the contract (an enum, an integer range, a limit, a MediaWiki type
such as ``user`` or ``namespace``, a multi-value with its limit) gives valid and boundary
values; nasty values — controls, line breaks, bad UTF-8, separators, numbers at every parser's
edge, rarely a huge value — are invalid for every parameter. A token parameter gets a
:class:`TokenRef`, filled in with the caller's real token when the request is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.properties.contract import FieldSpec


@dataclass(frozen=True)
class TokenRef:
    """A placeholder for the caller's real token of this type (filled in at render time)."""

    type: str


Value = bytes | TokenRef
Pair = tuple[bytes, Value]
USER_NAMES = [
    "Admin",
    "Alice",
    "Bob",
    "Carol",
    "Dave",
    "Erin",
    "Frank",
    "Gina",
    "Nobody",
    "alice",
    "User:Bob",
]
TITLES = ["Main Page", "User:Alice", "User talk:Bob", "Talk:Main Page", "Category:Lists", "Special:Version"]
TIMESTAMPS = ["2024-01-01T00:00:00Z", "20240101000000", "now", "0", "1700000000", "infinite"]
EXPIRIES = ["infinite", "never", "1 week", "2 hours", "2030-01-01T00:00:00Z", "yesterday"]
# Values that break something somewhere: controls, line breaks, bad UTF-8, separators, numbers
# at the edge of every parser, non-NFC text, header-looking text.
NASTY: list[bytes] = [
    b"",
    b"\x00",
    b"a\x00b",
    b"\r\n",
    b"subject\r\nBcc: victim@evil.test",
    b"line\nTo: x@y.z",
    b"\xff\xfe",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\x80abc",
    b"\x1f",
    b"\x1fa\x1fb",
    b"\x1f\x1f\x1f",
    "\u2028\u2029\u0085".encode(),
    "\ufeff\ufffd".encode(),
    "e\u0301".encode(),
    "\U0001f600".encode(),
    b"|",
    b"||||",
    b"*",
    b"max",
    b"-1",
    b"0",
    b"99999999999999999999",
    b"-99999999999999999999",
    b"1e999",
    b" 7 ",
    b"0x10",
    "\uff17".encode(),
    b"%00",
    b"=?UTF-8?Q?a=0D=0ABcc:_x@y?=",
    b"<script>alert(1)</script>",
    b"]]><!--",
    b'";s:1:"x',
    b"{{#target:User talk:Alice}}",
]
HUGE_SIZES = (5_000, 70_000, 300_000)  # the last is over the test wikis' body limit


def nasty_values() -> st.SearchStrategy[bytes]:
    """Invalid for every parameter: odd text, raw bytes, nasty constants, rarely a huge value."""
    units = st.sampled_from([b"a", b"\xff", "\u00e9".encode(), b"|", b"\r\n"])
    huge = st.tuples(units, st.sampled_from(HUGE_SIZES)).map(lambda t: t[0] * t[1])
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=24).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.binary(max_size=16),
        st.integers(0, 29).flatmap(lambda n: huge if n < 2 else st.sampled_from(NASTY)),
    )


NASTY_VALUES = nasty_values()


def _integer_values(schema: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    low = schema.get("minimum")
    high = schema.get("maximum")
    edges = {0, 1, -1}
    for bound in (low, high, schema.get("x-mediawiki-highmax")):
        if bound is not None:
            edges |= {bound - 1, bound, bound + 1}
    inside = st.integers(low if low is not None else -1000, high if high is not None else 100_000)
    return st.one_of(st.sampled_from(sorted(edges)), inside).map(lambda n: str(n).encode())


def _string_values(mwtype: str | None) -> st.SearchStrategy[bytes]:
    """Values of a string-like MediaWiki type: typical ones, and for free text any text."""
    if mwtype == "namespace":  # namespace ids, existing or not
        return st.sampled_from(["0", "1", "2", "3", "-1", "4", "14", "99"]).map(str.encode)
    pools = {"user": USER_NAMES, "title": TITLES, "timestamp": TIMESTAMPS, "expiry": EXPIRIES}
    pool = pools.get(mwtype or "", USER_NAMES + TITLES + ["Hello", "x", "Main Page"])
    words = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
    return st.one_of(st.sampled_from(pool).map(str.encode), words.map(str.encode))


def item_values(schema: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    """Valid and boundary values of one item (a single value, or one of a multi-value's)."""
    if "enum" in schema:
        return st.sampled_from([str(v).encode() for v in schema["enum"]])
    if schema.get("type") == "integer":
        return _integer_values(schema)
    if "anyOf" in schema:  # limit: an integer or "max"
        number = next(s for s in schema["anyOf"] if s.get("type") == "integer")
        return st.one_of(st.just(b"max"), _integer_values(number))
    if schema.get("x-mediawiki-type") == "boolean":
        return st.sampled_from([b"", b"1", b"0", b"false", b"true"])
    return _string_values(schema.get("x-mediawiki-type"))


def multi_values(schema: Mapping[str, Any]) -> st.SearchStrategy[bytes]:
    """Joined with | or U+001F; up to the limit, sometimes one past it (distinct values)."""
    items = item_values(schema["items"])
    limit = int(schema.get("maxItems", 50))
    some = st.lists(items, max_size=6)
    piped = some.map(lambda vs: b"|".join(vs))
    unit_sep = some.map(lambda vs: b"\x1f" + b"\x1f".join(vs))
    too_many = st.just(b"|".join(b"v%d" % i for i in range(limit + 1)))
    extras = [piped, unit_sep, too_many]
    if schema.get("x-mediawiki-allspecifier"):
        extras.append(st.just(b"*"))
    return st.one_of(*extras)


class FieldValues:
    """Each field's value strategy, built once per run (building them per draw is slow).

    ``spare(field)``: fields that get valid values only — those of a known bug, which has a
    property of its own (xfail) until it is fixed.
    """

    def __init__(self, spare: Callable[[FieldSpec], bool] | None = None) -> None:
        self._built: dict[tuple[str, str, bool, bool], st.SearchStrategy[Value]] = {}
        self.spare = spare or (lambda f: False)

    def __call__(self, f: FieldSpec, chaos: bool) -> st.SearchStrategy[Value]:
        chaos = chaos and not self.spare(f)
        key = (f.module, f.name, f.generator, chaos)
        if key not in self._built:
            self._built[key] = field_values(f, chaos)
        return self._built[key]


def field_values(f: FieldSpec, chaos: bool) -> st.SearchStrategy[Value]:
    """Valid and boundary values; with ``chaos`` sometimes nasty ones. A token parameter gets
    the caller's real token (with ``chaos``: mostly)."""
    valid: st.SearchStrategy[Value] = multi_values(f.schema) if f.multi else item_values(f.schema)
    if f.tokentype:
        valid = st.just(TokenRef(f.tokentype))
        return st.one_of(valid, valid, valid, st.just(b"+\\"), NASTY_VALUES) if chaos else valid
    return st.one_of(valid, valid, valid, NASTY_VALUES) if chaos else valid
