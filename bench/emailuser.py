"""Benchmark: accepted action=emailuser requests/s (1 and 8 concurrent clients) against a live
`wikipost serve` (embedded SQLite store), and end-to-end mails/s out to a local aiosmtpd.

    .venv/bin/python bench/emailuser.py [--requests 2000] [--mails 3000] [--workers 1]

Prints requests/s with p50/p95 latency per concurrency, then mails/s from the outbox into SMTP.
When ``wrk`` is installed (Debian package ``wrk``) the request rates are measured with it too:
a Python client costs more CPU per request than the server does, so on a 2-core machine it,
not the server, would set the figure. Uses the test harness's real server and SMTP sink
(tests/live.py, tests/mail/sink.py).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live import LiveServer, bot_login, start_live_server  # noqa: E402
from tests.mail.sink import Sink  # noqa: E402

BOT = ("Alice@bench", "benchbotpass0123456789abcdefghijk")


def login() -> tuple[requests.Session, str]:
    return bot_login(API, *BOT)


def run_clients(concurrency: int, total: int, tag: str) -> tuple[float, list[float]]:
    per = total // concurrency
    latencies: list[float] = []
    lock = threading.Lock()
    sessions = [login() for _ in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)

    def client(i: int) -> None:
        s, csrf = sessions[i]
        mine = []
        barrier.wait()
        for n in range(per):
            t0 = time.perf_counter()
            r = s.post(
                API,
                data={
                    "action": "emailuser",
                    "target": "Bob",
                    "subject": f"{tag} {i}-{n}",
                    "text": "Benchmark mail.",
                    "token": csrf,
                    "format": "json",
                },
            )
            mine.append(time.perf_counter() - t0)
            if r.text != '{"emailuser":{"result":"Success"}}':
                raise RuntimeError(r.text)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies


WRK_SCRIPT = r"""
-- Every request must be a new mail: a repeated one is answered from the duplicate guard (D4).
local next_id = 0
function setup(thread) thread:set("tid", next_id); next_id = next_id + 1 end
function init(args)
  cookie = os.getenv("WP_COOKIE"); token = os.getenv("WP_TOKEN"); run = os.getenv("WP_RUN")
  counter = 0
end
function request()
  counter = counter + 1
  local body = "action=emailuser&format=json&target=Bob&text=Benchmark%20mail.&subject=wrk-"
    .. run .. "-" .. tid .. "-" .. counter .. "&token=" .. token
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
                                  ["Cookie"] = cookie}, body)
