"""The same generated requests over real HTTP, against a real ``wikipost serve``.

Fewer cases than in-process, but through uvicorn, httptools and the coalescing transport
(``wikipost/httpserver.py``) on one keep-alive connection: chunked bodies, bodies over the size
limit, every method — an answer never breaks the connection's framing and is well-formed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given

from tests.anchorwiki import setup_anchorwiki
from tests.live import LiveServer, start_live_server
from tests.properties.answers import check_answer
from tests.properties.budget import Budget
from tests.properties.calls import ApiCall, api_calls
from tests.properties.conftest import MAX_BODY
from tests.properties.contract import Contract, read_contract
from tests.properties.driver import IDENTITIES, ApiDriver, HttpTransport
from tests.properties.known_bugs import spared

pytestmark = pytest.mark.live
LIVE_CASES = 500


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config: dict[str, dict[str, Any]] = {"site": {"max_body_bytes": MAX_BODY}, "mail": {"backend": "memory"}}
    server = start_live_server(tmp_path_factory.mktemp("fuzzlive"), config, start=False)
    with server.open_wiki() as wiki:
        setup_anchorwiki(wiki)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live_contract(fuzz_server: LiveServer) -> Contract:
    """The contract as the live wiki serves it."""
    response = requests.get(f"{fuzz_server.base_url}{fuzz_server.script_path}/openapi.json", timeout=30)
    assert response.status_code == 200
    return read_contract(response.json())


@pytest.fixture(scope="module")
def http_transport(fuzz_server: LiveServer) -> Iterator[HttpTransport]:
    transport = HttpTransport("127.0.0.1", fuzz_server.port, f"{fuzz_server.script_path}/api.php")
    yield transport
    transport.close()


def test_every_answer_over_http_is_well_formed(
    http_transport: HttpTransport, fuzz_server: LiveServer, live_contract: Contract, budget: Budget
) -> None:
    driver = ApiDriver(http_transport, MAX_BODY)

    @budget.settings(LIVE_CASES)
    @given(call=api_calls(live_contract, IDENTITIES, spare=spared))
    def over_http(call: ApiCall) -> None:
        budget.count("api-live")
        check_answer(*driver.run(call))

    over_http()
    assert fuzz_server.running, fuzz_server.log()
    assert "Traceback" not in fuzz_server.log(200_000)
