"""Replay the MediaWiki 1.39 transcripts against a live ``wikipost serve`` and report.

    python -m tests.conformance.runner [--strict] [--only PREFIX] [--verbose] [--cluster]

Each transcript runs on its own fresh data dir shaped like the captured wiki (wiki_setup.py),
with one cookie jar per transcript session; ``--cluster`` (or ``WIKIPOST_TEST_TARGET=cluster``)
replays against a cluster instead (two nodes and two workers behind HAProxy, PostgreSQL and
Redis started for it: tests/cluster/target.py). The report gives matched/total per module (the
record-name prefix) and each mismatch with a short diff. Exit status 0 always (it is a report),
unless ``--strict`` and something did not match.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from tests.conformance.compare import compare_response
from tests.conformance.decisions import apply_decisions
from tests.conformance.delivery_order import canonical_record, canonical_text
from tests.conformance.gaps import gaps_for
from tests.conformance.replay import Replayer, iter_requests, load_records
from tests.conformance.wiki_setup import SERVER, install_wiki, shape_wiki
from tests.live import LiveServer, cluster_target, start_live_server

# (work dir, config, init=, start=) -> a server with LiveServer's interface, not started.
StartServer = Callable[..., Any]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "conformance"
# The transcripts were captured on 24 November 2026 (signatures "19:40, 24 November 2026 (UTC)");
# the replays run at noon of that day, far from either midnight.
CAPTURE_DAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp()
TRANSCRIPTS = [
    FIXTURES / "mediawiki-1.39.transcript.jsonl",
    FIXTURES / "mediawiki-1.39.pages.transcript.jsonl",
]


@dataclass
class Mismatch:
    transcript: str
    seq: int
    name: str
    diffs: list[str]
    answer: str = ""  # our raw body, for --dump


@dataclass
class Report:
    totals: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    mismatches: list[Mismatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(m for m, _ in self.totals.values())

    @property
    def total(self) -> int:
        return sum(t for _, t in self.totals.values())

    def add(self, transcript: str, record: dict[str, Any], diffs: list[str], answer: str = "") -> None:
        module = str(record["name"]).split(".")[0]
        self.totals[module][1] += 1
        if diffs:
            seq = int(record.get("seq", 0))
            self.mismatches.append(Mismatch(transcript, seq, str(record["name"]), diffs, answer))
        else:
            self.totals[module][0] += 1

    def render(self, verbose: bool = True) -> str:
        lines = [f"conformance: {self.matched}/{self.total} records match"]
        for module in sorted(self.totals):
            matched, total = self.totals[module]
            lines.append(f"  {module:<22} {matched:>4}/{total:<4}")
        lines += [f"  note: {n}" for n in self.notes]
        if verbose and self.mismatches:
            lines.append("mismatches:")
            for m in self.mismatches:
                lines.append(f"  [{m.transcript} #{m.seq}] {m.name}")
                lines += [f"      {d}" for d in m.diffs]
        return "\n".join(lines)


def run_transcript(
    path: Path,
    work_dir: Path,
    report: Report,
    *,
    only: str | None = None,
    start_server: StartServer = start_live_server,
) -> None:
    # The embedded default everywhere: rate-limit counters in the server's memory, which
    # `wikipost ratelimit reset` ("rate limiter reset before this request") reaches through the
    # store's reset log. The wiki's clock is set to the capture day (every process of it: serve,
    # its worker, the CLI), so signatures carry a date of the capture's length and sizes compare
    # exactly.
    config: dict[str, dict[str, Any]] = {
        "site": {"server": SERVER, "clock_offset": CAPTURE_DAY_NOON - time.time()},
        "mail": {"backend": "maildir"},
    }
    server: LiveServer | Any = None
    label = path.name.removeprefix("mediawiki-1.39.").removesuffix(".jsonl")
    try:
        server = start_server(work_dir, config, init=False, start=False)
        setup = install_wiki(server)
        server.start()
        setup = shape_wiki(server, setup)
        report.notes += [f"{label}: {line}" for line in setup.lines()]
        replayer = Replayer(server)
        gaps = gaps_for(path.name)
        for record in iter_requests(load_records(path)):
            while gaps and gaps[0][0] < int(record.get("seq", 0)):
                _, gap = gaps.pop(0)
                gap_answer = replayer.replay(gap)
                if gap_answer.status != 200 or gap_answer.headers.get("mediawiki-api-error"):
                    report.notes.append(
                        f"{label}: rebuilt request {gap['name']} failed: {gap_answer.text[:200]}"
                    )
            # Every record is replayed (later ones depend on earlier logins and edits); --only
            # narrows what is counted.
            counted = not only or str(record["name"]).startswith(only)
            expected = apply_decisions(record)
            try:
                answer = replayer.replay(record)
            except Exception as err:  # noqa: BLE001 - a broken record is a mismatch, not a crash
                if counted:
                    report.add(label, record, [f"request failed: {type(err).__name__}: {err}"])
                continue
            if counted:
                # Delivery jobs run in random order (fixtures README): compare order-free forms.
                outcome = compare_response(
                    canonical_record(expected), answer.status, answer.headers, canonical_text(answer.text)
                )
                report.add(label, record, outcome.diffs, answer.text)
    except Exception as err:  # noqa: BLE001 - the report says why nothing ran
        report.notes.append(f"{label}: could not run: {type(err).__name__}: {err}")
        for record in iter_requests(load_records(path)):
            if not only or str(record["name"]).startswith(only):
                report.add(label, record, ["not replayed (server did not start)"])
    finally:
        if server is not None:
            getattr(server, "close", server.stop)()


def run(
    transcripts: list[Path] | None = None,
    *,
    only: str | None = None,
    start_server: StartServer = start_live_server,
) -> Report:
    """Replay the transcripts (each on a fresh server made by ``start_server``); the report."""
    report = Report()
    with tempfile.TemporaryDirectory(prefix="wikipost-conformance-") as tmp:
        for n, path in enumerate(transcripts or TRANSCRIPTS):
            work = Path(tmp) / f"t{n}"
            work.mkdir()
            run_transcript(path, work, report, only=only, start_server=start_server)
    return report


@contextmanager
def cluster_servers() -> Iterator[StartServer]:
    """A ``start_server`` that makes clusters, on a PostgreSQL and a Redis started for the run."""
    from tests.cluster.target import own_backing, start_cluster_server

    with own_backing() as backing:
        yield partial(start_cluster_server, backing=backing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when anything mismatches")
    parser.add_argument("--only", help="replay only records whose name starts with this")
    parser.add_argument("--quiet", action="store_true", help="totals only, no mismatch list")
    parser.add_argument(
        "--dump", type=Path, help="write each mismatch (diffs and our body) to this JSON-lines file"
    )
    parser.add_argument(
        "--cluster", action="store_true", help="replay against a cluster (WIKIPOST_TEST_TARGET=cluster)"
    )
    parser.add_argument("transcripts", nargs="*", type=Path, help="transcript files (default: both)")
    args = parser.parse_args(argv)
    if args.cluster or cluster_target():
        with cluster_servers() as start_server:
            report = run(args.transcripts or None, only=args.only, start_server=start_server)
    else:
        report = run(args.transcripts or None, only=args.only)
    print(report.render(verbose=not args.quiet))
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for m in report.mismatches:
                out.write(
                    json.dumps(
                        {
                            "transcript": m.transcript,
                            "seq": m.seq,
                            "name": m.name,
                            "diffs": m.diffs,
                            "answer": m.answer,
                        }
                    )
                    + "\n"
                )
    if args.strict and report.mismatches:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