end
function done(summary, latency, requests)
  io.write(string.format("WRK %d %d %.3f %.3f %.3f\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.errors.status))
end
"""


def run_wrk(connections: int, seconds: int) -> str:
    """Requests/s and latency of emailuser measured by wrk, one logged-in session."""
    session, csrf = login()
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    env = dict(os.environ, WP_COOKIE=cookie, WP_TOKEN=urllib.parse.quote(csrf), WP_RUN=f"{time.time_ns()}")
    threads = "1" if connections == 1 else "2"
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", script.name, API],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    match = re.search(r"WRK (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if not match:
        return f"wrk gave no summary:\n{out}"
    total, micros, p50, p95, errors = match.groups()
    rate = int(total) / (int(micros) / 1e6)
    return (
        f"emailuser accepted (wrk), {connections} connection(s): {rate:8.0f} req/s  "
        f"p50 {float(p50):6.2f} ms  p95 {float(p95):6.2f} ms  "
        f"({total} requests, {int(float(errors))} non-2xx)"
    )


def wait_until_outbox_empty(server: Any, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with server.open_wiki() as wiki:
            counts = wiki.outbox.counts()
        if not counts.get("queued") and not counts.get("sending"):
            return
        time.sleep(0.5)


def outbox_total(server: Any) -> int:
    with server.open_wiki() as wiki:
        return sum(wiki.outbox.counts().values())


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] * 1000


def main() -> None:
    global API
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--mails", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10, help="wrk run length")
    args = parser.parse_args()
    if shutil.which("wrk"):
        embedded_rates(args)
    with tempfile.TemporaryDirectory() as tmp, Sink() as sink:
        server = bench_server(Path(tmp), {"backend": "smtp", "smtp_port": sink.port}, args.workers)
        API = server.api_url
        try:
            run_clients(2, 100, "warmup")
            print(
                f"server: {args.workers} worker process(es), SQLite store, smtp backend into an "
                "aiosmtpd sink in this process"
            )
            for concurrency in (1, 8):
                elapsed, lat = run_clients(concurrency, args.requests, f"c{concurrency}")
                print(
                    f"emailuser accepted, {concurrency} client(s): {len(lat) / elapsed:8.0f} req/s"
                    f"  p50 {pct(lat, 50):6.2f} ms  p95 {pct(lat, 95):6.2f} ms  ({len(lat)} requests)"
                )
            sink.handler.wait_for(100 + 2 * args.requests, timeout=300)
            wait_until_outbox_empty(server)
            # End to end: requests in, mails out through the outbox into SMTP.
            already = len(sink.received)
            start = time.perf_counter()
            first_arrival: list[float] = []
            elapsed, lat = run_clients(8, args.mails, "e2e")
            got = sink.handler.wait_for(already + len(lat), timeout=600)
            total = time.perf_counter() - start
            print(
                f"end to end, 8 clients: {len(lat)} mails delivered to SMTP in {total:.2f} s "
                f"= {len(lat) / total:.0f} mails/s (requests took {elapsed:.2f} s)"
            )
            del first_arrival
            if shutil.which("wrk"):
                # The same with wrk as the client: requests for --seconds, then until all are out.
                wait_until_outbox_empty(server)
                already = len(sink.received)
                start = time.perf_counter()
                line = run_wrk(8, args.seconds)
                wait_until_outbox_empty(server)
                total = time.perf_counter() - start
                delivered = len(sink.received) - already
                print(
                    f"end to end (wrk), 8 connections: {delivered} mails accepted and delivered to "
                    f"SMTP in {total:.2f} s = {delivered / total:.0f} mails/s\n    ({line.strip()})"
                )
            # Drain throughput alone: queue with SMTP down, then measure delivery of the backlog.
            with server.open_wiki() as wiki:
                counts = wiki.outbox.counts()
            print(f"outbox: {counts}; SMTP received {len(got)}")
        finally:
            server.stop()
    drain_bench(args.mails)


def bench_server(tmp: Path, mail: dict[str, Any], workers: int) -> LiveServer:
    """A started server with Alice (bot password ``Alice@bench``) and Bob, no effective quota."""
    config: dict[str, dict[str, Any]] = {
        "mail": mail,
        "ratelimits": {"emailuser": {"user": [10**9, 86400]}},
    }
    if workers > 1:
        config["ratelimits"]["storage"] = "database"
    server = start_live_server(tmp, config, start=False, workers=workers)
    for name in ("Alice", "Bob"):
        server.cli(
            "user",
            "create",
            name,
            "--password",
            f"{name.lower()}-bench-pass",
            "--email",
            f"{name.lower()}@bench.test",
            "--confirmed",
        )
    server.cli("botpassword", "create", "Alice", "bench", "--grants", "basic,sendemail", "--password", BOT[1])
    server.start()
    return server


def embedded_rates(args: argparse.Namespace) -> None:
    """Accepted requests/s on the embedded store (SQLite, maildir), measured with wrk."""
    global API
    with tempfile.TemporaryDirectory() as tmp:
        server = bench_server(Path(tmp), {"backend": "maildir"}, args.workers)
        API = server.api_url
        try:
            run_clients(2, 100, "warmup")
            print(
                f"server: {args.workers} server process(es) and serve's background worker process, "
                "embedded store (SQLite, maildir)"
            )
            for connections in (1, 8):
                wait_until_outbox_empty(server)
                before = outbox_total(server)
                start = time.perf_counter()
                print(run_wrk(connections, args.seconds))
                wait_until_outbox_empty(server)
                total = time.perf_counter() - start
                accepted = outbox_total(server) - before
                print(
                    f"    all {accepted} accepted mails were in the maildir {total:.2f} s after the "
                    f"start: {accepted / total:.0f} mails/s end to end"
                )
        finally:
            server.stop()


def drain_bench(count: int) -> None:
    """The outbox drain alone: a backlog of ``count`` mails delivered over one SMTP connection."""
    from tests.support import make_settings, sqlite_store
    from wikipost.clock import Clock
    from wikipost.wiki import build_wiki

    with tempfile.TemporaryDirectory() as tmp, Sink() as sink:
        d = Path(tmp)
        url = sqlite_store(d / "data", d / "tpl")
        settings = make_settings(
            d / "data",
            url,
            mail={"backend": "smtp", "smtp_port": sink.port},
            ratelimits={"emailuser": {"user": [10**9, 86400]}},
        )
        wiki = build_wiki(settings, clock=Clock())
        wiki.users.create("Alice", email="alice@bench.test", confirmed=True)
        wiki.users.create("Bob", email="bob@bench.test", confirmed=True)
        user = wiki.users.get_by_name("Alice")
        assert user is not None
        actor = wiki.users.actor_for(user)
        for n in range(count):
            wiki.emailuser.send(actor, "127.0.0.1", "Bob", f"drain {n}", "Benchmark.", False)
        start = time.perf_counter()
        wiki.background().drain()
        sink.handler.wait_for(count)
        elapsed = time.perf_counter() - start
        print(
            f"outbox drain alone: {count} mails over one SMTP connection in {elapsed:.2f} s "
            f"= {count / elapsed:.0f} mails/s"
        )
        wiki.close()


API = ""

if __name__ == "__main__":
    main()
