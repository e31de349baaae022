"""A wiki of several nodes on one machine: what ``make cluster`` runs and the cluster tests use.

PostgreSQL and Redis (given, or started here), ``wikipost init`` once, then N ``wikipost serve``
nodes and M ``wikipost worker`` processes on one configuration file, and HAProxy in front. Each
process has its own data directory, as it would on a machine of its own; nothing but the
configuration file (and the maildir, which stands for a mail server) is shared::

    cluster = Cluster(base, database_url=..., redis_url=...)
    cluster.init("--demo-admin")
    cluster.start()
    requests.get(cluster.api_url, ...)
    cluster.stop()
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wikipost.devcluster.haproxy import HEALTH_QUERY, HAProxy
from wikipost.devcluster.procs import die_with_parent, free_port, port_open, stop_process_group, tail
from wikipost.devcluster.tomlwrite import to_toml

START_TIMEOUT = 60.0
# What a node or worker gets to finish (uvicorn's requests in flight, the worker's item in
# hand: wikipost/worker_process.py SHUTDOWN_SECONDS) before it is killed.
STOP_TIMEOUT = 30.0
# Environment variables that would make a process of the cluster read something other than the
# cluster's configuration.
HEALTHZ = "/healthz"
FOREIGN_ENV = ("WIKIPOST_DATABASE_URL", "WIKIPOST_CONFIG", "WIKIPOST_DATA_DIR")


class ClusterError(RuntimeError):
    pass


def wikipost_command() -> list[str]:
    """The ``wikipost`` CLI of this interpreter."""
    return [sys.executable, "-m", "wikipost"]


@dataclass
class Member:
    """One process of the cluster: a node (``serve``) or a worker."""

    name: str
    data_dir: Path
    args: list[str]
    port: int | None = None  # nodes: where they listen
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Cluster:
    """``nodes`` API nodes and ``workers`` background workers sharing one store, behind HAProxy.

    ``config`` holds settings sections (as TOML tables); the cluster adds what it needs: the
    store, shared rate-limit counters, ``[cluster] nodes``, ``[jobs] runner = "none"`` (the
    workers do the background work), the balancer as ``[site] server`` and trusted proxy, a
    ``[site] secret_key`` common to all, and one maildir for all workers.
    """

    base: Path
    database_url: str
    redis_url: str | None = None
    nodes: int = 2
    workers: int = 2
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    port: int | None = None  # the balancer's; a free one when None
    node_processes: int = 1  # serve --workers of each node
    members: list[Member] = field(init=False, default_factory=list)
    haproxy: HAProxy | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.base = Path(self.base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.settings_tables = self._configuration()
        self.config_path = self.base / "wikipost.toml"
        self.config_path.write_text(
            "# Written by wikipost.devcluster: every node and worker of the cluster reads it.\n"
            + to_toml(self.settings_tables),
            encoding="utf-8",
        )
        for n in range(1, self.nodes + 1):
            name = f"node{n}"
            port = free_port()
            args = [
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.node_processes),
            ]
            self.members.append(Member(name, self.base / name, args, port=port))
        for n in range(1, self.workers + 1):
            name = f"worker{n}"
            self.members.append(Member(name, self.base / name, ["worker"]))

    # --- configuration ------------------------------------------------------------------------

    def _configuration(self) -> dict[str, dict[str, Any]]:
        tables: dict[str, dict[str, Any]] = {k: dict(v) for k, v in self.config.items()}
        site = tables.setdefault("site", {})
        site.setdefault("server", self.base_url)
        site.setdefault("secret_key", secrets.token_hex(32))
        tables["database"] = {**tables.get("database", {}), "url": self.database_url}
        limits = tables.setdefault("ratelimits", {})
        if str(limits.get("storage", "memory://")).startswith("memory://"):
            limits["storage"] = self.redis_url or "database"
        cluster = tables.setdefault("cluster", {})
        cluster.setdefault("nodes", self.nodes)
        cluster.setdefault("trusted_proxies", ["127.0.0.1"])
        tables.setdefault("jobs", {})["runner"] = "none"
        mail = tables.setdefault("mail", {})
        if mail.get("backend", "maildir") == "maildir" and not mail.get("maildir"):
            mail["maildir"] = str(self.base / "maildir")
        return tables

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def script_path(self) -> str:
        return str(self.config.get("site", {}).get("script_path", "/w"))

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{self.script_path}/api.php"

    @property
    def index_url(self) -> str:
        return f"{self.base_url}{self.script_path}/index.php"

    @property
    def maildir(self) -> Path | None:
        mail = self.settings_tables.get("mail", {})
        return Path(mail["maildir"]) if mail.get("maildir") else None

    def node_members(self) -> list[Member]:
        return [m for m in self.members if m.port is not None]

    def node_api_urls(self) -> list[str]:
        """Each node's own api.php, bypassing the balancer."""
        return [f"http://127.0.0.1:{m.port}{self.script_path}/api.php" for m in self.node_members()]

    # --- commands -------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def global_args(self, data_dir: Path | None = None) -> list[str]:
        return ["--data-dir", str(data_dir or self.base), "--config", str(self.config_path)]

    def cli(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """``wikipost ARGS`` on the cluster's configuration (data dir: the cluster's base)."""
        result = subprocess.run(
            [*wikipost_command(), *self.global_args(), *args],
            capture_output=True,
            text=True,
            input=input,
            env=self.env(),
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise ClusterError(
                f"wikipost {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def init(self, *args: str) -> str:
        """``wikipost init ARGS``: migrate and install the store, once for the whole cluster."""
        return self.cli("init", *args).stdout

    # --- processes ------------------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> Cluster:
        """Start the nodes and workers, wait until every node answers, then start HAProxy."""
        try:
            for member in self.members:
                if not member.running:
                    self._spawn(member)
            self._wait_nodes(timeout)
            if self.haproxy is None or self.haproxy.proc.poll() is not None:
                nodes = [(m.name, m.port) for m in self.node_members() if m.port is not None]
                self.haproxy = HAProxy.start(
                    self.base / "haproxy",
                    nodes,
                    port=self.port,
                    health_check=self._health_check(),
                    timeout=timeout,
                )
        except BaseException:
            self.stop()
            raise
        return self

    def _health_check(self) -> str:
        """``/healthz`` where the nodes serve it (wikipost/ops), else a cheap API request."""
        port = self.node_members()[0].port
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTHZ}", timeout=10) as answer:
                if answer.status == 200:
                    return HEALTHZ
        except OSError:  # HTTPError (404: no such route) and connection errors alike
            pass
        return f"{self.script_path}/api.php?{HEALTH_QUERY}"

    def _spawn(self, member: Member) -> None:
        member.data_dir.mkdir(parents=True, exist_ok=True)
        with open(member.log_path, "ab") as log:
            member.proc = subprocess.Popen(
                [*wikipost_command(), *self.global_args(member.data_dir), *member.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env(),
                start_new_session=True,
                preexec_fn=die_with_parent,
            )

    def _wait_nodes(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = self.node_members()
        while waiting:
            gone = self.dead()
            if gone:
                raise ClusterError(f"{', '.join(gone)} exited while starting:\n{self.log()}")
            waiting = [m for m in waiting if m.port is None or not port_open(m.port)]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(m.name for m in waiting)
                raise ClusterError(f"{names} did not listen within {timeout}s:\n{self.log()}")
            if waiting:
                time.sleep(0.05)

    def dead(self) -> list[str]:
        """Names of the processes that were started and have exited (haproxy included)."""
        gone = [
            f"{m.name} (pid {m.pid}, exit {m.proc.returncode})"
            for m in self.members
            if m.proc is not None and m.proc.poll() is not None
        ]
        if self.haproxy is not None and self.haproxy.proc.poll() is not None:
            gone.append(f"haproxy (pid {self.haproxy.proc.pid}, exit {self.haproxy.proc.returncode})")
        return gone

    def pids(self) -> dict[str, int]:
        """Each running process's pid: node1, node2, worker1, …, haproxy."""
        out = {m.name: m.proc.pid for m in self.members if m.proc is not None}
        if self.haproxy is not None:
            out["haproxy"] = self.haproxy.proc.pid
        return out

    @property
    def running(self) -> bool:
        return all(m.running for m in self.members) and self.haproxy is not None and not self.dead()

    def stop(self, timeout: float = STOP_TIMEOUT) -> dict[str, int | None]:
        """SIGTERM to the balancer, then to every node and worker at once; SIGKILL what is left
        after ``timeout``. Each process's exit code."""
        codes: dict[str, int | None] = {}
        if self.haproxy is not None:
            self.haproxy.stop()
            codes["haproxy"] = self.haproxy.proc.returncode
            self.haproxy = None
        self._signal_all(signal.SIGTERM)
        for member in self.members:
            if member.proc is not None:
                stop_process_group(member.proc, timeout=timeout)
                codes[member.name] = member.proc.returncode
        return codes

    def kill(self) -> None:
        """SIGKILL every process: a crash of the whole cluster (the store keeps what it had)."""
        if self.haproxy is not None:
            stop_process_group(self.haproxy.proc, signal.SIGKILL)
            self.haproxy = None
        self._signal_all(signal.SIGKILL)
        for member in self.members:
            if member.proc is not None:
                stop_process_group(member.proc, signal.SIGKILL)

    def _signal_all(self, sig: int) -> None:
        for member in self.members:
            if member.proc is not None and member.proc.poll() is None:
                try:
                    os.killpg(member.proc.pid, sig)
                except ProcessLookupError:
                    pass

    def stop_member(self, name: str, sig: int = signal.SIGTERM) -> int | None:
        """Stop one node or worker (SIGKILL: a crash); its exit code."""
        member = self.member(name)
        if member.proc is None:
            return None
        stop_process_group(member.proc, sig)
        return member.proc.returncode

    def start_member(self, name: str, timeout: float = START_TIMEOUT) -> None:
        """Start one stopped node or worker again (a node on the port HAProxy knows)."""
        member = self.member(name)
        if member.running:
            return
        self._spawn(member)
        if member.port is not None:
            self._wait_nodes(timeout)

    def member(self, name: str) -> Member:
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(name)

    def log(self, chars: int = 2000, names: Sequence[str] | None = None) -> str:
        """The tails of the processes' logs, each under its name."""
        parts = []
        for m in self.members:
            if names is None or m.name in names:
                parts.append(f"--- {m.name} ---\n{tail(m.log_path, chars)}")
        if names is None or "haproxy" in names:
            parts.append(f"--- haproxy ---\n{tail(self.base / 'haproxy' / 'haproxy.log', chars)}")
        return "\n".join(parts)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
