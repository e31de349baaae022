"""Mass-message delivery speed and memory for lists of 1,000, 10,000 and 100,000 targets.

For each size, in fresh processes on a fresh SQLite store:
1. setup: N users (bulk insert), a JSON delivery list of their N ``User:`` pages, an admin;
2. submit: ``MassMessageService.submit`` (what ``action=massmessage`` runs) — N targets resolved
   (User → User talk, redirects) and recorded;
3. deliver: the job queue drained as ``wikipost jobs run`` does — N new-section edits.
Each phase runs in its own process so its peak RSS is its own. Prints deliveries per second of
wall time and per second of the process's CPU time (the latter does not depend on how busy the
machine is; SQLite's fsyncs are the difference).

    .venv/bin/python bench/massmessage.py [SIZES...]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _wiki(data_dir: Path):  # type: ignore[no-untyped-def]
    from wikipost.db.migrate import upgrade
    from wikipost.settings import Settings
    from wikipost.wiki import build_wiki

    settings = Settings(data_dir=data_dir).replace(
        site={"name": "BenchWiki", "server": "http://127.0.0.1:8081", "wiki_id": "benchwiki"},
        mail={"backend": "memory"},
        # bench/deliveries.py runs the same phases on a PostgreSQL store
        database={"url": os.environ.get("BENCH_DATABASE_URL", "")},
    )
    wiki = build_wiki(settings)
    upgrade(wiki.db)
    return wiki


def phase_setup(data_dir: Path, size: int) -> dict[str, float]:
    from wikipost.db.schema.accounts import users

    wiki = _wiki(data_dir)
    now = int(time.time())
    with wiki.db.write() as conn:
        for start in range(0, size, 5000):
            conn.execute(
                insert(users),
                [
                    {
                        "name": f"Bench user {i}",
                        "email": "",
                        "registration": now,
                        "editcount": 0,
                        "is_system": False,
                    }
                    for i in range(start, min(size, start + 5000))
                ],
            )
    admin = wiki.users.create("Admin", None, groups=("sysop",))
    text = json.dumps(
        {"description": "bench", "targets": [{"title": f"User:Bench user {i}"} for i in range(size)]}
    )
    with wiki.db.write() as conn:
        wiki.pages.save(
            conn,
            title=wiki.titles.parse("Bench list"),
            actor=wiki.users.actor_for(admin),
            text=text,
            content_model="MassMessageListContent",
        )
    wiki.close()
    return {}


def phase_submit(data_dir: Path, size: int) -> dict[str, float]:
    from wikipost.services.massmessage import SendRequest

    wiki = _wiki(data_dir)
    admin = wiki.users.get_by_name("Admin")
    assert admin is not None
    started = time.perf_counter()
    _send, count = wiki.massmessage.submit(
        wiki.users.actor_for(admin),
        SendRequest("Bench list", "Bench newsletter", "Hello, this is the bench. ~~~~", None),
    )
    elapsed = time.perf_counter() - started
    assert count == size, count
    wiki.close()
    return {"submit_s": elapsed}


def phase_deliver(data_dir: Path, size: int) -> dict[str, float]:
    wiki = _wiki(data_dir)
    started, cpu = time.perf_counter(), time.process_time()
    wiki.background().drain()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    status = wiki.massmessage.status(1)
    assert status is not None and status.delivered == size, status
    wiki.close()
    return {"deliver_s": elapsed, "deliver_cpu_s": cpu}


PHASES = {"setup": phase_setup, "submit": phase_submit, "deliver": phase_deliver}


def child(phase: str, data_dir: str, size: int) -> None:
    figures = PHASES[phase](Path(data_dir), size)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def run(size: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="wikipost-bench-") as tmp:
        for phase in PHASES:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", phase, tmp, str(size)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{phase} failed:\n{proc.stderr}")
            figures = json.loads(proc.stdout.strip().splitlines()[-1])
            out.update({f"{phase}_{k}" if k == "peak_rss_mb" else k: v for k, v in figures.items()})
    return out


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        child(argv[1], argv[2], int(argv[3]))
        return
    sizes = [int(a) for a in argv] or [1_000, 10_000, 100_000]
    print(
        f"{'targets':>8} {'submit s':>9} {'deliver s':>10} {'deliveries/s':>13} "
        f"{'per CPU-s':>10} {'submit RSS MB':>14} {'deliver RSS MB':>15}"
    )
    for size in sizes:
        f = run(size)
        print(
            f"{size:>8} {f['submit_s']:>9.2f} {f['deliver_s']:>10.2f} "
            f"{size / f['deliver_s']:>13.0f} {size / f['deliver_cpu_s']:>10.0f} "
            f"{f['submit_peak_rss_mb']:>14.0f} "
            f"{f['deliver_peak_rss_mb']:>15.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
