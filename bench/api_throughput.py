"""Requests per second of the Action API hot path, over real HTTP to ``wikipost serve``.

Starts ``wikipost serve`` (one uvicorn worker unless --workers) on a free 127.0.0.1 port with
a temporary data dir, then for meta=siteinfo and meta=tokens runs bounded loops with 1 and 8
concurrent clients (threads, one requests.Session each) and prints requests/s.

    .venv/bin/python bench/api_throughput.py [--requests N] [--workers W]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
QUERIES = {
    "meta=siteinfo": {"action": "query", "meta": "siteinfo", "format": "json"},
    "meta=tokens": {"action": "query", "meta": "tokens", "format": "json"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WIKIPOST_DATA_DIR": str(data_dir)}
    exe = str(ROOT / ".venv" / "bin" / "wikipost")
    subprocess.run([exe, "init"], env=env, check=True, capture_output=True)
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/w/api.php"
    for _ in range(200):
        try:
            requests.get(url, params=QUERIES["meta=tokens"], timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.terminate()
    raise SystemExit("server did not start")


def run(url: str, params: dict[str, str], clients: int, total: int) -> float:
    per_client = total // clients
    errors: list[str] = []

    def worker() -> None:
        with requests.Session() as session:
            for _ in range(per_client):
                r = session.get(url, params=params, timeout=30)
                if r.status_code != 200 or "error" in r.json():
                    errors.append(r.text[:200])

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    return per_client * clients / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(Path(tmp), port, args.workers)
        try:
            url = f"http://127.0.0.1:{port}/w/api.php"
            print(f"wikipost serve, {args.workers} worker(s), {args.requests} requests each")
            for name, params in QUERIES.items():
                run(url, params, 1, 50)  # warm up
                for clients in (1, 8):
                    rate = run(url, params, clients, args.requests)
                    print(f"  {name:14} {clients} client(s): {rate:8.0f} req/s")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
