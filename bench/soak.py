"""Soak test: a steady mix of traffic against a live ``wikipost serve`` (embedded store: SQLite,
maildir, serve's worker process) for a minute, watching for errors and memory growth.

    .venv/bin/python bench/soak.py [--seconds 60] [--rate 100] [--warmup 10] [--threads 16]

The mix, at ``--rate`` requests/s on an open-loop schedule (a request is sent when it is due,
whether or not earlier ones were answered): reads (siteinfo, userinfo, list=users, revisions,
massmessagestatus), csrf tokens, emailuser, logins (a new session: login token, then login),
editmassmessagelist (add, then remove), massmessage to a 20-target list, and a few malformed
requests (unknown action, bad token, missing parameter, an undecodable body), which must get
their API error and nothing worse.

Every 10 s it prints the window's throughput, p50/p99 latency per module, errors, how late the
schedule ran, the outbox/job backlog and the RSS of serve and of its worker. At the end: the
totals after warm-up, and memory growth after warm-up. Exits non-zero on any error, or when the
floor of a process's anonymous memory rose by more than ``--max-growth-mb`` (see ``summarise``;
file-backed pages are the mapped SQLite database, which grows: see ``Memory``). Uses the test harness's server
(tests/live.py) and the conformance wiki's users (tests/anchorwiki.py).
"""

from __future__ import annotations

import argparse
import itertools
import json
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.anchorwiki import BOT_PASSWORDS, setup_anchorwiki  # noqa: E402
from tests.live import LiveServer, bot_login, start_live_server  # noqa: E402

SOAK_BOT = ("Admin@soak", "soakbotpass0123456789abcdefghijkl")
ALICE_BOT = (f"{BOT_PASSWORDS[0][0]}@{BOT_PASSWORDS[0][1]}", BOT_PASSWORDS[0][2])
TARGETS = 20
LIST = "Soak list"
# (operation, weight): what share of the requests each makes.
MIX = [
    ("read", 45),
    ("tokens", 15),
    ("emailuser", 15),
    ("login", 4),
    ("editmassmessagelist", 6),
    ("massmessage", 1),
    ("malformed", 4),
]


