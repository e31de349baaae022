"""A throw-away PostgreSQL cluster on 127.0.0.1 from Debian's ``postgresql`` package.

A fresh data directory in /tmp, trust authentication, a free port, durability off (fsync,
synchronous commit, full-page writes): a server for one test session or one ``make cluster``.
As root it runs as the ``postgres`` (or ``nobody``) user, since initdb refuses root.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from wikipost.devcluster.procs import (
    ServerUnavailable,
    apt_install,
    die_with_parent,
    free_port,
    service_user,
    wait_for_port,
)


def postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout), or one on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def ensure_postgres() -> Path:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        apt_install(["postgresql"])
        bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise ServerUnavailable("postgresql installed but no initdb found")
    return bin_dir


@dataclass
class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, trust auth, listening on 127.0.0.1 only."""

    port: int
    base: Path
    proc: subprocess.Popen[bytes]
    superuser: str = "postgres"
    databases: list[str] = field(default_factory=list)

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = ensure_postgres()
        owner = service_user()
        base = Path(tempfile.mkdtemp(prefix="wikipost-pg-"))
        data = base / "data"
        log = base / "server.log"
        if owner is not None:
            os.chown(base, *owner)
        uid, gid = owner if owner else (None, None)
        init = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            user=uid,
            group=gid,
        )
        if init.returncode != 0:
            raise ServerUnavailable(f"initdb failed: {init.stdout[-1500:]}")
        port = free_port()
        with open(log, "wb") as log_file:
            proc = subprocess.Popen(
                [
                    str(bin_dir / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={base}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=300",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                user=uid,
                group=gid,
                preexec_fn=die_with_parent,
            )
        server = cls(port=port, base=base, proc=proc)
        try:
            wait_for_port(port, proc, 60, log)
            server._wait_ready()
        except BaseException:
            server.stop()
            raise
        return server

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(self._dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as err:
                if time.monotonic() > deadline:
                    raise ServerUnavailable(f"PostgreSQL not ready: {err}") from err
                time.sleep(0.1)

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.superuser} dbname={database}"

    def execute(self, sql: str) -> None:
        """Run a statement outside a transaction (CREATE/DROP DATABASE) on the maintenance db."""
        import psycopg

        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.encode())

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (optionally a copy of ``template``); its SQLAlchemy URL."""
        clause = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{clause}')
        self.databases.append(name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.databases:
            self.databases.remove(name)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: fast shutdown
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.base, ignore_errors=True)
