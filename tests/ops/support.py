"""Helpers of the operations tests: readiness, scraping /metrics, the worker process."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.support import children, proc_state, wait_until
from tests.live import LiveServer

# Small enough that a stopped worker shows within seconds, large enough that a loaded machine
# does not miss a heartbeat (the worker beats every quarter of it).
LAG_SECONDS = 2.0

Sample = tuple[str, frozenset[tuple[str, str]]]


def readyz(server: LiveServer) -> requests.Response:
    return requests.get(f"{server.base_url}/readyz", timeout=30)


def wait_ready(server: LiveServer, timeout: float = 60.0) -> dict[str, Any]:
    response = wait_until(lambda: (r := readyz(server)).status_code == 200 and r, timeout, "/readyz 200")
    body: dict[str, Any] = response.json()
    return body


def scrape(server: LiveServer) -> dict[Sample, float]:
    """Every sample of /metrics: (name, labels) -> value."""
    response = requests.get(f"{server.base_url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    samples: dict[Sample, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def settled(server: LiveServer) -> dict[Sample, float]:
    """A scrape taken once the outbox and the job queue are empty (earlier tests' work done)."""

    def scrape_when_idle() -> dict[Sample, float] | None:
        samples = scrape(server)
        waiting = value(samples, "wikipost_outbox_depth") + value(samples, "wikipost_job_queue_depth")
        return samples if waiting == 0 else None

    found: dict[Sample, float] = wait_until(scrape_when_idle, 60, "an idle outbox and job queue")
    return found


def value(samples: dict[Sample, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def worker_pid(server: LiveServer) -> int:
    """The worker process serve started (``wikipost jobs work``)."""
    assert server.proc is not None
    (pid,) = wait_until(lambda: children(server.proc.pid, b"jobs", b"work"), what="the worker process")
    return int(pid)


def holds_write_lock(pid: int) -> bool:
    """Whether ``pid`` holds an exclusive lock (our flock beside the SQLite file, or SQLite's
    own): stopped while holding it, it would keep every writer waiting."""
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields:  # a waiter, not a holder
            continue
        if len(fields) > 4 and fields[3] == "WRITE" and fields[4] == str(pid):
            return True
    return False


def stop_worker_idle(pid: int, attempts: int = 50) -> None:
    """SIGSTOP the worker at a moment it holds no write lock (else let it go on and try again)."""
    for _ in range(attempts):
        os.kill(pid, signal.SIGSTOP)
        wait_until(lambda: proc_state(pid) == "T", 10, "the worker to stop")
        if not holds_write_lock(pid):
            return
        os.kill(pid, signal.SIGCONT)
        wait_until(lambda: not holds_write_lock(pid), 30, "the worker to release its lock")
    raise AssertionError("the worker held a write lock at every attempt")
