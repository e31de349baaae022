"""``python -m wikipost.devcluster``: a cluster in the foreground until Ctrl-C (``make cluster``).

Starts PostgreSQL and Redis, runs ``wikipost init --demo-admin`` once, starts the API nodes,
the workers and HAProxy, and prints the balancer's URL, the configuration file and every
process's pid. Ctrl-C (or SIGTERM) stops everything; so does any process of the cluster that
exits on its own, after saying which one. Everything lives in a temporary directory, removed at
the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType

from wikipost.devcluster.cluster import Cluster, ClusterError
from wikipost.devcluster.postgres import PostgresServer
from wikipost.devcluster.procs import ServerUnavailable
from wikipost.devcluster.redis import RedisServer

POLL_SECONDS = 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wikipost.devcluster", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="the balancer's port on 127.0.0.1 (0: any free)"
    )
    parser.add_argument("--nodes", type=int, default=2, help="API nodes (wikipost serve)")
    parser.add_argument("--workers", type=int, default=2, help="background workers (wikipost worker)")
    parser.add_argument("--base", type=Path, help="directory for everything (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the directory at the end")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    base = args.base or Path(tempfile.mkdtemp(prefix="wikipost-cluster-"))
    postgres: PostgresServer | None = None
    redis: RedisServer | None = None
    cluster: Cluster | None = None
    code = 0
    try:
        say("starting PostgreSQL and Redis (Debian's packages; installed when missing) …")
        postgres = PostgresServer.start()
        redis = RedisServer.start()
        cluster = Cluster(
            base,
            database_url=postgres.create_database("wikipost"),
            redis_url=redis.url(),
            nodes=args.nodes,
            workers=args.workers,
            port=args.port or None,
        )
        say(cluster.init("--demo-admin").rstrip())
        cluster.start()
        others = {"postgres": postgres.proc.pid, "redis": redis.proc.pid}
        say(f"\nThe wiki: {cluster.api_url}  (pages: {cluster.base_url}/)")
        say(f"configuration of every node and worker: {cluster.config_path}")
        if cluster.maildir is not None:
            say(f"mail: {cluster.maildir}/new")
        for name, pid in {**cluster.pids(), **others}.items():
            say(f"  {name:<9} pid {pid}")
        for member in cluster.node_members():
            say(
                f"  {member.name} answers directly on http://127.0.0.1:{member.port}{cluster.script_path}/api.php"
            )
        say("Ctrl-C stops everything.")
        while not stop.wait(POLL_SECONDS):
            gone = cluster.dead()
            gone += [
                f"{n} (pid {p.proc.pid})"
                for n, p in (("postgres", postgres), ("redis", redis))
                if p.proc.poll() is not None
            ]
            if gone:
                say(f"\n{', '.join(gone)} exited unexpectedly; stopping everything.")
                say(cluster.log(1500, names=[g.split()[0] for g in gone]))
                code = 1
                break
    except (ServerUnavailable, ClusterError) as err:
        say(f"error: {err}")
        code = 1
    finally:
        # Ctrl-C again while stopping must not leave anything behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        say("stopping …")
        if cluster is not None:
            cluster.stop()
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()
        if not args.keep and args.base is None:
            shutil.rmtree(base, ignore_errors=True)
        say("stopped." if code == 0 else "stopped (with an error).")
    return code


def say(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
