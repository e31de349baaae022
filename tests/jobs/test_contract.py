"""The job-queue contract, run against every backend: the table queue on SQLite and on
PostgreSQL, and procrastinate on PostgreSQL (wikipost/jobs/backend.py).

Each test drives the queue the way ``wikipost jobs run`` does (``Wiki.drain``), and, for crash
recovery, leaves a job held by a worker that then goes silent.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping

import pytest
from sqlalchemy import Connection, insert, select, text

from tests.emailuser.helpers import setup_users
from tests.massmessage.test_cancel import admin_actor, make_list
from wikipost.db.schema.jobs import jobs
from wikipost.jobs import Job, JobOutcome
from wikipost.jobs.procrastinate_queue import QUEUE_NAME, ProcrastinateQueue
from wikipost.services.massmessage import SendRequest
from wikipost.wiki import Wiki

BACKENDS = [
    pytest.param(("sqlite", "table"), id="sqlite-table"),
    pytest.param(("postgres", "table"), id="postgres-table", marks=pytest.mark.postgres),
    pytest.param(("postgres", "procrastinate"), id="postgres-procrastinate", marks=pytest.mark.postgres),
]
RETRY_BASE = 0.2


@pytest.fixture(params=BACKENDS)
def wiki(request: pytest.FixtureRequest, make_wiki: Callable[..., Wiki]) -> Wiki:
    store, backend = request.param
    made = make_wiki(
        backend=store, jobs={"backend": backend, "retry_base_seconds": RETRY_BASE, "lease_seconds": 1}
    )
    assert isinstance(made.jobs, ProcrastinateQueue) == (backend == "procrastinate")
    return made


class Recorder:
    """Records each job it runs as a ``ran`` row of the jobs table, in the job's transaction:
    only committed work shows."""

    def __init__(
        self,
        wiki: Wiki,
        *,
        retry_once: set[str] = frozenset(),
        fail: set[str] = frozenset(),
        crash: set[str] = frozenset(),
    ) -> None:
        self.wiki = wiki
        self.retry_once, self.fail, self.crash = set(retry_once), set(fail), set(crash)
        self.attempts: dict[str, int] = {}

    def run(self, conn: Connection, batch: list[Job]) -> Mapping[int, JobOutcome]:
        out: dict[int, JobOutcome] = {}
        for job in batch:
            name = job.payload["name"]
            self.attempts[name] = self.attempts.get(name, 0) + 1
            if name in self.crash:
                raise RuntimeError(f"crash on {name}")
            if name in self.fail:
                out[job.id] = JobOutcome.fail(f"cannot {name}")
                continue
            if name in self.retry_once:
                self.retry_once.discard(name)
                out[job.id] = JobOutcome.retry(f"not yet {name}")
                continue
            now = self.wiki.clock.now()
            conn.execute(
                insert(jobs).values(type="ran", payload=name, status="done", created_at=now, updated_at=now)
            )
        return out

    def ran(self) -> list[str]:
        with self.wiki.db.read() as conn:
            return list(
                conn.execute(select(jobs.c.payload).where(jobs.c.type == "ran").order_by(jobs.c.id)).scalars()
            )


def drain_until(wiki: Wiki, done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the queue did not get there in time"
        wiki.drain()
        time.sleep(0.05)


def test_a_job_exists_exactly_when_its_transaction_commits(wiki: Wiki) -> None:
    recorder = Recorder(wiki)
    wiki.jobs.registry.register("t", recorder, batch_size=10)
    with pytest.raises(RuntimeError), wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "t", {"name": "rolled back"})
        raise RuntimeError("the change that asked for it failed")
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "t", {"name": "one"})
        wiki.jobs.enqueue_many(conn, "t", [{"name": f"many {i}"} for i in range(25)])
    wiki.drain()
    assert sorted(recorder.ran()) == sorted(["one", *(f"many {i}" for i in range(25))])
    assert wiki.unfinished() == 0
    wiki.drain()  # nothing runs twice
    assert len(recorder.ran()) == 26


def test_a_failed_attempt_is_retried_after_a_backoff(wiki: Wiki) -> None:
    recorder = Recorder(wiki, retry_once={"flaky"})
    wiki.jobs.registry.register("t", recorder)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "t", {"name": "flaky"})
    started = time.monotonic()
    wiki.drain()
    assert recorder.ran() == [] and recorder.attempts == {"flaky": 1}
    drain_until(wiki, lambda: recorder.ran() == ["flaky"])
    assert time.monotonic() - started >= RETRY_BASE
    assert recorder.attempts == {"flaky": 2}
    assert wiki.jobs.counts().get("failed", 0) == 0


def test_a_permanent_failure_is_kept_with_its_error(wiki: Wiki) -> None:
    recorder = Recorder(wiki, fail={"doomed"})
    wiki.jobs.registry.register("t", recorder)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "t", {"name": "doomed"})
        wiki.jobs.enqueue(conn, "t", {"name": "fine"})
    wiki.drain()
    assert recorder.ran() == ["fine"]
    failed = wiki.jobs.failed()
    assert [(f["type"], f["last_error"]) for f in failed] == [("t", "cannot doomed")]
    assert wiki.jobs.counts().get("failed") == 1
    wiki.drain()
    assert recorder.attempts["doomed"] == 1  # never tried again


def test_a_job_that_keeps_failing_fails_for_good_after_its_attempts(wiki: Wiki) -> None:
    recorder = Recorder(wiki, crash={"broken"})
    wiki.jobs.registry.register("t", recorder, batch_size=10)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "t", {"name": "broken"}, max_attempts=2)
        wiki.jobs.enqueue_many(conn, "t", [{"name": "left"}, {"name": "right"}])
    drain_until(wiki, lambda: bool(wiki.jobs.failed()))
    assert sorted(recorder.ran()) == ["left", "right"]  # the crash did not take its chunk down
    (failed,) = wiki.jobs.failed()
    assert failed["attempts"] == 2 and "crash on broken" in failed["last_error"]


def _abandon(wiki: Wiki) -> None:
    """A worker takes every due job and dies without a word."""
    if isinstance(wiki.jobs, ProcrastinateQueue):
        with wiki.db.write() as conn:
            worker = conn.execute(text("SELECT procrastinate_register_worker_v1()")).scalar()
            while conn.execute(
                text(
                    "SELECT id FROM procrastinate_fetch_job_v2(ARRAY[:q]::varchar[], :w) WHERE id IS NOT NULL"
                ),
                {"q": QUEUE_NAME, "w": worker},
            ).first():
                pass
            conn.execute(
                text(
                    "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
                    " WHERE id = :w"
                ),
                {"w": worker},
            )
    else:
        assert wiki.jobs.claim(100)


def _recover(wiki: Wiki) -> None:
    """What every running worker does now and then: take back the jobs of silent workers."""
    if isinstance(wiki.jobs, ProcrastinateQueue):
        from wikipost.jobs.procrastinate_worker import build_app, requeue_stalled_once

        app = build_app(wiki)

        async def once() -> int:
            async with app.open_async():
                return await requeue_stalled_once(app, wiki.settings.jobs.stalled_seconds)

        assert asyncio.run(once()) >= 1
    # the table queue: the lease (1 s here) runs out by itself


def test_the_jobs_of_a_worker_that_died_run_again(wiki: Wiki) -> None:
    recorder = Recorder(wiki)
    wiki.jobs.registry.register("t", recorder, batch_size=10)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue_many(conn, "t", [{"name": f"job {i}"} for i in range(5)])
    _abandon(wiki)
    wiki.drain()
    assert recorder.ran() == []  # still held by the dead worker
    assert wiki.unfinished() > 0
    _recover(wiki)
    drain_until(wiki, lambda: len(recorder.ran()) == 5)
    assert sorted(recorder.ran()) == [f"job {i}" for i in range(5)]


def _sections(wiki: Wiki, title: str, heading: str) -> int:
    parsed = wiki.titles.parse(title)
    with wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, parsed)
        return 0 if page is None else wiki.pages.get_text(conn, page).count(f"== {heading} ==")


def test_deliveries_run_twice_or_at_once_leave_one_section_each(wiki: Wiki) -> None:
    """Idempotent re-run and the per-page lock: two sends to the same pages, their delivery
    jobs queued twice, drained by two workers at the same time."""
    setup_users(wiki)
    admin = admin_actor(wiki)
    titles = make_list(wiki, admin, 12)
    sends = [
        wiki.massmessage.submit(admin, SendRequest("Cancel list", heading, "Hello.", None))[0]
        for heading in ("First", "Second")
    ]
    wiki.drain()  # every send delivered once
    from wikipost.db.schema.massmessage import massmessage_targets
    from wikipost.services.massmessage import DELIVER_JOB

    with wiki.db.write() as conn:  # the same deliveries again: a re-run after a lost lease
        ids = conn.execute(select(massmessage_targets.c.id, massmessage_targets.c.send_id)).all()
        wiki.jobs.enqueue_many(conn, DELIVER_JOB, [{"send": s, "target": t} for t, s in ids])
    workers = [threading.Thread(target=wiki.drain) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    for title in titles:
        assert (_sections(wiki, title, "First"), _sections(wiki, title, "Second")) == (1, 1), title
    for send in sends:
        status = wiki.massmessage.status(send)
        assert status is not None and (status.status, status.delivered, status.failed) == ("done", 12, {})


def test_nothing_left_behind(wiki: Wiki) -> None:
    """counts() reports nothing waiting once everything ran."""
    recorder = Recorder(wiki)
    wiki.jobs.registry.register("t", recorder)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "t", {"name": "x"})
    assert wiki.jobs.counts().get("queued") == 1
    wiki.drain()
    counts = wiki.jobs.counts()
    assert (counts.get("queued", 0), counts.get("running", 0), counts.get("failed", 0)) == (0, 0, 0)


def test_a_delivery_that_fails_for_good_shows_in_the_send_status(
    wiki: Wiki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retried with backoff, then kept as failed with its error; its targets are settled
    ``failed`` with that error, so the send ends and says why."""
    from wikipost.services.massmessage_delivery import DeliveryHandler

    setup_users(wiki)
    admin = admin_actor(wiki)
    make_list(wiki, admin, 3)

    def broken(self: DeliveryHandler, conn: Connection, names: list[str]) -> None:
        raise RuntimeError("the store is confused")

    monkeypatch.setattr(DeliveryHandler, "_prefetch", broken)
    send = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Doomed", "Hello.", None))[0]
    drain_until(wiki, lambda: wiki.massmessage.status(send).status == "done", timeout=60)  # type: ignore[union-attr]
    status = wiki.massmessage.status(send)
    assert status is not None
    assert (status.delivered, status.pending, status.failed) == (
        0,
        0,
        {"RuntimeError: the store is confused": 3},
    )
    failed = wiki.jobs.failed()
    assert len(failed) == 3 and all(f["attempts"] == 5 for f in failed)
    assert all("the store is confused" in f["last_error"] for f in failed)
