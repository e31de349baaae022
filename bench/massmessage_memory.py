"""Peak memory of a mass-message send by list size, on SQLite and on PostgreSQL (#14).

For each store and size: a fresh store with N users and a JSON delivery list of their user
pages (written beside the server, through the services), then a fresh ``wikipost serve``; one
``action=massmessage`` to the list; serve's peak RSS (VmHWM) after the submit, then — once the
send is delivered — the peak RSS of the worker process serve started (``jobs work``), which
delivered it. Each size gets its own server process, so each high-water mark is that size's.
Prints both peaks and their ratio to the first size's.

    .venv/bin/python bench/massmessage_memory.py [--stores sqlite,postgres] [--sizes 1000,10000,100000]
        [--deliver-max-postgres 10000]

Deliveries above ``--deliver-max-postgres`` targets are not waited for on PostgreSQL (only the
submit is measured there: "-" in the worker columns). The measuring code is the memory test's
(tests/massmessage/test_memory_flat.py); PostgreSQL is tests/servers.py's throw-away server.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.massmessage.test_memory_flat import SendFigures, fresh_send  # noqa: E402
from tests.servers import PostgresServer  # noqa: E402


def _mb(kb: int | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.1f}"


def _split(kb: tuple[int, int] | None) -> str:
    return "-" if kb is None else f"{kb[0] / 1024:.0f}+{kb[1] / 1024:.0f}"


def _ratio(kb: int | None, base: int | None) -> str:
    return "-" if kb is None or not base else f"{kb / base:.2f}"


def run_store(store: str, sizes: list[int], deliver_max: int | None, pg: PostgresServer | None) -> None:
    first: SendFigures | None = None
    for n, size in enumerate(sizes):
        config: dict[str, dict[str, object]] = {}
        if store == "postgres":
            assert pg is not None
            config["database"] = {"url": pg.create_database(f"bench_memory_{n}")}
        with tempfile.TemporaryDirectory(prefix="wikipost-bench-") as tmp:
            deliver = deliver_max is None or size <= deliver_max
            f = fresh_send(Path(tmp), size, config, deliver=deliver)
        first = first or f
        deliver_s = "-" if f.deliver_seconds is None else f"{f.deliver_seconds:.1f}"
        print(
            f"{store:>9} {size:>8} {f.submit_seconds:>9.2f} {deliver_s:>10} "
            f"{_mb(f.serve_before_kb):>8} {_mb(f.serve_kb):>9} {_ratio(f.serve_kb, first.serve_kb):>6} "
            f"{_split(f.serve_split_kb):>8} "
            f"{_mb(f.worker_before_kb):>9} {_mb(f.worker_kb):>10} {_ratio(f.worker_kb, first.worker_kb):>6} "
            f"{_split(f.worker_split_kb):>8}",
            flush=True,
        )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--deliver-max-postgres", type=int, default=10_000)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    stores = args.stores.split(",")
    print(
        f"{'store':>9} {'targets':>8} {'submit s':>9} {'deliver s':>10} "
        f"{'serve0':>8} {'serve':>9} {'ratio':>6} {'anon+file':>8} "
        f"{'worker0':>9} {'worker':>10} {'ratio':>6} {'anon+file':>8}"
    )
    for store in stores:
        if store == "sqlite":
            run_store(store, sizes, None, None)
        elif store == "postgres":
            pg = PostgresServer.start()
            try:
                run_store(store, sizes, args.deliver_max_postgres, pg)
            finally:
                pg.stop()
        else:
            raise SystemExit(f"unknown store {store!r} (sqlite, postgres)")
    print(
        "MB: serve0/worker0 resident before the submit (after start and a login); serve: peak during\n"
        "the submit; worker: peak from the submit until the send is delivered (VmHWM, reset first);\n"
        "anon+file: resident anonymous + file-backed (mostly the mapped SQLite file) at the end"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
