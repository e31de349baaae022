"""Real PostgreSQL and Redis servers for the tests, from Debian's packages, on 127.0.0.1.

The binaries are installed with ``apt-get`` when missing (CI starts from a fresh machine and runs
as root). Each server gets a fresh data directory, a free loopback port and no persistence
settings worth the name (fsync off): they live for one pytest session. When a server truly cannot
be had, :class:`ServerUnavailable` carries the reason so the fixtures can skip loudly.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
INSTALL_TIMEOUT = 600


class ServerUnavailable(RuntimeError):
    """The server's binaries are missing and could not be installed; the message says why."""


def _load_libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()  # loaded here: the child of a fork must not import or open anything


def die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the test process dies (no server outlives a killed run)."""
    if _LIBC is not None:
        _LIBC.prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerUnavailable(f"server exited with {proc.returncode}: {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise ServerUnavailable(f"server did not listen on 127.0.0.1:{port} within {timeout}s: {_tail(log)}")


def _tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


# --- installing -------------------------------------------------------------------------------

_apt_updated = False


def apt_install(packages: list[str]) -> None:
    """``apt-get install`` the packages; on failure ``apt-get update`` once and try again."""
    global _apt_updated
    if shutil.which("apt-get") is None:
        raise ServerUnavailable(f"{' '.join(packages)} missing and there is no apt-get to install them")
    if os.geteuid() != 0:
        raise ServerUnavailable(f"{' '.join(packages)} missing and installing needs root")
    cmd = [
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "-o",
        "DPkg::Lock::Timeout=300",
        *packages,
    ]
    first = _run(cmd)
    if first.returncode == 0:
        return
    if not _apt_updated:
        _apt_updated = True
        _run(["apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=300"])
        again = _run(cmd)
        if again.returncode == 0:
            return
        first = again
    raise ServerUnavailable(f"apt-get install {' '.join(packages)} failed: {first.stdout[-1500:]}")


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            cmd,
            env=APT_ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=INSTALL_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as err:
        return subprocess.CompletedProcess(cmd, 124, stdout=f"timed out: {err}")


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


def ensure_redis() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        apt_install(["redis-server"])
        binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailable("redis-server installed but not on PATH")
    return binary


# --- PostgreSQL -------------------------------------------------------------------------------


def _service_user() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root (initdb refuses root); None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise ServerUnavailable("running as root and neither a postgres nor a nobody user exists")


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
        owner = _service_user()
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


# --- Redis ------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    port: int
    base: Path
    proc: subprocess.Popen[bytes]

    @classmethod
    def start(cls) -> RedisServer:
        binary = ensure_redis()
        base = Path(tempfile.mkdtemp(prefix="wikipost-redis-"))
        log = base / "server.log"
        port = free_port()
        with open(log, "wb") as log_file:
            proc = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(base),
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        server = cls(port=port, base=base, proc=proc)
        try:
            wait_for_port(port, proc, 30, log)
        except BaseException:
            server.stop()
            raise
        return server

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def flush(self) -> None:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        try:
            client.flushall()
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.base, ignore_errors=True)


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
