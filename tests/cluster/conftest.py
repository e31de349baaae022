"""One cluster per test module: two nodes and two workers behind HAProxy, PostgreSQL and Redis
from the session's fixtures, mail over SMTP into an aiosmtpd sink in this process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cluster.support import BOB, LIMITED, PASSWORD, USER_LIMIT
from tests.cluster.target import ClusterBacking, ClusterServer, start_cluster_server
from tests.mail.sink import Sink


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    with Sink() as started:
        yield started


@pytest.fixture(scope="module")
def cluster(
    cluster_backing: ClusterBacking, sink: Sink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ClusterServer]:
    config = {
        "mail": {"backend": "smtp", "smtp_port": sink.port},
        "ratelimits": {"emailuser": {"user": [USER_LIMIT, 86400]}},
    }
    server = start_cluster_server(tmp_path_factory.mktemp("cluster"), config, backing=cluster_backing)
    try:
        for name, email in ((LIMITED, "limited@anchor.test"), (BOB, "bob@anchor.test")):
            server.cli("user", "create", name, "--password", PASSWORD, "--email", email, "--confirmed")
        yield server
    finally:
        server.close()
