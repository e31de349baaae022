"""Running jobs on request (Special:RunJobs, SpecialRunJobs and JobRunner in 1.39) and the
wiki's secret key that signs such requests (``$wgSecretKey``).

A request carries ``tasks``, ``maxjobs``, ``maxtime``, ``async``, ``sigexpiry``… and a
``signature``: the HMAC-SHA1 (hex) of the other parameters, sorted by name and joined as a
query string the way PHP's ``wfArrayToCgi`` writes one, keyed with the secret key. A bad or
expired signature is refused; nothing else is checked (no session, no token), as in 1.39.

The run works through what the background worker works through (``wikipost/background.py``):
the job queue, then the mail outbox, one job or mail at a time as far as ``maxjobs`` and
``maxtime`` allow, and answers like JobRunner::run: ``jobs`` (type, status, error, time),
``reached`` (``none-ready`` when nothing was due, ``job-limit``, ``time-limit``), ``backoffs``
and ``elapsed``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import select

from wikipost.db.schema.jobs import jobs as jobs_table
from wikipost.jobs import Job
from wikipost.jobs.procrastinate_queue import ProcrastinateQueue
from wikipost.mail.backends.base import DeliveryError
from wikipost.settings import SECRET_KEY_FILE, Settings

# SpecialRunJobs: what a request must carry, and the optional parameters with their defaults.
REQUIRED = ("title", "tasks", "signature", "sigexpiry")
OPTIONAL: dict[str, str | None] = {"maxjobs": "0", "maxtime": "30", "type": None, "async": "1", "stats": None}
MAIL_JOB_TYPE = "mail"  # how the outbox's deliveries are reported among the jobs
MAIL_BATCH = 25  # mails sent through one connection, as the outbox drainer does


class RunJobsRefused(Exception):  # noqa: N818 - a refusal, answered with wfHttpError
    """The request cannot run: the HTTP status, its label and the text (wfHttpError)."""

    def __init__(self, status: int, label: str, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.label = label
        self.text = text


# --- the secret key -------------------------------------------------------------------------------


def generate_secret_key() -> str:
    """64 hex digits, as the 1.39 installer makes ``$wgSecretKey``."""
    return secrets.token_hex(32)


def ensure_secret_key(settings: Settings) -> Path | None:
    """``wikipost init``: when no ``[site] secret_key`` is configured and the data dir has none,
    write a new one there (readable by the owner only); the file written, else None."""
    if settings.site.secret_key:
        return None
    path = settings.data_dir / SECRET_KEY_FILE
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(generate_secret_key() + "\n")
    return path


# --- the signature --------------------------------------------------------------------------------


def php_urlencode(value: str) -> str:
    """PHP's urlencode: like quote_plus, but ``~`` is encoded too."""
    return quote_plus(value, safe="").replace("~", "%7E")


def query_signature(params: Mapping[str, str], secret_key: str) -> str:
    """SpecialRunJobs::getQuerySignature: HMAC-SHA1 of the sorted parameters as a query string."""
    query = "&".join(f"{php_urlencode(k)}={php_urlencode(v)}" for k, v in sorted(params.items()))
    return hmac.new(secret_key.encode(), query.encode(), hashlib.sha1).hexdigest()


def signed_request(params: Mapping[str, str], secret_key: str) -> dict[str, str]:
    """``params`` plus their signature, ready to POST (what a client of the page sends)."""
    return {**params, "signature": query_signature(params, secret_key)}


@dataclass(frozen=True)
class RunJobsRequest:
    tasks: list[str]
    max_jobs: int
    max_time: float
    job_type: str | None
    run_async: bool
    stats: bool


def _php_int(value: str | None) -> int:
    """PHP's (int) cast of a request value: leading digits, else 0."""
    digits = ""
    for ch in (value or "").strip():
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else 0


def _php_true(value: str | None) -> bool:
    """PHP truthiness of a request value: "" and "0" are false."""
    return value not in (None, "", "0")


def check_request(values: Mapping[str, str], secret_key: str, now: float) -> RunJobsRequest:
    """The parameters of a POSTed request, verified; raises RunJobsRefused as 1.39 refuses."""
    params = {k: v for k, v in values.items() if k in REQUIRED or k in OPTIONAL}
    missing = [k for k in REQUIRED if k not in params]
    if missing:
        raise RunJobsRefused(400, "Bad Request", "Missing parameters: " + ", ".join(missing))
    signed = {k: v for k, v in params.items() if k != "signature"}
    provided = params["signature"]
    verified = bool(secret_key) and hmac.compare_digest(query_signature(signed, secret_key), provided)
    if not verified or _php_int(params["sigexpiry"]) < now:
        raise RunJobsRefused(400, "Bad Request", "Invalid or stale signature provided.")
    merged = {**OPTIONAL, **params}
    return RunJobsRequest(
        tasks=str(merged["tasks"]).split("|"),
        max_jobs=_php_int(merged["maxjobs"]) or 1,
        max_time=float(_php_int(merged["maxtime"]) or 30),
        job_type=merged["type"] or None,
        run_async=_php_true(merged["async"]),
        stats=_php_true(merged["stats"]),
    )


