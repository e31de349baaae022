"""The pieces issue #11's fixes rest on, in process: a stopping worker hands back the work it
claimed but did not start (due again at once, no attempt spent), and an unreachable SMTP server
costs one timeout per batch rather than one per mail."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from sqlalchemy import Connection, select

from tests.faults.support import Faults, FaultySink
from wikipost.db.schema.jobs import jobs
from wikipost.jobs import Job, JobOutcome
from wikipost.mail.backends.smtp import SmtpBackend
from wikipost.mail.message import OutgoingMail, new_message_id
from wikipost.wiki import Wiki


def _mail(n: int) -> OutgoingMail:
    mid = new_message_id("anchorwiki", "fault.test")
    raw = f"Message-ID: {mid}\r\nSubject: Stop {n}\r\n\r\nHi.\r\n".encode()
    return OutgoingMail(mid, "wiki@anchor.test", ("bob@anchor.test",), raw, f"Stop {n}")


def _stop_after(calls: int) -> Callable[[], bool]:
    """A ``stopping`` check that says yes from its ``calls + 1``-th call on."""
    asked = iter(range(10**6))
    return lambda: next(asked) >= calls


def test_a_stopping_mail_drainer_hands_back_what_it_did_not_try(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki()
    with wiki.db.write() as conn:
        wiki.outbox.enqueue(conn, [("emailuser", _mail(n)) for n in range(60)])
    drainer = next(d for d in wiki.drainers if d.name == "mail")
    worker = wiki.background()  # binds every drainer's ``stopping`` to the worker's flag
    drainer.stopping = _stop_after(1)  # type: ignore[attr-defined]  # one chunk (25), then stop
    assert drainer.run_once(200) == 60
    rows = wiki.outbox.list()
    assert [r.status for r in rows].count("sent") == 25
    untried = [r for r in rows if r.status != "sent"]
    assert len(untried) == 35 and {(r.status, r.attempts) for r in untried} == {("queued", 0)}
    assert len(wiki.mailer.outbox) == 25  # type: ignore[attr-defined]  # the memory backend
    # The next worker takes them at once, as if never claimed.
    drainer.stopping = worker.stop_requested  # type: ignore[attr-defined]
    worker.drain()
    assert wiki.outbox.counts()["sent"] == 60 and len(wiki.mailer.outbox) == 60  # type: ignore[attr-defined]


class Counting:
    def __init__(self) -> None:
        self.ran: list[int] = []

    def run(self, conn: Connection, batch: list[Job]) -> Mapping[int, JobOutcome]:
        self.ran += [job.id for job in batch]
        return {}


def test_a_stopping_job_queue_releases_the_jobs_it_did_not_start(wiki: Wiki) -> None:
    handler = Counting()
    wiki.jobs.registry.register("counted", handler, batch_size=2)
    with wiki.db.write() as conn:
        wiki.jobs.enqueue_many(conn, "counted", [{"n": n} for n in range(6)])
    wiki.jobs.stopping = _stop_after(1)  # one batch of two, then stop
    assert wiki.jobs.run_once(100) == 6
    assert len(handler.ran) == 2
    with wiki.db.read() as conn:
        left = conn.execute(select(jobs.c.status, jobs.c.attempts, jobs.c.lease_owner)).all()
    assert sorted(left) == [("queued", 0, None)] * 4
    wiki.jobs.stopping = lambda: False
    wiki.jobs.run_once(100)
    assert len(handler.ran) == 6 and len(set(handler.ran)) == 6


def test_an_smtp_server_that_stopped_answering_costs_one_timeout_per_batch() -> None:
    with FaultySink(Faults(delay=2.0)) as sink:
        backend = SmtpBackend("127.0.0.1", sink.port, timeout=0.3)
        started = time.monotonic()
        outcomes = backend.send_each([_mail(n) for n in range(5)])
        took = time.monotonic() - started
        backend.close()
    assert all(o is not None and o.unreachable and not o.permanent for o in outcomes)
    assert took < 1.2, took  # one timeout (0.3 s), not five
    assert sink.message_ids() == []