@dataclass
class Window:
    """What happened in one reporting window (or in the whole run)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)  # the first few errors, for the log
    late: list[float] = field(default_factory=list)
    seconds: float = 0.0  # how long the windows merged into this one lasted

    def add(self, module: str, seconds: float, error: str | None, late: float) -> None:
        self.latencies[module].append(seconds)
        self.late.append(late)
        if error is not None:
            self.errors[module] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{module}: {error}")

    def merge(self, other: Window) -> None:
        for module, values in other.latencies.items():
            self.latencies[module].extend(values)
        for module, count in other.errors.items():
            self.errors[module] += count
        self.late.extend(other.late)


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


class Client:
    """One worker thread's sessions: the soak bot (Admin@soak) and its csrf token."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.session, self.csrf = bot_login(api, *SOAK_BOT)
        self.counter = itertools.count()
        self.rng = random.Random()

    def get(self, **params: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.session.get(
            self.api, params={**params, "format": "json"}, timeout=30
        ).json()
        return answer

    def post(self, session: requests.Session | None = None, **data: str) -> dict[str, Any]:
        sender = session or self.session
        answer: dict[str, Any] = sender.post(self.api, data={**data, "format": "json"}, timeout=30).json()
        return answer

    # --- the operations: each returns None when the answer is the expected one ----------------

    def read(self) -> str | None:
        choice = self.rng.randrange(5)
        if choice == 0:
            answer = self.get(action="query", meta="siteinfo", siprop="general|statistics")
        elif choice == 1:
            answer = self.get(action="query", meta="userinfo", uiprop="rights|ratelimits")
        elif choice == 2:
            answer = self.get(action="query", list="users", ususers="Alice|Bob|Gina", usprop="emailable")
        elif choice == 3:
            title = f"User talk:Soak target {self.rng.randrange(TARGETS)}"
            answer = self.get(action="query", prop="revisions", titles=title, rvprop="content|ids")
        else:
            answer = self.get(action="query", list="massmessagestatus", limit="5")
        return None if "query" in answer and "error" not in answer else json.dumps(answer)[:300]

    def tokens(self) -> str | None:
        """A session's csrf token (timestamped, so not the one from login; never the anonymous +\\)."""
        token = (
            self.get(action="query", meta="tokens").get("query", {}).get("tokens", {}).get("csrftoken", "")
        )
        return None if len(token) > 2 and token.endswith("+\\") else f"csrftoken {token!r}"

    def emailuser(self) -> str | None:
        n = next(self.counter)
        answer = self.post(
            action="emailuser",
            target="Bob",
            subject=f"Soak {id(self)}-{n}",
            text="Soak mail.",
            token=self.csrf,
        )
        return None if answer == {"emailuser": {"result": "Success"}} else json.dumps(answer)[:300]

    def login(self) -> str | None:
        session = requests.Session()
        token = session.get(
            self.api,
            params={"action": "query", "meta": "tokens", "type": "login", "format": "json"},
            timeout=30,
        ).json()["query"]["tokens"]["logintoken"]
        answer = self.post(
            session, action="login", lgname=ALICE_BOT[0], lgpassword=ALICE_BOT[1], lgtoken=token
        )
        session.close()
        return None if answer.get("login", {}).get("result") == "Success" else json.dumps(answer)[:300]

    def editmassmessagelist(self) -> str | None:
        page = f"User talk:Soak extra {id(self)}-{next(self.counter)}"  # this client's alone
        added = self.post(action="editmassmessagelist", spamlist=LIST, add=page, token=self.csrf)
        removed = self.post(action="editmassmessagelist", spamlist=LIST, remove=page, token=self.csrf)
        ok = added.get("editmassmessagelist", {}).get("result") == "Success"
        ok = ok and removed.get("editmassmessagelist", {}).get("result") == "Success"
        return None if ok else json.dumps([added, removed])[:300]

    def massmessage(self) -> str | None:
        n = next(self.counter)
        answer = self.post(
            action="massmessage",
            spamlist=LIST,
            subject=f"Soak news {id(self)}-{n}",
            message="Hi.",
            token=self.csrf,
        )
        return None if answer.get("massmessage", {}).get("result") == "success" else json.dumps(answer)[:300]

    def malformed(self) -> str | None:
        """A request that must be refused with an API error (never an internal one)."""
        choice = self.rng.randrange(4)
        if choice == 0:
            response = self.session.get(
                self.api, params={"action": "nosuchaction", "format": "json"}, timeout=30
            )
        elif choice == 1:
            response = self.session.post(
                self.api,
                data={
                    "action": "emailuser",
                    "target": "Bob",
                    "subject": "x",
                    "text": "x",
                    "token": "bogus+\\",
                    "format": "json",
                },  # fmt: skip
                timeout=30,
            )
        elif choice == 2:
            response = self.session.post(
                self.api, data={"action": "emailuser", "token": self.csrf, "format": "json"}, timeout=30
            )
        else:
            response = self.session.post(
                self.api + "?format=json&action=editmassmessagelist",
                data=b"spamlist=\xff\xfe%%%&token=" + self.csrf.encode() + b"&add=\x00",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=30,
            )
        try:
            code = str(response.json()["error"]["code"])
        except (ValueError, KeyError, TypeError):
            return f"HTTP {response.status_code}: {response.text[:200]}"
        return None if not code.startswith("internal_api_error") else code


@dataclass(frozen=True)
class Memory:
    """A process's resident memory, MB: all of it, and its anonymous part (the heap).

    The rest is file-backed: SQLite maps the database (``PRAGMA mmap_size``), so every database
    page a process read counts in its RSS — page cache that grows with the database and that the
    kernel may drop, not memory the process holds. Growth is judged on the anonymous part."""

    rss: float = 0.0
    anon: float = 0.0

    @classmethod
    def of(cls, pid: int | None) -> Memory:
        if pid is None:
            return cls()
        fields: dict[str, float] = {}
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in ("VmRSS", "RssAnon"):
                    fields[name] = int(value.split()[0]) / 1024
        except OSError:
            return cls()
        return cls(fields.get("VmRSS", 0.0), fields.get("RssAnon", 0.0))

    def __str__(self) -> str:
        return f"{self.rss:6.1f} MB (anon {self.anon:5.1f})"


def worker_pid(server: LiveServer) -> int | None:
    """serve's ``jobs work`` child, from /proc."""
    assert server.proc is not None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if stat.rpartition(")")[2].split()[1] == str(server.proc.pid) and b"work" in argv:
            return int(entry.name)
    return None


def prepare(tmp: Path) -> LiveServer:
    config: dict[str, dict[str, Any]] = {
        "mail": {"backend": "maildir"},
        "ratelimits": {"emailuser": {"user": [10**9, 86400]}, "edit": {"user": [10**9, 60]}},
        "users": {"password_attempt_throttle": [[10**9, 300]]},
    }
    server = start_live_server(tmp, config, start=False)
    with server.open_wiki() as wiki:
        made = setup_anchorwiki(wiki)
        wiki.botpasswords.create(
            made["Admin"].id,
            "soak",
            ["basic", "highvolume", "sendemail", "editpage"],
            SOAK_BOT[1],
            replace=True,
        )
        actor = wiki.users.actor_for(made["Admin"])
        targets = [{"title": f"User talk:Soak target {i}"} for i in range(TARGETS)]
        with wiki.db.write() as conn:
            wiki.pages.save(
                conn,
                title=wiki.titles.parse(LIST),
                actor=actor,
                text=json.dumps({"description": "Soak", "targets": targets}),
                content_model="MassMessageListContent",
            )
    server.start()
    return server


def backlog(server: LiveServer) -> int:
    with server.open_wiki() as wiki:
        return wiki.unfinished()


def run(args: argparse.Namespace, server: LiveServer) -> int:
    clients = [Client(server.api_url) for _ in range(args.threads)]
    operations: list[str] = [name for name, weight in MIX for _ in range(weight)]
    rng = random.Random(1)
    due: queue.Queue[tuple[float, str] | None] = queue.Queue()
    lock = threading.Lock()
    window = Window()

    def work(client: Client) -> None:
        act: dict[str, Callable[[], str | None]] = {name: getattr(client, name) for name, _ in MIX}
        while (item := due.get()) is not None:
            at, name = item
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            began = time.monotonic()
            try:
                error = act[name]()
            except Exception as exc:  # noqa: BLE001 - any failure is an error of the soak
                error = f"{type(exc).__name__}: {exc}"
            took = time.monotonic() - began
            with lock:
                window.add(name, took, error, began - at)

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    total = Window()
    start = time.monotonic()
    interval = 1.0 / args.rate
    samples: list[tuple[Memory, Memory]] = []  # (serve, worker) each second after the warm-up
    serve_pid = server.proc.pid if server.proc is not None else None
    print(f"soak: {args.seconds} s at {args.rate} req/s, {args.threads} client threads, mix {dict(MIX)}")
    n = 0
    for report_at in range(args.report, args.seconds + 1, args.report):
        end = start + report_at
        while start + n * interval < end:
            due.put((start + n * interval, rng.choice(operations)))
            n += 1
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(1.0, left))
            if time.monotonic() - start >= args.warmup:  # memory once a second
                samples.append((Memory.of(serve_pid), Memory.of(worker_pid(server))))
        with lock:
            current, window = window, Window()
        rss = (Memory.of(serve_pid), Memory.of(worker_pid(server)))
        print_window(report_at, args.report, current, rss, backlog(server))
        if report_at > args.warmup:
            total.merge(current)
            total.seconds += args.report
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join(60)
    with lock:
        total.merge(window)  # the requests answered after the last report
    return summarise(args, total, samples)


