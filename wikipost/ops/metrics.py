"""``/metrics`` in Prometheus' text format (prometheus-client), every name prefixed ``wikipost_``.

Two sources, neither on the request path's critical costs:

* :class:`RequestMetrics` — this server process's requests (API requests by module and outcome
  code, other pages by handler and status, latency histograms). Counting is two dictionary
  updates on the event loop's thread; prometheus-client only sees the numbers at scrape time,
  through a custom collector, so no lock or metric object is touched per request. Each server
  process (each node of a cluster, each of ``serve --workers N``) counts its own requests and is
  scraped on its own.
* :class:`StoreCollector` — everything about mail, mass messages, jobs and workers, read from
  the store when Prometheus scrapes (a few grouped queries, in a thread of the server, never on
  the event loop). The figures are the same whichever node is scraped, and work done by the
  background worker process (or by workers on other machines) needs no counting there: the
  outbox rows carry each mail's status, attempts and last error, the target rows each
  delivery's outcome. A consequence: these "counters" are counts of rows, so purging sent mail
  or re-queuing failed mail (``wikipost mail retry``) lowers them, which Prometheus reads as a
  counter reset.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.jobs import jobs
from wikipost.db.schema.mail import mail_outbox
from wikipost.db.schema.massmessage import massmessage_sends, massmessage_targets
from wikipost.db.schema.workers import worker_heartbeats

log = logging.getLogger("wikipost.metrics")

PREFIX = "wikipost"
# Request latency buckets, in seconds (an accepted emailuser takes a few milliseconds).
BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Distinct outcome codes counted per process before further new ones are counted as "other".
MAX_CODES = 256


@dataclass
class Histogram:
    """Observations per bucket (not cumulative: the last is above every bound) and their sum."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds

    def cumulative(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip((*BUCKETS, float("inf")), list(self.counts), strict=True):
            running += count
            out.append(("+Inf" if bound == float("inf") else repr(bound), running))
        return out


class RequestMetrics:
    """Requests of this server process, counted in plain dictionaries.

    :meth:`api` and :meth:`web` are called on the event loop's thread only (one writer);
    :meth:`collect` runs in a scrape thread and reads copies, so it may be one request behind.
    """

    def __init__(self) -> None:
        self.api_requests: dict[tuple[str, str], int] = {}
        self.api_latency: dict[str, Histogram] = {}
        self.web_requests: dict[tuple[str, str], int] = {}
        self.web_latency: dict[str, Histogram] = {}
        self._codes: set[str] = set()

    def api(self, module: str, code: str, seconds: float) -> None:
        key = (module, code)
        count = self.api_requests.get(key)
        if count is None:
            key = (module, self._known(code))
            count = self.api_requests.get(key, 0)
        self.api_requests[key] = count + 1
        histogram = self.api_latency.get(module)
        if histogram is None:
            histogram = self.api_latency[module] = Histogram()
        histogram.observe(seconds)

    def web(self, handler: str, status: int, seconds: float) -> None:
        key = (handler, str(status))
        self.web_requests[key] = self.web_requests.get(key, 0) + 1
        histogram = self.web_latency.get(handler)
        if histogram is None:
            histogram = self.web_latency[handler] = Histogram()
        histogram.observe(seconds)

    def _known(self, code: str) -> str:
        """``code`` while fewer than MAX_CODES were seen, else "other" (bounded label values)."""
        if code in self._codes:
            return code
        if len(self._codes) >= MAX_CODES:
            return "other"
        self._codes.add(code)
        return code

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            f"{PREFIX}_api_requests",
            "api.php requests answered by this server process, by module (action=) and outcome "
            'code ("ok" or the first MediaWiki-API-Error code).',
            labels=["module", "code"],
        )
        for (module, code), count in sorted(dict(self.api_requests).items()):
            requests.add_metric([module, code], count)
        yield requests
        yield _histograms(
            f"{PREFIX}_api_request_duration_seconds",
            "Time from an api.php request's arrival to its answer, by module.",
            "module",
            self.api_latency,
        )
        pages = CounterMetricFamily(
            f"{PREFIX}_http_requests",
            "Requests other than api.php (pages, health, metrics, static files), by handler and status.",
            labels=["handler", "status"],
        )
        for (handler, status), count in sorted(dict(self.web_requests).items()):
            pages.add_metric([handler, status], count)
        yield pages
        yield _histograms(
            f"{PREFIX}_http_request_duration_seconds",
            "Time to answer requests other than api.php, by handler.",
            "handler",
            self.web_latency,
        )


