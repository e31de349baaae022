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


def normalise_value(value: str) -> tuple[str, bool]:
    """NFC-normalise a value; True when it changed (MediaWiki's ``badutf8`` warning)."""
    cleaned = _C0.sub("\ufffd", value)
    if "\x1f" in value and value.startswith("\x1f"):
        # U+001F is the multi-value separator, not garbage.
        cleaned = "\x1f" + _C0.sub("\ufffd", value[1:].replace("\x1f", "\0")).replace("\0", "\x1f")
    normal = unicodedata.normalize("NFC", cleaned)
    return normal, normal != value


def merge_params(
    query: Iterable[tuple[str, str]], body: Iterable[tuple[str, str]], request: ApiRequest
) -> None:
    """Fill ``request.values`` from the query string, then the body (which wins)."""
    for source, is_query in ((query, True), (body, False)):
        for raw_name, raw_value in source:
            name = raw_name.replace(".", "_").replace(" ", "_")
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