# --- the run --------------------------------------------------------------------------------------


@dataclass
class RunReport:
    """JobRunner::run's answer."""

    jobs: list[dict[str, Any]] = field(default_factory=list)
    reached: str = "none-ready"
    elapsed_ms: int = 0

    def as_json(self) -> dict[str, Any]:
        # backoffs: PHP encodes its empty array as [] (none are kept here).
        return {"jobs": self.jobs, "reached": self.reached, "backoffs": [], "elapsed": self.elapsed_ms}


class JobRunner:
    """Runs due work up to the limits: the wiki's job queue first, then its mail outbox.

    Jobs are claimed as the background worker claims them (up to ``[jobs] batch`` at once, run
    in their type's batches), so a delivery costs what it costs there; the limits are checked
    between batches and a batch never exceeds what is left of ``max_jobs``.
    """

    def __init__(self, wiki: Any, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.wiki = wiki
        self.monotonic = monotonic

    def run(self, *, max_jobs: int, max_time: float, job_type: str | None = None) -> RunReport:
        report = RunReport()
        started = self.monotonic()
        mail = job_type in (None, MAIL_JOB_TYPE)
        while True:
            budget = max_jobs - len(report.jobs)
            ran = self._jobs(report, job_type, budget) or (mail and self._mails(report, budget))
            if not ran:
                return report  # reached stays "none-ready"
            if len(report.jobs) >= max_jobs:
                report.reached = "job-limit"
                return report
            if self.monotonic() - started > max_time:
                report.reached = "time-limit"
                return report

    def _jobs(self, report: RunReport, job_type: str | None, budget: int) -> bool:
        queue = self.wiki.jobs
        if isinstance(queue, ProcrastinateQueue):
            self._procrastinate_jobs(report, queue)
            return False
        types = [job_type] if job_type is not None else None
        claimed: list[Job] = queue.claim(min(budget, self.wiki.settings.jobs.batch), types)
        by_type: dict[str, list[Job]] = {}
        for job in claimed:
            by_type.setdefault(job.type, []).append(job)
        for type_name, group in by_type.items():
            size = queue.registry.batch_sizes.get(type_name, 1)
            for start in range(0, len(group), size):
                batch = group[start : start + size]
                began = self.monotonic()
                queue.run_batch(batch)
                took = int((self.monotonic() - began) * 1000)
                errors = self._job_errors(batch)
                for job in batch:
                    error = errors.get(job.id)
                    status = "ok" if error is None else "failed"
                    report.jobs.append(
                        {"type": job.type, "status": status, "error": error, "time": took // len(batch)}
                    )
                report.elapsed_ms += took
        return bool(claimed)

    def _procrastinate_jobs(self, report: RunReport, queue: ProcrastinateQueue) -> None:
        """On procrastinate's queue the run is one ``jobs run`` pass: whatever is due, of any
        type, runs (``maxjobs`` and ``type`` are not applied); each job that was due before and
        is gone after is reported as done."""
        from wikipost.jobs.procrastinate_worker import work_until_idle

        with self.wiki.db.read() as conn:
            before = queue.due_by_task(conn)
        began = self.monotonic()
        work_until_idle(self.wiki)
        took = int((self.monotonic() - began) * 1000)
        with self.wiki.db.read() as conn:
            after = queue.due_by_task(conn)
        done = [(task, n - after.get(task, 0)) for task, n in before.items() if n > after.get(task, 0)]
        count = sum(n for _task, n in done) or 1
        for task, n in done:
            report.jobs += [{"type": task, "status": "ok", "error": None, "time": took // count}] * n
        report.elapsed_ms += took

    def _job_errors(self, batch: list[Job]) -> dict[int, str]:
        """A finished job's row is gone; one that failed stays, with its error."""
        with self.wiki.db.read() as conn:
            rows = conn.execute(
                select(jobs_table.c.id, jobs_table.c.last_error).where(
                    jobs_table.c.id.in_([j.id for j in batch])
                )
            ).all()
        return {r.id: str(r.last_error or "failed") for r in rows}

    def _mails(self, report: RunReport, budget: int) -> bool:
        rows = self.wiki.outbox.claim(min(budget, MAIL_BATCH))
        if not rows:
            return False
        began = self.monotonic()
        try:
            results = self.wiki.mailer.send_each([r.mail() for r in rows])
        except Exception as exc:  # a backend bug: recorded as a failure to retry, like the drainer
            results = [DeliveryError(f"{type(exc).__name__}: {exc}")] * len(rows)
        self.wiki.outbox.record(list(zip(rows, results, strict=True)))
        took = int((self.monotonic() - began) * 1000)
        for outcome in results:
            error = None if outcome is None else outcome.reason
            status = "ok" if error is None else "failed"
            report.jobs.append(
                {"type": MAIL_JOB_TYPE, "status": status, "error": error, "time": took // len(rows)}
            )
        report.elapsed_ms += took
        return True
