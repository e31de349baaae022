"""Generated api.php requests: values from the contract, then the transport's odd corners.

A call is built in two steps. :func:`api_calls` draws *what* is asked — an action, its
parameters (valid, boundary and invalid values from each parameter's schema), the main and
format parameters, repeated and malformed names — and *how* it travels: the method, which
parameters go in the query string and which in the body, urlencoded or multipart or a body of
another content type, and a few headers. :meth:`ApiCall.render` then turns it into bytes, with
token placeholders replaced by the real token of the identity the call runs as.

:meth:`ApiCall.effective` says which parameters the server will see (PHP's rules, as
``wikipost/api/request.py`` documents them: the body wins, the last repeat wins, ``a[]`` drops
``a``, ``.`` and space in names become ``_``) for the few that decide the answer's shape:
``format``, ``action``, ``wrap``, ``callback``, ``origin``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

from tests.properties.contract import Contract, FieldSpec, OperationSpec
from tests.properties.values import (
    NASTY_VALUES,
    FieldValues,
    Pair,
    TokenRef,
    item_values,
)

QUERY_VALUE_MAX = 4_000
QUERY_MAX = 48_000
MULTIPART_SAFE_PARTS = 1_000  # app.py reads at most 1000 file parts (and 10000 fields)
FORMAT_VALUES = ["json", "json", "json", "jsonfm", "xml", "xmlfm", "php", "phpfm", "rawfm", "none"]
ODD_CONTENT_TYPES = [
    None,
    "text/plain",
    "application/json",
    "multipart/form-data",
    "application/octet-stream",
    "application/x-www-form-urlencoded; charset=ISO-8859-1",
    "APPLICATION/X-WWW-FORM-URLENCODED",
    "multipart/form-data; boundary=",
    "garbage;;;=",
]
ORIGINS = ["*", "http://127.0.0.1:8081", "https://evil.test", ""]
BOUNDARY = b"wikipostFuzzBoundary7d1c5f"
_UNCLEAN = object()  # a value the server normalises: equal to no name


@dataclass
class ApiCall:
    """One request: parameters in the query string and in the body, and how the body travels."""

    method: str
    query: list[Pair]
    body: list[Pair]
    encoding: str  # "urlencoded", "multipart", "multipart-files", "none" (no body) or "raw"
    content_type: str | None
    headers: list[tuple[str, str]] = field(default_factory=list)
    identity: str = "anon"
    action: str = ""
    chunked: bool = False  # body sent with Transfer-Encoding: chunked (no Content-Length)

    def __repr__(self) -> str:
        def short(pairs: list[Pair]) -> str:
            text = repr(pairs)
            return text if len(text) < 400 else f"{text[:400]}… ({len(pairs)} pairs)"

        body = (
            f", body {self.encoding} {self.content_type!r} {short(self.body)}"
            if self.method == "POST"
            else ""
        )
        return f"ApiCall({self.method} as {self.identity}, query {short(self.query)}{body}, {self.headers!r})"

    def render(self, tokens: Mapping[str, str]) -> tuple[str, list[tuple[str, str]], bytes]:
        """``(path?query, headers, body)`` with each TokenRef replaced by ``tokens[type]``."""

        def fill(pairs: list[Pair]) -> list[tuple[bytes, bytes]]:
            out = []
            for name, value in pairs:
                if isinstance(value, TokenRef):
                    value = tokens.get(value.type, "+\\").encode()
                out.append((name, value))
            return out

        query = urlencode(fill(self.query))
        headers = list(self.headers)
        body = b""
        if self.encoding == "urlencoded" or self.encoding == "raw":
            body = urlencode(fill(self.body)).encode()
        elif self.encoding.startswith("multipart"):
            body = multipart(fill(self.body), files=self.encoding == "multipart-files")
        if self.content_type is not None:
            headers.append(("Content-Type", self.content_type))
        return ("?" + query if query else ""), headers, body

    def body_parsed(self, max_body: int, tokens: Mapping[str, str]) -> bool | None:
        """Whether the server reads the body's parameters (POST, a form type, not too large);
        None when that is not known: a multipart body past the parser's part limits, which
        the server then drops whole (see the report)."""
        if self.method != "POST" or self.content_type is None:
            return False
        if self.encoding.startswith("multipart") and len(self.body) > MULTIPART_SAFE_PARTS:
            return None
        main = self.content_type.split(";")[0].strip().lower()
        if main == "application/x-www-form-urlencoded":
            readable = self.encoding in ("urlencoded", "raw")
        else:  # a multipart type over a body that is not multipart: nothing parses
            readable = main == "multipart/form-data" and self.encoding.startswith("multipart")
        return readable and len(self.render(tokens)[2]) <= max_body

    def effective(self, max_body: int, tokens: Mapping[str, str]) -> dict[str, object] | None:
        """The parameters as the server sees them (unclean values are a sentinel equal to no
        name); None when that cannot be known."""
        values: dict[str, object] = {}
        parsed = self.body_parsed(max_body, tokens)
        if parsed is None:
            return None
        sources = [self.query] + ([self.body] if parsed else [])
        for pairs in sources:
            for raw_name, raw_value in pairs:
                name = _php_name(raw_name)
                if name.endswith("]") and "[" in name and not name.startswith("["):
                    values.pop(name.split("[", 1)[0], None)
                    continue
                values[name] = "token" if isinstance(raw_value, TokenRef) else _clean(raw_value)
        return values


def _php_name(raw: bytes) -> str:
    text = raw.decode("utf-8", "surrogateescape")
    text = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text.replace(".", "_").replace(" ", "_")


def _clean(raw: bytes) -> object:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _UNCLEAN
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return _UNCLEAN
    return text if unicodedata.normalize("NFC", text) == text else _UNCLEAN


def urlencode(pairs: list[tuple[bytes, bytes]]) -> str:
    return "&".join(f"{quote_from_bytes(n, safe='')}={quote_from_bytes(v, safe='')}" for n, v in pairs)


def _multipart_name(name: bytes) -> bytes:
    """A field name as browsers write it in Content-Disposition (HTML's escaping)."""
    return name.replace(b'"', b"%22").replace(b"\r", b"%0D").replace(b"\n", b"%0A")


def multipart(pairs: list[tuple[bytes, bytes]], *, files: bool) -> bytes:
    """A well-formed multipart/form-data body (every part a file part when ``files``)."""
    parts = []
    for name, value in pairs:
        head = b'Content-Disposition: form-data; name="' + _multipart_name(name) + b'"'
        if files:
            head += b'; filename="blob"\r\nContent-Type: application/octet-stream'
        parts.append(b"--" + BOUNDARY + b"\r\n" + head + b"\r\n\r\n" + value + b"\r\n")
    return b"".join(parts) + b"--" + BOUNDARY + b"--\r\n"


def multipart_type() -> str:
    return f"multipart/form-data; boundary={BOUNDARY.decode()}"


# --- values -------------------------------------------------------------------------------------


# --- whole calls ----------------------------------------------------------------------------------


def _module_pairs(draw: st.DrawFn, op: OperationSpec, values: FieldValues, chaos: bool) -> list[Pair]:
    """The action's parameters; for query, chosen submodules with theirs."""
    pairs: list[Pair] = []

    def take(fields: list[FieldSpec], required_too: bool) -> None:
        optional = [f for f in fields if not f.required]
        keep_all = required_too or not chaos
        chosen = [f for f in fields if f.required and (keep_all or draw(st.integers(0, 4)) > 0)]
        if optional:
            chosen += draw(st.lists(st.sampled_from(optional), max_size=5, unique_by=lambda f: f.name))
        for f in chosen:
            pairs.append((f.name.encode(), draw(values(f, chaos))))

    if op.action != "query":
        take(op.own_fields(), required_too=False)
        return pairs
    own = {f.name: f for f in op.own_fields()}
    for group in ("prop", "list", "meta"):
        names = own[group].schema["items"]["enum"]
        chosen = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
        if chosen:
            pairs.append((group.encode(), "|".join(chosen).encode()))
        for name in chosen:
            take(op.submodule_fields(name, generator=False), required_too=True)
    generator = own["generator"].schema["enum"]
    if generator and draw(st.integers(0, 4)) == 0:
        name = draw(st.sampled_from(generator))
        pairs.append((b"generator", name.encode()))
        take(op.submodule_fields(name, generator=True), required_too=True)
    take([f for n, f in own.items() if n not in ("prop", "list", "meta", "generator")], required_too=False)
    return pairs


def _shared_pairs(draw: st.DrawFn, contract: Contract, values: FieldValues, chaos: bool) -> list[Pair]:
    pairs: list[Pair] = []
    formats = st.sampled_from(FORMAT_VALUES).map(str.encode)
    fmt = draw(st.one_of(formats, st.just(b"yaml"), NASTY_VALUES) if chaos else formats)
    if draw(st.integers(0, 19)) > 0:
        pairs.append((b"format", fmt))
    if draw(st.booleans()):
        versions = [b"2", b"2", b"1", b"latest"] + ([b"3", b"\xff"] if chaos else [])
        pairs.append((b"formatversion", draw(st.sampled_from(versions))))
    optional = [f for f in contract.shared if f.name not in ("format", "formatversion", "origin")]
    for f in draw(st.lists(st.sampled_from(optional), max_size=3, unique_by=lambda f: f.name)):
        pairs.append((f.name.encode(), draw(values(f, chaos))))
    if draw(st.integers(0, 9)) == 0:
        pairs.append((b"origin", draw(st.sampled_from(ORIGINS)).encode()))
    return pairs


def _mutations(draw: st.DrawFn, pairs: list[Pair]) -> list[Pair]:
    """Repeats, PHP array names, unknown and malformed names, many repeated parameters."""
    kind = draw(st.integers(0, 11))
    if kind == 0 and pairs:
        name, _ = draw(st.sampled_from(pairs))
        pairs = pairs + [(name, draw(NASTY_VALUES))]
    elif kind == 1 and pairs:
        name, value = draw(st.sampled_from(pairs))
        pairs = pairs + [(name + draw(st.sampled_from([b"[]", b"[x]", b"[][]"])), value)]
    elif kind == 2:
        junk_name = draw(
            st.one_of(st.sampled_from([b"", b"a.b", b"a b", b"[", b"x]", b"\xff"]), st.binary(max_size=6))
        )
        pairs = pairs + [(junk_name, draw(NASTY_VALUES))]
    elif kind == 3:
        count = draw(st.sampled_from([100, 1000, 3000]))
        repeat_own: bool = draw(st.booleans())
        repeated: Pair = draw(st.sampled_from(pairs)) if pairs and repeat_own else (b"x", b"y")
        repeated = _short(repeated, 100)
        pairs = pairs + [repeated] * count
    elif kind == 4 and pairs:
        shuffled: list[Pair] = draw(st.permutations(pairs))
        return shuffled
    return pairs


def _short(pair: Pair, limit: int = QUERY_VALUE_MAX) -> Pair:
    """The pair with its value cut to ``limit`` bytes: huge values travel in bodies only, as
    URLs have limits of their own (httpx: 64 KiB)."""
    name, value = pair
    if isinstance(value, bytes) and len(value) > limit:
        return name, value[:limit]
    return pair


def _fit(pairs: list[Pair]) -> list[Pair]:
    """The first pairs whose query string stays under QUERY_MAX (a URL's limit)."""
    size = 0
    for index, (name, value) in enumerate(pairs):
        size += 3 * (len(name) + (len(value) if isinstance(value, bytes) else 64)) + 2
        if size > QUERY_MAX:
            return pairs[:index]
    return pairs


def api_calls(
    contract: Contract,
    identities: tuple[str, ...],
    *,
    actions: tuple[str, ...] | None = None,
    spare: Callable[[FieldSpec], bool] | None = None,
) -> st.SearchStrategy[ApiCall]:
    """Whole requests to api.php (see the module docstring), as the given identities;
    ``spare``: fields that get valid values only (see FieldValues)."""
    ops = [op for op in contract.operations if actions is None or op.action in actions]
    return _calls(contract, st.sampled_from(ops), st.sampled_from(identities), FieldValues(spare))


@st.composite
def junk_in(draw: st.DrawFn, contract: Contract, chosen: Callable[[FieldSpec], bool]) -> ApiCall:
    """A GET that runs the module reading one ``chosen`` field, with a nasty value in it
    (alone, or after a valid item of a multi-value) and valid values elsewhere."""
    query = contract.operation("query")
    fields = [(op, f) for op in contract.operations for f in op.fields if chosen(f)]
    op, target = draw(st.sampled_from(fields))
    values = FieldValues()
    pairs: list[Pair] = [(b"action", op.action.encode()), (b"format", b"json")]
    if target.submodule is not None:
        groups = {
            f.name: f.schema["items"]["enum"]
            for f in query.own_fields()
            if f.name in ("prop", "list", "meta")
        }
        group = (
            "generator"
            if target.generator
            else next(g for g, names in groups.items() if target.submodule in names)
        )
        pairs.append((group.encode(), target.submodule.encode()))
        siblings = query.submodule_fields(target.submodule, target.generator)
    else:
        siblings = op.own_fields()
    for f in siblings:
        if f.required and f is not target:
            pairs.append((f.name.encode(), draw(values(f, False))))
    junk = draw(NASTY_VALUES)
    if target.multi and draw(st.booleans()):
        valid = draw(item_values(target.schema["items"]))
        junk = valid + b"|" + junk
    pairs.append((target.name.encode(), junk))
    return ApiCall("GET", [_short(p) for p in pairs], [], "none", None, action=op.action)


@st.composite
def _calls(
    draw: st.DrawFn,
    contract: Contract,
    operations: st.SearchStrategy[OperationSpec],
    identities: st.SearchStrategy[str],
    values: FieldValues,
) -> ApiCall:
    op = draw(operations)
    chaos = draw(st.booleans())  # else only valid values, no malformed names
    pairs: list[Pair] = []
    action_kind = draw(st.integers(0, 29)) if chaos else 2
    if action_kind == 0:
        pairs.append((b"action", draw(NASTY_VALUES)))
    elif action_kind > 1:  # 1: no action at all (help is the default)
        pairs.append((b"action", op.action.encode()))
    pairs += _shared_pairs(draw, contract, values, chaos)
    pairs += _module_pairs(draw, op, values, chaos)
    if chaos:
        pairs = _mutations(draw, pairs)

    method_kind = draw(st.integers(0, 19))
    if method_kind == 0:
        method = draw(st.sampled_from(["HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"]))
    elif op.get_allowed and method_kind < 8:
        method = "GET"
    else:
        method = "POST"
    call = ApiCall(method, [], [], "none", None, identity=draw(identities), action=op.action)
    if method != "POST":
        call.query = _fit([_short(pair) for pair in pairs])
    else:
        # Where each parameter goes: all in the query string, all in the body, or split at a
        # drawn point either way round (one draw, not one per parameter: some calls have 3000).
        share = draw(st.integers(0, 3)) if chaos else 1
        cut = draw(st.integers(0, len(pairs)))
        for index, pair in enumerate(pairs):
            if share == 0 or (share == 2 and index < cut) or (share == 3 and index >= cut):
                call.query.append(_short(pair))
            else:
                call.body.append(pair)
        call.query = _fit(call.query)
        body_kind = draw(st.integers(0, 9))
        if body_kind < 5:
            call.encoding, call.content_type = "urlencoded", "application/x-www-form-urlencoded"
        elif body_kind < 8:
            call.encoding = "multipart-files" if body_kind == 7 else "multipart"
            call.content_type = multipart_type()
        else:
            call.encoding = "raw"
            call.content_type = draw(st.sampled_from(ODD_CONTENT_TYPES))
        call.chunked = draw(st.integers(0, 9)) == 0
    if draw(st.integers(0, 9)) == 0:
        call.headers.append(("Origin", draw(st.sampled_from(ORIGINS[1:] + ["null"]))))
    if draw(st.integers(0, 19)) == 0:
        call.headers.append(
            draw(st.sampled_from([("Promise-Non-Write-API-Action", "1"), ("Treat-As-Untrusted", "1")]))
        )
    return call
