"""A cluster with :class:`tests.live.LiveServer`'s interface: what the live-server fixtures and
the conformance replay start under ``WIKIPOST_TEST_TARGET=cluster``.

Two ``wikipost serve`` nodes and two ``wikipost worker`` processes behind HAProxy
(wikipost/devcluster), on a fresh database of the session's PostgreSQL and a Redis database of
their own for the rate-limit counters. ``api_url`` and ``base_url`` are the balancer's, so every
request of a test may land on either node; ``cli()``, ``settings()`` and ``open_wiki()`` reach the
same store. ``[jobs] runner`` is ``"none"`` on the nodes whatever the test configured: the
workers do the background work, as on a real cluster.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.live import StoreAccess
from tests.servers import PostgresServer, PostgresStores, RedisServer, free_port
from tests.support import CONFORMANCE_SITE
from wikipost.devcluster.cluster import START_TIMEOUT, Cluster, ClusterError

# Tests that cannot hold for a cluster target (WIKIPOST_TEST_TARGET=cluster), and why; skipped
# by tests/conftest.py in that mode only.
CLUSTER_SKIPS: dict[str, str] = {
    "tests/api/test_garbage_and_docs.py::test_cookie_garbage": (
        "its cookie holds a NUL byte, which no HTTP client sends (httpx refuses the header); only "
        "the in-process client can deliver it"
    ),
    "tests/clients/test_live_server.py::test_cli_runs_against_the_same_store": (
        "checks that `wikipost init` names the SQLite file in the data dir; a cluster's store is "
        "PostgreSQL (that the CLI reaches the cluster's store, every cluster test relies on)"
    ),
}

# Redis databases 1-15 go round, one per cluster (0 is the suite's own): a cluster's counters
# start empty without flushing another cluster's.
REDIS_DATABASES = range(1, 16)


class ClusterBacking:
    """The servers the clusters share: PostgreSQL (a fresh database per cluster) and Redis."""

    def __init__(self, stores: PostgresStores, redis: RedisServer) -> None:
        self.stores = stores
        self.redis = redis
        self._next_db = itertools.cycle(REDIS_DATABASES)

    def fresh_database(self) -> tuple[str, str]:
        """(name, url) of a new database with the schema at head (``wikipost init`` installs it)."""
        return self.stores.fresh()

    def fresh_redis_url(self) -> str:
        """A Redis database of its own, emptied."""
        import redis

        db = next(self._next_db)
        client = redis.Redis(host="127.0.0.1", port=self.redis.port, db=db)
        try:
            client.flushdb()
        finally:
            client.close()
        return self.redis.url(db)

    def drop(self, name: str) -> None:
        self.stores.drop(name)


@contextmanager
def own_backing() -> Iterator[ClusterBacking]:
    """PostgreSQL and Redis started for the occasion (the conformance runner outside pytest)."""
    postgres = PostgresServer.start()
    try:
        redis = RedisServer.start()
        try:
            yield ClusterBacking(PostgresStores(postgres), redis)
        finally:
            redis.stop()
    finally:
        postgres.stop()


class ClusterServer(StoreAccess):
    """A cluster that tests use as they use a LiveServer (see tests/live.py)."""

    def __init__(
        self,
        data_dir: Path,
        config: Mapping[str, Mapping[str, Any]],
        backing: ClusterBacking,
        *,
        workers: int = 1,
        nodes: int = 2,
        background_workers: int = 2,
    ) -> None:
        self.data_dir = data_dir
        self.backing = backing
        self.workers = workers
        self._database, url = backing.fresh_database()
        port = free_port()
        # The wiki's canonical URL is the balancer's (as a LiveServer's is its own).
        site = {**CONFORMANCE_SITE, "server": f"http://127.0.0.1:{port}", **dict(config.get("site", {}))}
        tables = {"site": site, **{k: dict(v) for k, v in config.items() if k != "site"}}
        self.cluster = Cluster(
            data_dir,
            database_url=url,
            redis_url=backing.fresh_redis_url(),
            nodes=nodes,
            workers=background_workers,
            config=tables,
            port=port,
            node_processes=workers,
        )
        self.config: dict[str, dict[str, Any]] = self.cluster.settings_tables
        self.config_path = self.cluster.config_path
        self.port = self.cluster.port
        self.base_url = self.cluster.base_url
        self._closed = False

    # --- addresses --------------------------------------------------------------------------

    @property
    def script_path(self) -> str:
        return str(self.config["site"].get("script_path", "/w"))

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{self.script_path}/api.php"

    @property
    def index_url(self) -> str:
        return f"{self.base_url}{self.script_path}/index.php"

    def node_api_urls(self) -> list[str]:
        return self.cluster.node_api_urls()

    # --- the processes ----------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> ClusterServer:
        if self.running:
            raise ClusterError("already running")
        self.cluster.start(timeout)
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        if self.cluster.haproxy is None:
            raise ClusterError("the cluster is not running")
        self.cluster.haproxy.wait_for_states({m.name: "UP" for m in self.cluster.node_members()}, timeout)

    @property
    def running(self) -> bool:
        return self.cluster.running

    def stop(self, timeout: float = 30.0) -> int | None:
        """Stop every process; node1's exit code (None when nothing ran)."""
        if self.cluster.member("node1").proc is None:
            return None
        return self.cluster.stop(timeout).get("node1")

    def kill(self) -> None:
        self.cluster.kill()

    def restart(self, *, hard: bool = False, timeout: float = START_TIMEOUT) -> ClusterServer:
        if hard:
            self.kill()
        else:
            self.stop()
        return self.start(timeout)

    def close(self) -> None:
        """Stop, and drop the cluster's database."""
        if self._closed:
            return
        self._closed = True
        self.stop()
        self.backing.drop(self._database)

    def log(self, chars: int = 4000) -> str:
        return self.cluster.log(chars // 2)

    # --- the same wiki from the outside -----------------------------------------------------

    def cli(self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120.0) -> Any:
        return self.cluster.cli(*args, check=check, input=input, timeout=timeout)

    def __enter__(self) -> ClusterServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def start_cluster_server(
    tmp_path: Path,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    backing: ClusterBacking,
    init: bool = True,
    workers: int = 1,
    start: bool = True,
) -> ClusterServer:
    """:func:`tests.live.start_live_server`'s cluster twin: in ``tmp_path/cluster``, ``wikipost
    init`` first, started unless ``start=False``."""
    data_dir = tmp_path / "cluster"
    n = 0
    while data_dir.exists():
        n += 1
        data_dir = tmp_path / f"cluster{n}"
    server = ClusterServer(data_dir, config or {}, backing, workers=workers)
    try:
        if init:
            server.cli("init")
        if start:
            server.start()
    except BaseException:
        server.close()
        raise
    return server
