"""A throw-away Redis on 127.0.0.1 from Debian's ``redis-server`` package (no persistence)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wikipost.devcluster.procs import (
    ServerUnavailable,
    apt_install,
    die_with_parent,
    free_port,
    wait_for_port,
)


def ensure_redis() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        apt_install(["redis-server"])
        binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailable("redis-server installed but not on PATH")
    return binary


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
