"""The parameters of one API request, merged from the query string and the body.

PHP semantics, as MediaWiki sees them: the body wins over the query string, the last of repeated
keys wins, ``name[]`` array syntax makes the value absent (with a warning), ``.`` and spaces in
names become ``_``, and values are NFC-normalised with C0 controls other than HT/LF/CR replaced.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

_ARRAY_KEY = re.compile(r"^([^\[]+)\[.*\]$")
_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class ApiRequest:
    method: str
    values: dict[str, str]
    query_keys: set[str]
    headers: dict[str, str]
    client_ip: str
    scheme: str = "http"
    array_params: list[str] = field(default_factory=list)
    badutf8_params: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    files: dict[str, bytes] = field(default_factory=dict)
    post_without_content_type: bool = False  # MediaWiki warns: the body cannot be parsed
    body_too_large: bool = False  # over settings.site.max_body_bytes: refused, body not read

    def get(self, name: str) -> str | None:
        self.used.add(name)
        return self.values.get(name)

    def has(self, name: str) -> bool:
        self.used.add(name)
        return name in self.values

    def in_query(self, name: str) -> bool:
        return name in self.query_keys

    def unused(self) -> list[str]:
        return [name for name in self.values if name not in self.used]

    @property
    def posted(self) -> bool:
        return self.method == "POST"


_SURROGATE = re.compile("[\ud800-\udfff]")


def decode_bytes(raw: bytes) -> str:
    """UTF-8 with invalid bytes kept as lone surrogates, for :func:`normalise_value` to flag."""
    return raw.decode("utf-8", "surrogateescape")


def parse_urlencoded(raw: bytes) -> list[tuple[str, str]]:
    """``a=1&b=2`` bytes into decoded pairs (``+`` is a space, ``%XX`` any byte)."""
    pairs: list[tuple[str, str]] = []
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append((_unquote(name), _unquote(value)))
    return pairs


def _unquote(raw: bytes) -> str:
    if b"%" not in raw and b"+" not in raw:  # most names and many values: nothing to undo
        return decode_bytes(raw)
    return decode_bytes(unquote_to_bytes(raw.replace(b"+", b" ")))


def normalise_value(value: str) -> tuple[str, bool]:
    """NFC-normalise a value; True when it changed (MediaWiki's ``badutf8`` warning).

    Invalid UTF-8 (lone surrogates from :func:`decode_bytes`) becomes U+FFFD, as do C0
    controls other than HT, LF and CR; U+001F stays when it introduces a multi-value.
    """
    value_in = value
    value = _SURROGATE.sub("\ufffd", value)
    if value.startswith("\x1f"):
        # U+001F is the multi-value separator here, not garbage.
        cleaned = "\x1f" + "\x1f".join(_C0.sub("\ufffd", v) for v in value[1:].split("\x1f"))
    else:
        cleaned = _C0.sub("\ufffd", value)
    normal = unicodedata.normalize("NFC", cleaned)
    return normal, normal != value_in


def merge_params(
    query: Iterable[tuple[str, str]], body: Iterable[tuple[str, str]], request: ApiRequest
) -> None:
    """Fill ``request.values`` from the query string, then the body (which wins)."""
    for source, is_query in ((query, True), (body, False)):
        for raw_name, raw_value in source:
            name = _SURROGATE.sub("\ufffd", raw_name).replace(".", "_").replace(" ", "_")
            match = _ARRAY_KEY.match(name)
            if match:
                base = match.group(1)
                if base not in request.array_params:
                    request.array_params.append(base)
                request.values.pop(base, None)
                continue
            value, changed = normalise_value(raw_value)
            if changed and name not in request.badutf8_params:
                request.badutf8_params.append(name)
            request.values[name] = value
            if is_query:
                request.query_keys.add(name)
