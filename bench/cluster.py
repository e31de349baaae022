"""Benchmark: accepted action=emailuser requests/s through HAProxy onto the development cluster
(two `wikipost serve` nodes, two `wikipost worker` processes, PostgreSQL, Redis counters), next
to one of its nodes alone, and mails/s delivered by the workers into a local aiosmtpd.

    .venv/bin/python bench/cluster.py [--requests 400] [--seconds 5] [--nodes 2] [--workers 2]

The same measurements as bench/emailuser.py (whose clients it uses): Python clients at 1 and 8
concurrent requests, and ``wrk`` with 8 connections when it is installed. Everything runs on
this machine: on 2 cores the client, HAProxy, PostgreSQL, Redis and the workers share the CPU
with the nodes, so the figure says what the cluster costs here, not what more machines give.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import emailuser as single  # noqa: E402 - bench/emailuser.py: its clients and wrk run

from tests.mail.sink import Sink  # noqa: E402
from wikipost.devcluster.cluster import Cluster  # noqa: E402
from wikipost.devcluster.postgres import PostgresServer  # noqa: E402
from wikipost.devcluster.redis import RedisServer  # noqa: E402


def start_cluster(
    base: Path, sink: Sink, postgres: PostgresServer, redis: RedisServer, args: argparse.Namespace
) -> Cluster:
    cluster = Cluster(
        base,
        database_url=postgres.create_database("wikipost_bench"),
        redis_url=redis.url(),
        nodes=args.nodes,
        workers=args.workers,
        config={
            "mail": {"backend": "smtp", "smtp_port": sink.port},
            "ratelimits": {"emailuser": {"user": [10**9, 86400]}},
        },
    )
    cluster.init()
    for name in ("Alice", "Bob"):
        cluster.cli(
            "user", "create", name, "--password", f"{name.lower()}-bench-pass",
            "--email", f"{name.lower()}@bench.test", "--confirmed",
        )  # fmt: skip
    cluster.cli(
        "botpassword", "create", "Alice", "bench", "--grants", "basic,sendemail", "--password", single.BOT[1]
    )
    return cluster.start()


def measure(url: str, label: str, args: argparse.Namespace) -> None:
    single.API = url
    single.run_clients(2, 40, f"warmup-{label}")
    for concurrency in (1, 8):
        elapsed, lat = single.run_clients(concurrency, args.requests, f"{label}-c{concurrency}")
        print(
            f"{label}: emailuser accepted, {concurrency} client(s): {len(lat) / elapsed:6.0f} req/s"
            f"  p50 {single.pct(lat, 50):6.2f} ms  p95 {single.pct(lat, 95):6.2f} ms  ({len(lat)} requests)"
        )
    if shutil.which("wrk"):
        print(f"{label}: {single.run_wrk(8, args.seconds)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="per concurrency level")
    parser.add_argument("--seconds", type=int, default=5, help="wrk run length")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    postgres = PostgresServer.start()
    redis = RedisServer.start()
    try:
        with tempfile.TemporaryDirectory() as tmp, Sink() as sink:
            cluster = start_cluster(Path(tmp), sink, postgres, redis, args)
            try:
                print(
                    f"cluster: {args.nodes} nodes behind HAProxy, {args.workers} workers, PostgreSQL, "
                    "Redis rate-limit counters, smtp into an aiosmtpd sink in this process"
                )
                measure(cluster.api_url, "through HAProxy", args)
                measure(cluster.node_api_urls()[0], "node1 alone   ", args)
                # End to end: requests in through HAProxy, mails out of both workers into SMTP.
                single.API = cluster.api_url
                already = len(sink.received)
                start = time.perf_counter()
                elapsed, lat = single.run_clients(8, args.requests, "e2e")
                sink.handler.wait_for(already + len(lat), timeout=600)
                total = time.perf_counter() - start
                print(
                    f"end to end, 8 clients through HAProxy: {len(lat)} mails delivered to SMTP in "
                    f"{total:.2f} s = {len(lat) / total:.0f} mails/s (requests took {elapsed:.2f} s)"
                )
            finally:
                cluster.stop()
    finally:
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
