"""The job queue: transactional enqueue, leases, retries with backoff, batch isolation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select

from wikipost.db.schema.jobs import jobs
from wikipost.jobs import Job, JobOutcome, JobStatus
from wikipost.jobs.queue import RETRY_BASE_SECONDS
from wikipost.wiki import Wiki


class Recorder:
    """A handler that records what it ran as rows in the jobs table itself (type ``ran``,
    never claimable), so only committed work shows."""

    def __init__(self, wiki: Wiki, fail_on: set[str] | None = None, crash_on: set[str] | None = None) -> None:
        self.wiki = wiki
        self.batches: list[int] = []
        self.fail_on = fail_on or set()
        self.crash_on = crash_on or set()

    def run(self, conn: Connection, batch: list[Job]) -> Mapping[int, JobOutcome]:
        self.batches.append(len(batch))
        out: dict[int, JobOutcome] = {}
        for job in batch:
            name = job.payload["name"]
            if name in self.crash_on:
                raise RuntimeError(f"crash on {name}")
            if name in self.fail_on:
                out[job.id] = JobOutcome.retry(f"cannot {name}")
                continue
            now = self.wiki.clock.now()
            conn.execute(
                insert(jobs).values(
                    type="ran", payload=name, status="done", available_at=None, created_at=now, updated_at=now
                )
            )
        return out

    @property
    def ran(self) -> list[str]:
        with self.wiki.db.read() as conn:
            return list(
                conn.execute(select(jobs.c.payload).where(jobs.c.type == "ran").order_by(jobs.c.id)).scalars()
            )


def _rows(wiki: Wiki) -> list[Any]:
    with wiki.db.read() as conn:
        return list(conn.execute(select(jobs).where(jobs.c.type != "ran").order_by(jobs.c.id)).all())


def test_enqueue_is_part_of_the_callers_transaction(wiki: Wiki) -> None:
    handler = Recorder(wiki)
    wiki.jobs.registry.register("t", handler)
    with pytest.raises(RuntimeError):
        with wiki.db.write() as conn:
            wiki.jobs.enqueue(conn, "t", {"name": "lost"})
            raise RuntimeError("rolled back")
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "t", {"name": "kept"})
    assert wiki.background().drain() == 1
    assert handler.ran == ["kept"]
    assert _rows(wiki) == []  # completed jobs are removed


def test_batches_run_in_order_and_respect_batch_size(wiki: Wiki) -> None:
    handler = Recorder(wiki)
    wiki.jobs.registry.register("t", handler, batch_size=3)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue_many(conn, "t", ({"name": f"j{i}"} for i in range(7)))
    assert wiki.jobs.run_once(100) == 7
    assert handler.ran == [f"j{i}" for i in range(7)]
    assert handler.batches == [3, 3, 1]


def test_claimed_jobs_are_leased_and_reclaimed_after_the_lease(wiki: Wiki) -> None:
    handler = Recorder(wiki)
    wiki.jobs.registry.register("t", handler)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "t", {"name": "a"})
    first = wiki.jobs.claim(10)  # a worker claims and dies without finishing
    assert [j.payload["name"] for j in first] == ["a"]
    assert _rows(wiki)[0].status == JobStatus.RUNNING
    assert wiki.jobs.claim(10) == []  # still leased
    wiki.clock.advance(wiki.settings.jobs.lease_seconds + 1)
    again = wiki.jobs.claim(10)
    assert [j.id for j in again] == [first[0].id]
    assert again[0].attempts == 2
    assert again[0].lease_owner != first[0].lease_owner
    # The dead worker's late completion is ignored: the lease is no longer its own.
    with wiki.db.write() as conn:
        wiki.jobs.complete(conn, first)
    assert len(_rows(wiki)) == 1
    wiki.jobs.run_batch(again)
    assert handler.ran == ["a"] and _rows(wiki) == []


def test_failures_back_off_then_fail_for_good(wiki: Wiki) -> None:
    handler = Recorder(wiki, fail_on={"bad"})
    wiki.jobs.registry.register("t", handler)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "t", {"name": "bad"}, max_attempts=3)
    assert wiki.jobs.run_once(10) == 1
    row = _rows(wiki)[0]
    assert (row.status, row.attempts, row.last_error) == ("queued", 1, "cannot bad")
    assert row.available_at >= wiki.clock.now() + RETRY_BASE_SECONDS - 1
    assert wiki.jobs.run_once(10) == 0  # not due yet
    wiki.clock.advance(RETRY_BASE_SECONDS + 1)
    assert wiki.jobs.run_once(10) == 1
    row = _rows(wiki)[0]
    assert row.attempts == 2 and row.available_at >= wiki.clock.now() + 2 * RETRY_BASE_SECONDS - 1
    wiki.clock.advance(2 * RETRY_BASE_SECONDS + 1)
    assert wiki.jobs.run_once(10) == 1
    row = _rows(wiki)[0]
    assert (row.status, row.available_at) == (JobStatus.FAILED, None)
    assert wiki.jobs.counts("t") == {"failed": 1}
    assert handler.ran == []
    wiki.clock.advance(10_000)
    assert wiki.jobs.run_once(10) == 0


def test_a_crashing_job_does_not_take_its_batch_down(wiki: Wiki) -> None:
    handler = Recorder(wiki, crash_on={"poison"})
    wiki.jobs.registry.register("t", handler, batch_size=10)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue_many(conn, "t", [{"name": "a"}, {"name": "poison"}, {"name": "b"}])
    wiki.jobs.run_once(10)
    assert handler.ran == ["a", "b"]
    rows = _rows(wiki)
    assert len(rows) == 1 and rows[0].last_error == "RuntimeError: crash on poison"


def test_work_and_completion_commit_together(wiki: Wiki) -> None:
    """A handler's writes roll back with a crash, and the job stays to be retried."""
    marker = jobs  # write a marker row into the jobs table itself: any real table will do

    class Writer:
        def __init__(self) -> None:
            self.crash = True

        def run(self, conn: Connection, batch: list[Job]) -> Mapping[int, JobOutcome]:
            now = wiki.clock.now()
            conn.execute(
                insert(marker).values(
                    type="marker",
                    payload="{}",
                    status="done",
                    available_at=None,
                    created_at=now,
                    updated_at=now,
                )
            )
            if self.crash:
                raise RuntimeError("died mid-batch")
            return {}

    writer = Writer()
    wiki.jobs.registry.register("w", writer)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "w", {})
    wiki.jobs.run_once(10)
    assert [r.type for r in _rows(wiki)] == ["w"]  # no marker: rolled back with the crash
    writer.crash = False
    wiki.clock.advance(RETRY_BASE_SECONDS + 1)
    wiki.jobs.run_once(10)
    assert [r.type for r in _rows(wiki)] == ["marker"]


def test_unregistered_types_are_left_alone(wiki: Wiki) -> None:
    with wiki.db.write() as conn:
        wiki.jobs.enqueue(conn, "nobody", {})
    assert wiki.background().drain() == 0
    assert wiki.jobs.counts("nobody") == {"queued": 1}
