"""A value reaches the modules the same whichever way it travels.

In the query string, an urlencoded body, a multipart field or a multipart file part, the same
bytes must give the same parameter value (PHP hands MediaWiki the raw bytes every time; invalid
UTF-8 and C0 controls then become U+FFFD with the ``badutf8`` warning). ``requestid`` is echoed
back, which makes the value the server saw visible.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.properties.budget import Budget
from tests.properties.calls import multipart, multipart_type
from tests.properties.conftest import API_PATH

ENCODING_CASES = 150
FORM = "application/x-www-form-urlencoded"


def seen_by_server(client: TestClient, value: bytes) -> list[tuple[str, Any]]:
    """(encoding, (requestid echoed, warnings)) for ``value`` sent each of the four ways."""
    fixed = [(b"action", b"query"), (b"format", b"json"), (b"formatversion", b"2")]
    pairs = fixed + [(b"requestid", value)]
    query = "&".join(f"{quote_from_bytes(n, safe='')}={quote_from_bytes(v, safe='')}" for n, v in pairs)
    answers = {
        "query": client.get(f"{API_PATH}?{query}"),
        "urlencoded": client.post(API_PATH, content=query.encode(), headers={"Content-Type": FORM}),
        "multipart": client.post(
            API_PATH, content=multipart(pairs, files=False), headers={"Content-Type": multipart_type()}
        ),
        "multipart-file": client.post(
            API_PATH, content=multipart(pairs, files=True), headers={"Content-Type": multipart_type()}
        ),
    }
    out = []
    for name, response in answers.items():
        data = response.json()
        out.append((name, (data.get("requestid"), data.get("warnings"))))
    return out


def _same_everywhere(client: TestClient, value: bytes) -> None:
    seen = seen_by_server(client, value)
    first = seen[0][1]
    assert all(answer == first for _, answer in seen), seen


def test_text_reaches_the_module_the_same_every_way(fuzz_client: TestClient, budget: Budget) -> None:
    @budget.settings(ENCODING_CASES)
    @given(value=st.text(st.characters(exclude_categories=["Cs"]), max_size=40).map(str.encode))
    def same_value(value: bytes) -> None:
        budget.count("encodings-text")
        _same_everywhere(fuzz_client, value)

    same_value()


def test_bytes_reach_the_module_the_same_every_way(fuzz_client: TestClient, budget: Budget) -> None:
    @budget.settings(ENCODING_CASES)
    @given(value=st.binary(max_size=40))
    def same_value(value: bytes) -> None:
        budget.count("encodings-bytes")
        _same_everywhere(fuzz_client, value)

    same_value()
