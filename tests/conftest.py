from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support import make_settings, sqlite_store
from wikipost.app import build_app
from wikipost.clock import Clock
from wikipost.settings import Settings
from wikipost.wiki import Wiki, build_wiki


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("template")


@pytest.fixture
def make_wiki(tmp_path: Path, template_dir: Path) -> Iterator[Callable[..., Wiki]]:
    """Build a Wiki on a fresh migrated SQLite store; keyword arguments override settings."""
    made: list[Wiki] = []

    def factory(**sections: Any) -> Wiki:
        data_dir = tmp_path / f"wiki{len(made)}"
        url = sqlite_store(data_dir, template_dir)
        settings = make_settings(data_dir, url, **sections)
        wiki = build_wiki(settings, clock=Clock())
        made.append(wiki)
        return wiki

    yield factory
    for wiki in made:
        wiki.close()


@pytest.fixture
def wiki(make_wiki: Callable[..., Wiki]) -> Wiki:
    return make_wiki()


@pytest.fixture
def settings(wiki: Wiki) -> Settings:
    return wiki.settings


@pytest.fixture
def client(wiki: Wiki) -> Iterator[TestClient]:
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as test_client:
        yield test_client
