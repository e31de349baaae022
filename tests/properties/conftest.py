"""Fixtures of the property tests: one wiki per module, the contract it publishes, the budget.

Hypothesis runs many cases inside one test, so the wiki and its app are module-scoped: built
once (the conformance wiki's users, tests/anchorwiki.py) and shared by every case.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.anchorwiki import setup_anchorwiki
from tests.properties.budget import BUDGET_KEY, Budget
from tests.properties.contract import Contract, read_contract
from tests.properties.driver import ApiDriver, testclient_transport
from tests.support import make_settings, sqlite_store
from wikipost.app import build_app
from wikipost.clock import Clock
from wikipost.wiki import Wiki, build_wiki

API_PATH = "/w/api.php"
OPENAPI_PATH = "/w/openapi.json"
# Small enough that a generated value can exceed it (HTTP 413), large enough for the rest.
MAX_BODY = 256 * 1024


@pytest.fixture(scope="session")
def budget(pytestconfig: pytest.Config) -> Budget:
    if BUDGET_KEY not in pytestconfig.stash:
        pytestconfig.stash[BUDGET_KEY] = Budget()
    return pytestconfig.stash[BUDGET_KEY]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    budget = config.stash.get(BUDGET_KEY, None)
    if budget is not None and budget.counts:
        terminalreporter.write_line(budget.summary())


def build_fuzz_wiki(data_dir: Path, **sections: Any) -> Wiki:
    """A wiki on a fresh SQLite store with the conformance wiki's users."""
    url = sqlite_store(data_dir / "wiki", data_dir / "template")
    site = {"max_body_bytes": MAX_BODY, **sections.pop("site", {})}
    wiki = build_wiki(make_settings(data_dir / "wiki", url, site=site, **sections), clock=Clock())
    setup_anchorwiki(wiki)
    return wiki


@pytest.fixture(scope="module")
def fuzz_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wiki]:
    wiki = build_fuzz_wiki(tmp_path_factory.mktemp("fuzzwiki"))
    yield wiki
    wiki.close()


@pytest.fixture(scope="module")
def fuzz_client(fuzz_wiki: Wiki) -> Iterator[TestClient]:
    server = fuzz_wiki.settings.site.server
    with TestClient(build_app(fuzz_wiki), base_url=server, raise_server_exceptions=True) as client:
        yield client


@pytest.fixture(scope="module")
def openapi_doc(fuzz_client: TestClient) -> dict[str, Any]:
    """The contract as the wiki serves it."""
    response = fuzz_client.get(OPENAPI_PATH)
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


@pytest.fixture(scope="module")
def contract(openapi_doc: dict[str, Any]) -> Contract:
    return read_contract(openapi_doc)


@pytest.fixture(scope="module")
def api_driver(fuzz_client: TestClient) -> ApiDriver:
    return ApiDriver(testclient_transport(fuzz_client, API_PATH), MAX_BODY)
