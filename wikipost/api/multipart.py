"""multipart/form-data bodies read as api.php reads every value.

Starlette's parser decodes a text field that is not valid UTF-8 as Latin-1, which mangles the
valid characters of the same value too. MediaWiki reads every value — query string, urlencoded
and multipart alike — as UTF-8 and replaces what is invalid (warning ``badutf8``), so text parts
are decoded here with :func:`decode_bytes` like the other sources, and flagged the same way.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.datastructures import FormData, Headers
from starlette.formparsers import MultiPartParser

from wikipost.api.request import decode_bytes


class ApiMultiPartParser(MultiPartParser):
    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None:
            self.items.append((part.field_name, decode_bytes(bytes(part.data))))
        else:
            super().on_part_end()


async def parse_multipart(headers: Headers, raw: bytes, *, max_part_size: int) -> FormData:
    async def body() -> AsyncGenerator[bytes, None]:
        yield raw

    parser = ApiMultiPartParser(
        headers, body(), max_files=1000, max_fields=10000, max_part_size=max_part_size
    )
    return await parser.parse()
