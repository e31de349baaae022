from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
from starlette.testclient import TestClient

from tests.cluster.target import CLUSTER_SKIPS, ClusterBacking, ClusterServer, start_cluster_server
from tests.live import LiveServer, cluster_target, start_live_server
from tests.servers import PostgresServer, PostgresStores, RedisServer, ServerUnavailable
from tests.support import CONFORMANCE_SITE, make_settings, sqlite_store
from wikipost.app import build_app
from wikipost.clock import Clock
from wikipost.devcluster.procs import ensure_binary
from wikipost.settings import Settings
from wikipost.wiki import Wiki, build_wiki


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("template")


@pytest.fixture
def make_wiki(
    tmp_path: Path, template_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Wiki]]:
    """Build a Wiki on a fresh migrated store; keyword arguments override settings.

    ``make_wiki(database="postgres")`` (or ``backend="postgres"``) builds it on a fresh database
    of the session's real PostgreSQL server (the test is skipped when there is none); the default
    is a fresh SQLite file. ``database={"url": ...}`` still sets the database section itself.
    """
    made: list[Wiki] = []
    pg_databases: list[str] = []

    def factory(*, backend: str = "sqlite", **sections: Any) -> Wiki:
        if isinstance(sections.get("database"), str):
            backend = sections.pop("database")
        data_dir = tmp_path / f"wiki{len(made)}"
        if backend == "postgres":
            stores: PostgresStores = request.getfixturevalue("postgres_stores")
            name, url = stores.fresh()
            pg_databases.append(name)
            data_dir.mkdir(parents=True, exist_ok=True)
        elif backend == "sqlite":
            url = sqlite_store(data_dir, template_dir)
        else:
            raise ValueError(f"unknown backend {backend!r}")
        settings = make_settings(data_dir, url, **sections)
        wiki = build_wiki(settings, clock=Clock())
        made.append(wiki)
        return wiki

    yield factory
    for wiki in made:
        wiki.close()
    if pg_databases:
        stores = request.getfixturevalue("postgres_stores")
        for name in pg_databases:
            stores.drop(name)


# --- real servers (tests/servers.py): installed with apt-get when missing, else skipped loudly ---


def unavailable(reason: str) -> NoReturn:
    """Skip (a developer machine without the server), but fail under CI: a CI run that silently
    skipped the PostgreSQL/Redis tests would be green without having tested them."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason} (CI is set: the real servers are required)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL on 127.0.0.1 for the whole session."""
    try:
        server = PostgresServer.start()
    except ServerUnavailable as err:
        unavailable(f"NO POSTGRESQL: {err}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_stores(postgres_server: PostgresServer) -> PostgresStores:
    return PostgresStores(postgres_server)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """URL of an empty (unmigrated) database shared by the session: ``postgresql+psycopg://…``."""
    return postgres_server.create_database("wikipost_session")


@pytest.fixture
def postgres_db_url(postgres_stores: PostgresStores) -> Iterator[str]:
    """URL of a fresh database with the schema migrated, dropped after the test."""
    name, url = postgres_stores.fresh()
    yield url
    postgres_stores.drop(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        server = RedisServer.start()
    except ServerUnavailable as err:
        unavailable(f"NO REDIS: {err}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """``redis://127.0.0.1:PORT/0`` of the session's real Redis (use ``fresh_redis_url`` to flush)."""
    return redis_server.url()


@pytest.fixture
def fresh_redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied (FLUSHALL) before the test."""
    redis_server.flush()
    return redis_server.url()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over both storage backends: "sqlite" and "postgres"."""
    return str(request.param)


@pytest.fixture
def any_wiki(make_wiki: Callable[..., Wiki], any_store: str) -> Wiki:
    """A Wiki on each backend in turn (the test runs once per backend)."""
    return make_wiki(backend=any_store)


@pytest.fixture
def wiki(make_wiki: Callable[..., Wiki]) -> Wiki:
    return make_wiki()


@pytest.fixture
def settings(wiki: Wiki) -> Settings:
    return wiki.settings


@pytest.fixture
def client(request: pytest.FixtureRequest) -> Iterator[TestClient | httpx.Client]:
    """The app in-process on a fresh ``wiki``; under ``WIKIPOST_TEST_TARGET=cluster`` an HTTP
    client through the session's cluster (HAProxy, two nodes) instead, unless the test also
    uses the in-process wiki (then the two must be the same store)."""
    in_process = {"wiki", "settings", "make_wiki", "any_wiki"} & set(request.fixturenames)
    if cluster_target() and not in_process:
        cluster: ClusterServer = request.getfixturevalue("api_cluster")
        with httpx.Client(base_url=cluster.base_url, follow_redirects=True, timeout=60) as http:
            yield http
        return
    wiki: Wiki = request.getfixturevalue("wiki")
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as test_client:
        yield test_client


# --- a real `wikipost serve` process (tests/live.py), or a cluster (tests/cluster/target.py) -----


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``WIKIPOST_TEST_TARGET=cluster``: skip what cannot hold for a cluster, saying why."""
    if not cluster_target():
        return
    for item in items:
        reason = CLUSTER_SKIPS.get(item.nodeid.split("[")[0])
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"cluster target: {reason}"))


@pytest.fixture(scope="session")
def cluster_backing(postgres_stores: PostgresStores, redis_server: RedisServer) -> ClusterBacking:
    """The session's PostgreSQL and Redis, as the clusters use them (and HAProxy installed)."""
    try:
        ensure_binary("haproxy", "haproxy")
    except ServerUnavailable as err:
        unavailable(f"NO HAPROXY: {err}")
    return ClusterBacking(postgres_stores, redis_server)


@pytest.fixture(scope="session")
def api_cluster(cluster_backing: ClusterBacking, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One cluster for the session's ``client`` requests under ``WIKIPOST_TEST_TARGET=cluster``:
    the in-process client's wiki (the conformance site, canonical URL and all)."""
    config = {"site": dict(CONFORMANCE_SITE), "mail": {"backend": "maildir"}}
    server = start_cluster_server(tmp_path_factory.mktemp("api-cluster"), config, backing=cluster_backing)
    yield server
    server.close()


@pytest.fixture
def live_server_factory(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., LiveServer]]:
    """``factory(config: dict = {}, **kw) -> LiveServer`` (started); all stopped after the test.

    Under ``WIKIPOST_TEST_TARGET=cluster`` each is a cluster with the same interface
    (tests/cluster/target.py): two nodes and two workers behind HAProxy on a fresh database."""
    started: list[Any] = []
    backing: ClusterBacking | None = request.getfixturevalue("cluster_backing") if cluster_target() else None

    def factory(config: dict[str, Any] | None = None, **kwargs: Any) -> LiveServer:
        if backing is not None:
            server: Any = start_cluster_server(tmp_path, config or {}, backing=backing, **kwargs)
        else:
            server = start_live_server(tmp_path, config or {}, **kwargs)
        started.append(server)
        return server

    yield factory
    for server in started:
        if isinstance(server, ClusterServer):
            server.close()
        else:
            server.stop()


@pytest.fixture
def live_server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    """A started `wikipost serve` on a free 127.0.0.1 port with the default live config."""
    return live_server_factory()
