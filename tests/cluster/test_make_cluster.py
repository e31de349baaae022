"""``make cluster`` as a developer runs it: the printed URL answers; Ctrl-C (SIGINT to the
terminal's process group) stops everything; a process that dies stops everything too."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.cluster.support import descendants, still_running
from tests.servers import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.live]

ROOT = Path(__file__).resolve().parents[2]
READY = "Ctrl-C stops everything."
START_TIMEOUT = 180


class Foreground:
    """A command in a process group of its own, as a terminal runs it; its output line by line."""

    def __init__(self, command: list[str]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIPOST_")}
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.strip() == READY:
                self._ready.set()
        self._ready.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self) -> None:
        assert self._ready.wait(START_TIMEOUT), f"not ready within {START_TIMEOUT}s:\n{self.output}"
        assert self.proc.poll() is None, f"exited with {self.proc.returncode}:\n{self.output}"

    def pid_of(self, name: str) -> int:
        for line in self.lines:
            match = re.fullmatch(rf"\s*{name}\s+pid (\d+)", line)
            if match:
                return int(match.group(1))
        raise AssertionError(f"no pid printed for {name}:\n{self.output}")

    def finish(self, timeout: float = 90) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture
def foreground() -> Iterator[list[Foreground]]:
    started: list[Foreground] = []
    yield started
    for run in started:
        run.kill()


def test_make_cluster_serves_then_ctrl_c_leaves_nothing_running(foreground: list[Foreground]) -> None:
    port = free_port()
    # -o .venv/.installed: use the installed venv as it is (no pip run inside the test).
    run = Foreground(["make", "-s", "-o", ".venv/.installed", "cluster", f"PORT={port}"])
    foreground.append(run)
    run.wait_ready()
    url = f"http://127.0.0.1:{port}/w/api.php"
    assert f"The wiki: {url}" in run.output
    config = re.search(r"configuration of every node and worker: (\S+)", run.output)
    assert config is not None and Path(config.group(1)).is_file()
    for name in ("node1", "node2", "worker1", "worker2", "haproxy", "postgres", "redis"):
        assert run.pid_of(name) > 0
    answer = requests.get(url, params={"action": "query", "meta": "siteinfo", "format": "json"}, timeout=30)
    assert answer.json()["query"]["general"]["server"] == f"http://127.0.0.1:{port}"
    everything = descendants(run.proc.pid)
    assert {run.pid_of("node1"), run.pid_of("worker2"), run.pid_of("postgres")} <= set(everything)

    os.killpg(run.proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
    run.finish()
    assert run.lines[-1] == "stopped.", run.output
    assert still_running(everything) == []
    assert not Path(config.group(1)).exists()  # the temporary directory went too


def test_a_process_that_dies_stops_the_whole_cluster(foreground: list[Foreground]) -> None:
    run = Foreground([sys.executable, "-m", "wikipost.devcluster", "--port", "0"])
    foreground.append(run)
    run.wait_ready()
    everything = descendants(run.proc.pid)
    worker = run.pid_of("worker1")
    os.kill(worker, signal.SIGKILL)
    assert run.finish() == 1
    assert f"worker1 (pid {worker}, exit -9) exited unexpectedly; stopping everything." in run.output
    assert run.lines[-1] == "stopped (with an error).", run.output
    assert still_running(everything) == []
