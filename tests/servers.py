"""Real PostgreSQL and Redis servers for the tests, from Debian's packages, on 127.0.0.1.

The starters themselves are the development cluster's (wikipost/devcluster: installed with
``apt-get`` when missing, a fresh data directory, a free loopback port, no persistence worth
the name); they live for one pytest session. When a server truly cannot be had,
:class:`ServerUnavailable` carries the reason so the fixtures can skip loudly. Here: fresh
migrated PostgreSQL databases per test (:class:`PostgresStores`).
"""

from __future__ import annotations

import os

from wikipost.devcluster.postgres import PostgresServer, ensure_postgres, postgres_bin_dir
from wikipost.devcluster.procs import (
    ServerUnavailable,
    apt_install,
    die_with_parent,
    free_port,
    wait_for_port,
)
from wikipost.devcluster.redis import RedisServer, ensure_redis

__all__ = [
    "PostgresServer",
    "PostgresStores",
    "RedisServer",
    "ServerUnavailable",
    "apt_install",
    "die_with_parent",
    "ensure_postgres",
    "ensure_redis",
    "free_port",
    "postgres_bin_dir",
    "wait_for_port",
]


class PostgresStores:
    """Fresh migrated databases on one server: each a copy of a template migrated once."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self._template: str | None = None
        self._count = 0

    def _migrated_template(self) -> str:
        if self._template is None:
            from wikipost.db import Database
            from wikipost.db.migrate import upgrade

            name = f"wikipost_template_{os.getpid()}"
            db = Database(self.server.create_database(name))
            try:
                upgrade(db)
            finally:
                db.dispose()
            self._template = name
        return self._template

    def fresh(self, *, migrated: bool = True) -> tuple[str, str]:
        """(name, url) of a new database, with the schema at head unless ``migrated=False``."""
        self._count += 1
        name = f"wikipost_{os.getpid()}_{self._count}"
        template = self._migrated_template() if migrated else None
        return name, self.server.create_database(name, template=template)

    def drop(self, name: str) -> None:
        self.server.drop_database(name)
