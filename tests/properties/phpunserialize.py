"""A strict reader of PHP's ``serialize()`` output, enough for ``format=php`` answers.

Written for the tests rather than taken from a package: it must refuse what PHP's
``unserialize()`` would refuse — a string length that is not its UTF-8 byte count, a missing
``;``, trailing bytes — since that is what the property checks.
"""

from __future__ import annotations

from typing import Any


class PhpSyntaxError(ValueError):
    pass


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def expect(self, token: bytes) -> None:
        if not self.data.startswith(token, self.pos):
            got = self.data[self.pos : self.pos + 20]
            raise PhpSyntaxError(f"expected {token!r} at byte {self.pos}, found {got!r}")
        self.pos += len(token)

    def until(self, stop: bytes) -> bytes:
        end = self.data.find(stop, self.pos)
        if end < 0:
            raise PhpSyntaxError(f"no {stop!r} after byte {self.pos}")
        chunk = self.data[self.pos : end]
        self.pos = end + len(stop)
        return chunk

    def integer(self, stop: bytes) -> int:
        raw = self.until(stop)
        if not raw or not raw.lstrip(b"-").isdigit():
            raise PhpSyntaxError(f"bad integer {raw!r} before byte {self.pos}")
        return int(raw)

    def value(self) -> Any:
        kind = self.data[self.pos : self.pos + 2]
        if kind == b"N;":
            self.pos += 2
            return None
        self.pos += 2
        if kind == b"b:":
            flag = self.until(b";")
            if flag not in (b"0", b"1"):
                raise PhpSyntaxError(f"bad boolean {flag!r}")
            return flag == b"1"
        if kind == b"i:":
            return self.integer(b";")
        if kind == b"d:":
            raw = self.until(b";")
            try:
                return float(raw)
            except ValueError:
                raise PhpSyntaxError(f"bad double {raw!r}") from None
        if kind == b"s:":
            length = self.integer(b":")
            self.expect(b'"')
            raw = self.data[self.pos : self.pos + length]
            if len(raw) != length:
                raise PhpSyntaxError("string runs past the end")
            self.pos += length
            self.expect(b'";')
            return raw.decode("utf-8")
        if kind == b"a:":
            count = self.integer(b":")
            self.expect(b"{")
            out: dict[Any, Any] = {}
            for _ in range(count):
                key = self.value()
                if not isinstance(key, int | str) or isinstance(key, bool):
                    raise PhpSyntaxError(f"bad array key {key!r}")
                out[key] = self.value()
            self.expect(b"}")
            return out
        raise PhpSyntaxError(f"unknown type {kind!r} at byte {self.pos - 2}")


def php_unserialize(data: bytes) -> Any:
    """The value ``data`` holds; arrays become dicts (keys int or str). Raises PhpSyntaxError."""
    reader = _Reader(data)
    value = reader.value()
    if reader.pos != len(data):
        raise PhpSyntaxError(f"{len(data) - reader.pos} trailing bytes")
    return value