def _histograms(name: str, documentation: str, label: str, source: dict[str, Histogram]) -> Metric:
    family = HistogramMetricFamily(name, documentation, labels=[label])
    for value, histogram in sorted(dict(source).items()):
        family.add_metric([value], histogram.cumulative(), histogram.total)
    return family


# --- from the store ------------------------------------------------------------------------------

MAIL_STATUSES = ("queued", "sending", "sent", "failed")
TARGET_STATES = ("pending", "delivered", "skipped", "failed", "cancelled")
JOB_STATUSES = ("queued", "running", "failed")
SEND_STATUSES = ("queued", "delivering", "done", "cancelled")

# The class of a mail's last delivery error, from the reason the backends write
# (wikipost/mail/backends/smtp.py), compared in lower case; the first matching pattern wins.
ERROR_CLASSES: tuple[tuple[str, str], ...] = (
    ("connect", "failed to connect%"),
    ("auth", "authentication failure%"),
    ("timeout", "%timed out%"),
    ("timeout", "%timeout%"),
    ("recipient_5xx", "failed to add recipient%: 5%"),
    ("recipient_4xx", "failed to add recipient%: 4%"),
    ("data_5xx", "%(code: 5%"),
    ("data_4xx", "%(code: 4%"),
)


def _error_class() -> Any:
    column = func.lower(mail_outbox.c.last_error)
    return case(*[(column.like(pattern), name) for name, pattern in ERROR_CLASSES], else_="other")


@dataclass
class StoreFigures:
    """One reading of the store (also what tests and ``/readyz`` could inspect)."""

    mails: dict[str, int]
    mail_attempts_beyond_first: int
    oldest_queued_mail: float | None
    mail_errors: dict[str, int]
    targets: dict[str, int]
    sends: dict[str, int]
    jobs: dict[str, int]
    oldest_due_job: float | None
    workers: list[float]


def read_store(conn: Connection, now: float) -> StoreFigures:
    rows = conn.execute(
        select(
            mail_outbox.c.status,
            func.count(),
            func.coalesce(
                func.sum(case((mail_outbox.c.attempts > 1, mail_outbox.c.attempts - 1), else_=0)), 0
            ),
        ).group_by(mail_outbox.c.status)
    ).all()
    mails = {status: 0 for status in MAIL_STATUSES} | {str(r[0]): int(r[1]) for r in rows}
    retries = sum(int(r[2]) for r in rows)
    oldest_mail = conn.execute(
        select(func.min(mail_outbox.c.created)).where(mail_outbox.c.status.in_(("queued", "sending")))
    ).scalar()
    error_class = _error_class().label("class")
    errors = conn.execute(
        select(error_class, func.count())
        .where(mail_outbox.c.status.in_(("queued", "failed")), mail_outbox.c.last_error != "")
        .group_by(error_class)
    ).all()
    targets = conn.execute(
        select(massmessage_targets.c.status, func.count()).group_by(massmessage_targets.c.status)
    ).all()
    sends = conn.execute(
        select(massmessage_sends.c.status, func.count()).group_by(massmessage_sends.c.status)
    ).all()
    job_rows = conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status)).all()
    oldest_job = conn.execute(
        select(func.min(jobs.c.available_at)).where(jobs.c.status == "queued", jobs.c.available_at <= now)
    ).scalar()
    beats = conn.execute(select(worker_heartbeats.c.beat_at)).scalars().all()
    return StoreFigures(
        mails=mails,
        mail_attempts_beyond_first=retries,
        oldest_queued_mail=float(oldest_mail) if oldest_mail is not None else None,
        mail_errors={str(r[0]): int(r[1]) for r in errors},
        targets={s: 0 for s in TARGET_STATES} | {str(r[0]): int(r[1]) for r in targets},
        sends={s: 0 for s in SEND_STATUSES} | {str(r[0]): int(r[1]) for r in sends},
        jobs={s: 0 for s in JOB_STATUSES} | {str(r[0]): int(r[1]) for r in job_rows},
        oldest_due_job=float(oldest_job) if oldest_job is not None else None,
        workers=[float(b) for b in beats],
    )