def print_window(at: int, length: int, w: Window, rss: tuple[Memory, Memory], pending: int) -> None:
    count = sum(len(v) for v in w.latencies.values())
    errors = sum(w.errors.values())
    late = percentile(w.late, 99) if w.late else 0.0
    print(
        f"t={at:3d}s  {count / length:6.1f} req/s  errors {errors}  schedule late p99 {late:6.1f} ms  "
        f"backlog {pending:4d}  RSS serve {rss[0]}  worker {rss[1]}"
    )
    for module in sorted(w.latencies):
        values = w.latencies[module]
        print(
            f"        {module:20s} {len(values):5d}  p50 {percentile(values, 50):7.1f} ms  "
            f"p99 {percentile(values, 99):7.1f} ms  errors {w.errors.get(module, 0)}"
        )
    for sample in w.samples:
        print(f"        ! {sample}")


def summarise(args: argparse.Namespace, total: Window, samples: list[tuple[Memory, Memory]]) -> int:
    """Totals after warm-up, and whether memory grew.

    Memory goes up and down with the requests in flight (a password check holds 19 MiB while it
    runs), so one sample against another says little. A leak raises the floor: the lowest
    anonymous memory of the later half of the samples is compared with that of the earlier half.
    """
    count = sum(len(v) for v in total.latencies.values())
    errors = sum(total.errors.values())
    seconds = total.seconds or float(args.seconds)
    print(f"after warm-up ({seconds:.0f} s): {count} requests, {count / seconds:.1f} req/s, {errors} errors")
    for module in sorted(total.latencies):
        values = total.latencies[module]
        print(
            f"        {module:20s} {len(values):5d}  p50 {percentile(values, 50):7.1f} ms  "
            f"p99 {percentile(values, 99):7.1f} ms  errors {total.errors.get(module, 0)}"
        )
    growth = 0.0
    half = max(1, len(samples) // 2)
    for n, name in enumerate(("serve", "worker")):
        earlier = [s[n] for s in samples[:half]]
        later = [s[n] for s in samples[half:]] or earlier
        floor_before, floor_after = min(m.anon for m in earlier), min(m.anon for m in later)
        growth = max(growth, floor_after - floor_before)
        print(
            f"memory after warm-up, {name}: RSS {samples[0][n].rss:.1f} -> {samples[-1][n].rss:.1f} MB; "
            f"anonymous {samples[0][n].anon:.1f} -> {samples[-1][n].anon:.1f} MB, its floor "
            f"{floor_before:.1f} MB in the earlier half, {floor_after:.1f} MB in the later "
            f"({floor_after - floor_before:+.1f})"
        )
    failed = errors > 0 or growth > args.max_growth_mb
    print("soak: FAILED" if failed else "soak: OK")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (open loop)")
    parser.add_argument("--warmup", type=int, default=10, help="seconds before memory is watched")
    parser.add_argument("--report", type=int, default=10, help="seconds per report")
    parser.add_argument("--threads", type=int, default=16, help="client threads")
    parser.add_argument("--max-growth-mb", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = prepare(Path(tmp))
        try:
            code = run(args, server)
        finally:
            server.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
