"""HAProxy from Debian's ``haproxy`` package in front of the nodes, on 127.0.0.1.

The generated haproxy.cfg balances round-robin over the nodes, per request (a client's
keep-alive connection is not pinned to one node: nothing in a node is the client's), checks
each node's health every second with an API request, adds ``X-Forwarded-For`` (the nodes trust
it from 127.0.0.1: ``[cluster] trusted_proxies``) and names the node that answered in an
``X-Wikipost-Node`` response header. A stats socket gives each node's state.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wikipost.devcluster.procs import (
    ServerUnavailable,
    die_with_parent,
    ensure_binary,
    free_port,
    stop_process_group,
    tail,
    wait_for_port,
)

HEALTH_QUERY = "action=query&format=json"
HEALTH_CHECK = f"/w/api.php?{HEALTH_QUERY}"


def haproxy_config(
    port: int, nodes: Sequence[tuple[str, int]], *, stats_socket: Path, health_check: str = HEALTH_CHECK
) -> str:
    servers = "\n".join(f"    server {name} 127.0.0.1:{node_port} check" for name, node_port in nodes)
    return f"""# Written by wikipost.devcluster: a balancer for the development cluster.
global
    maxconn 4096
    # Request lines and headers up to 64 KiB, as the nodes themselves take (HAProxy's default
    # 16 KiB would answer a long GET with its own 400).
    tune.bufsize 65536
    stats socket {stats_socket} mode 600 level admin

defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-request 30s
    # A node that refuses the connection (stopped, restarting): try another one.
    retries 2
    option redispatch
    option forwardfor

frontend wikipost
    bind 127.0.0.1:{port}
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk GET {health_check}
    http-check expect status 200
    # A check every second; a node is out after 3 failures in a row (refused at once when it is
    # gone, or 5 s without an answer: a busy node is not a dead one), back in after 2 successes.
    timeout check 5s
    default-server inter 1s fall 3 rise 2
    http-response set-header X-Wikipost-Node %[srv_name]
{servers}
"""


@dataclass
class HAProxy:
    port: int
    base: Path
    proc: subprocess.Popen[bytes]
    config_path: Path
    stats_socket: Path

    @classmethod
    def start(
        cls,
        base: Path,
        nodes: Sequence[tuple[str, int]],
        *,
        port: int | None = None,
        health_check: str = HEALTH_CHECK,
        timeout: float = 30.0,
    ) -> HAProxy:
        """Write ``base/haproxy.cfg`` for ``nodes`` ((name, port) on 127.0.0.1), check it, start
        HAProxy in the foreground and wait until every node is UP."""
        binary = ensure_binary("haproxy", "haproxy")
        base.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        config_path = base / "haproxy.cfg"
        stats_socket = base / "haproxy.sock"
        config_path.write_text(
            haproxy_config(port, nodes, stats_socket=stats_socket, health_check=health_check),
            encoding="utf-8",
        )
        check = subprocess.run(
            [binary, "-c", "-q", "-f", str(config_path)], capture_output=True, text=True, timeout=30
        )
        if check.returncode != 0:
            raise ServerUnavailable(f"haproxy refused {config_path}: {check.stdout}{check.stderr}")
        log = base / "haproxy.log"
        with open(log, "wb") as log_file:
            proc = subprocess.Popen(
                [binary, "-db", "-f", str(config_path)],  # -db: foreground, no daemon
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        server = cls(port=port, base=base, proc=proc, config_path=config_path, stats_socket=stats_socket)
        try:
            wait_for_port(port, proc, timeout, log)
            server.wait_for_states({name: "UP" for name, _ in nodes}, timeout)
        except BaseException:
            server.stop()
            raise
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.base / "haproxy.log"

    def command(self, line: str) -> str:
        """One command on the stats socket (``show stat``, ``disable server nodes/node1`` …)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def states(self) -> dict[str, str]:
        """Each node's state as HAProxy sees it: "UP", "DOWN", "UP 1/2" …"""
        lines = self.command("show stat").splitlines()
        if not lines or not lines[0].startswith("# "):
            return {}
        header = lines[0][2:].split(",")
        name_at, server_at, status_at = header.index("pxname"), header.index("svname"), header.index("status")
        out = {}
        for row in lines[1:]:
            cells = row.split(",")
            if len(cells) > status_at and cells[name_at] == "nodes" and cells[server_at] != "BACKEND":
                out[cells[server_at]] = cells[status_at]
        return out

    def wait_for_states(self, wanted: dict[str, str], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerUnavailable(f"haproxy exited with {self.proc.returncode}: {tail(self.log_path)}")
            try:
                states = self.states()
            except OSError:
                states = {}
            if all(states.get(name) == state for name, state in wanted.items()):
                return
            time.sleep(0.05)
        raise ServerUnavailable(f"haproxy: nodes {states} did not become {wanted} within {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        stop_process_group(self.proc, timeout=timeout)