class StoreCollector:
    """Mail, mass-message, job and worker figures read from the store at scrape time."""

    def __init__(self, db: Database, clock: Clock, max_worker_lag: float) -> None:
        self.db = db
        self.clock = clock
        self.max_worker_lag = max_worker_lag

    def collect(self) -> Iterator[Metric]:
        now = self.clock.now()
        started = time.perf_counter()
        try:
            with self.db.read() as conn:
                figures = read_store(conn, now)
        except SQLAlchemyError as err:
            log.warning("metrics: the store could not be read (%s)", type(err).__name__)
            yield _gauge("store_up", "Whether the store answered this scrape.", 0)
            return
        yield _gauge("store_up", "Whether the store answered this scrape.", 1)
        yield _gauge(
            "store_scrape_seconds", "Time the store's figures took to read.", time.perf_counter() - started
        )
        yield from _mail_metrics(figures, now)
        yield from _massmessage_metrics(figures)
        yield from _job_metrics(figures, now)
        fresh = [b for b in figures.workers if now - b <= self.max_worker_lag]
        yield _gauge(
            "workers_alive",
            "Background workers whose heartbeat is younger than [health] max_worker_lag_seconds.",
            len(fresh),
        )
        if figures.workers:
            yield _gauge(
                "worker_heartbeat_age_seconds",
                "Age of the youngest background-worker heartbeat.",
                max(0.0, now - max(figures.workers)),
            )


def _mail_metrics(f: StoreFigures, now: float) -> Iterable[Metric]:
    total = CounterMetricFamily(
        f"{PREFIX}_mails",
        "Mails by state, counted from the outbox: accepted (every mail queued), sent, failed (for "
        "good), dropped (by an administrator), retried (delivery attempts after a mail's first).",
        labels=["state"],
    )
    total.add_metric(["accepted"], sum(f.mails.values()))
    total.add_metric(["sent"], f.mails.get("sent", 0))
    total.add_metric(["failed"], f.mails.get("failed", 0))
    total.add_metric(["dropped"], f.mails.get("dropped", 0))
    total.add_metric(["retried"], f.mail_attempts_beyond_first)
    yield total
    yield _labelled("outbox_mails", "Mails in the outbox by status.", "status", f.mails)
    yield _gauge(
        "outbox_depth",
        "Mails waiting for delivery (queued or being sent).",
        f.mails.get("queued", 0) + f.mails.get("sending", 0),
    )
    yield _gauge(
        "outbox_oldest_queued_age_seconds",
        "Age of the oldest mail still waiting for delivery (0 when none waits).",
        max(0.0, now - f.oldest_queued_mail) if f.oldest_queued_mail is not None else 0.0,
    )
    errors = {name: 0 for name, _ in ERROR_CLASSES} | {"other": 0} | f.mail_errors
    yield _labelled(
        "mail_errors",
        "Mails whose last delivery attempt failed (waiting for a retry, or failed for good), by "
        "the error's class: connect, auth, timeout, recipient_4xx/5xx, data_4xx/5xx (SMTP replies), other.",
        "class",
        errors,
    )


def _massmessage_metrics(f: StoreFigures) -> Iterable[Metric]:
    targets = CounterMetricFamily(
        f"{PREFIX}_massmessage_targets",
        "Mass-message targets: queued (every target of every send), delivered, skipped, failed, cancelled.",
        labels=["state"],
    )
    targets.add_metric(["queued"], sum(f.targets.values()))
    for state in ("delivered", "skipped", "failed", "cancelled"):
        targets.add_metric([state], f.targets.get(state, 0))
    yield targets
    yield _gauge(
        "massmessage_targets_pending", "Mass-message targets not delivered yet.", f.targets.get("pending", 0)
    )
    yield _labelled("massmessage_sends", "Mass-message sends by status.", "status", f.sends)


def _job_metrics(f: StoreFigures, now: float) -> Iterable[Metric]:
    yield _labelled("jobs", "Jobs in the queue by status (finished jobs are not kept).", "status", f.jobs)
    yield _gauge(
        "job_queue_depth", "Jobs queued or running.", f.jobs.get("queued", 0) + f.jobs.get("running", 0)
    )
    yield _gauge(
        "jobs_oldest_due_age_seconds",
        "How long the oldest due job has waited to be claimed (0 when none is due).",
        max(0.0, now - f.oldest_due_job) if f.oldest_due_job is not None else 0.0,
    )


def _gauge(name: str, documentation: str, value: float) -> Metric:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


def _labelled(name: str, documentation: str, label: str, values: dict[str, int]) -> Metric:
    family = GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


# --- the registry ---------------------------------------------------------------------------------


class Metrics:
    """This process's registry: its requests, the store's figures and the process's own
    (CPU, memory, file descriptors as ``wikipost_process_*``). No global registry is used."""

    def __init__(self, collectors: Sequence[Collector], *, process: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        for collector in collectors:
            self.registry.register(collector)
        if process:
            ProcessCollector(namespace=PREFIX, registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)


__all__ = [
    "BUCKETS",
    "Histogram",
    "Metrics",
    "RequestMetrics",
    "StoreCollector",
    "StoreFigures",
    "read_store",
]
