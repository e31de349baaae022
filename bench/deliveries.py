"""Mass-message deliveries per second on PostgreSQL with 1 and 2 `wikipost worker` processes.

For each (size, workers): a fresh database on a throw-away PostgreSQL (Debian's, as the tests
start it), N users and a delivery list (bench/massmessage.py's set-up phase), ``workers``
procrastinate workers started and idle, then one submit; the time is from the submit until the
send is done (the submit itself included). Also checks that every target got exactly one
delivery.

    .venv/bin/python bench/deliveries.py [--workers 1,2] [SIZES...]     (default 2000 10000)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.massmessage import phase_setup, phase_submit  # noqa: E402
from tests.servers import PostgresServer  # noqa: E402


def _status(url: str, data_dir: Path) -> tuple[str, int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM massmessage_sends WHERE id = 1")).scalar()
        delivered = conn.execute(
            text("SELECT count(*) FROM massmessage_targets WHERE status = 'delivered'")
        ).scalar()
        sections = conn.execute(
            text("SELECT count(*) FROM revisions r JOIN pages p ON p.id = r.page_id WHERE p.namespace = 3")
        ).scalar()
    engine.dispose()
    return str(status), int(delivered or 0), int(sections or 0)


def _workers_ready(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar()
    engine.dispose()
    return int(n or 0)


def run(pg: PostgresServer, size: int, workers: int) -> float:
    """Seconds from the submit (workers already running and idle) until the send is done."""
    url = pg.create_database(f"bench_{size}_{workers}_{int(time.time())}")
    with tempfile.TemporaryDirectory(prefix="wikipost-bench-") as tmp:
        data_dir = Path(tmp)
        os.environ["BENCH_DATABASE_URL"] = url
        phase_setup(data_dir, size)
        config = data_dir / "bench.toml"
        config.write_text(
            '[site]\nname = "BenchWiki"\nserver = "http://127.0.0.1:8081"\nwiki_id = "benchwiki"\n'
            f'[mail]\nbackend = "memory"\n[database]\nurl = "{url}"\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIPOST_")}
        cmd = [sys.executable, "-m", "wikipost", "--data-dir", tmp, "--config", str(config), "jobs", "work"]
        logs = [open(data_dir / f"worker{n}.log", "wb") for n in range(workers)]  # noqa: SIM115
        procs = [subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT) for log in logs]
        deadline = time.monotonic() + 600
        try:
            while _workers_ready(url) < workers:
                if any(p.poll() is not None for p in procs):
                    raise SystemExit("a worker exited")
                time.sleep(0.1)
            started = time.perf_counter()
            phase_submit(data_dir, size)
            while True:
                status, delivered, edits = _status(url, data_dir)
                if status == "done":
                    break
                if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                    tails = [
                        (data_dir / f"worker{n}.log").read_text(errors="replace")[-3000:]
                        for n in range(workers)
                    ]
                    raise SystemExit("a worker exited or the send did not finish:\n" + "\n".join(tails))
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(30)
            for log in logs:
                log.close()
        assert delivered == size, (delivered, size)
        assert edits == size, f"{edits} talk-page revisions for {size} targets"
    return elapsed


def main(argv: list[str]) -> None:
    worker_counts = [1, 2]
    if argv[:1] == ["--workers"]:
        worker_counts = [int(n) for n in argv[1].split(",")]
        argv = argv[2:]
    sizes = [int(a) for a in argv] or [2_000, 10_000]
    pg = PostgresServer.start()
    try:
        print(f"{'targets':>8} {'workers':>8} {'seconds':>8} {'deliveries/s':>13}")
        for size in sizes:
            for workers in worker_counts:
                elapsed = run(pg, size, workers)
                print(f"{size:>8} {workers:>8} {elapsed:>8.2f} {size / elapsed:>13.0f}", flush=True)
    finally:
        pg.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
