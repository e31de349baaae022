"""Mail on the procrastinate queue: a job per accepted mail in the accepting transaction, and
the sweeper that gives a new job to mail whose job was lost."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from tests.mail.test_backends import make_mail
from wikipost.mail.backends.memory import MemoryBackend
from wikipost.mail.sweeper import OutboxSweeper
from wikipost.wiki import Wiki

pytestmark = pytest.mark.postgres


@pytest.fixture
def wiki(make_wiki: Callable[..., Wiki]) -> Wiki:
    return make_wiki(backend="postgres", mail={"backend": "memory"})


def _jobs(wiki: Wiki) -> list[str]:
    with wiki.db.read() as conn:
        return list(conn.execute(text("SELECT task_name FROM procrastinate_jobs ORDER BY id")).scalars())


def test_each_accepted_mail_has_a_job_from_the_same_transaction(wiki: Wiki) -> None:
    with pytest.raises(RuntimeError), wiki.db.write() as conn:
        wiki.outbox.enqueue(conn, [("emailuser", make_mail(0))])
        raise RuntimeError("the request failed after all")
    assert _jobs(wiki) == [] and wiki.outbox.list() == []
    with wiki.db.write() as conn:
        wiki.outbox.enqueue(conn, [("emailuser", make_mail(1)), ("emailuser", make_mail(2))])
    assert _jobs(wiki) == ["wikipost.mail"]
    wiki.drain()
    assert isinstance(wiki.mailer, MemoryBackend)
    assert sorted(m.subject for m in wiki.mailer.outbox) == ["Grüße 1", "Grüße 2"]
    assert {r.status for r in wiki.outbox.list()} == {"sent"}
    wiki.drain()  # a job run again sends nothing twice
    assert len(wiki.mailer.outbox) == 2


def test_mail_whose_job_was_lost_gets_a_new_one(wiki: Wiki) -> None:
    with wiki.db.write() as conn:
        (mail_id,) = wiki.outbox.enqueue(conn, [("emailuser", make_mail(3))])
        conn.execute(text("DELETE FROM procrastinate_jobs"))  # procrastinate gave up on it
    wiki.drain()
    assert wiki.mailer.outbox == []  # type: ignore[attr-defined]
    sweeper = OutboxSweeper(wiki.db, wiki.clock, wiki.jobs.defer_mail, every=0.0, grace=0.0)  # type: ignore[union-attr]
    assert sweeper.run_once(100) == 0
    wiki.drain()
    assert [m.subject for m in wiki.mailer.outbox] == ["Grüße 3"]  # type: ignore[attr-defined]
    assert [r.status for r in wiki.outbox.get([mail_id])] == ["sent"]


def test_special_runjobs_runs_what_is_due_on_procrastinate(wiki: Wiki) -> None:
    from tests.emailuser.helpers import setup_users
    from tests.massmessage.test_cancel import admin_actor, make_list
    from wikipost.services.massmessage import SendRequest
    from wikipost.services.runjobs import JobRunner

    setup_users(wiki)
    admin = admin_actor(wiki)
    make_list(wiki, admin, 4)
    send = wiki.massmessage.submit(admin, SendRequest("Cancel list", "Run me", "Hello.", None))[0]
    report = JobRunner(wiki).run(max_jobs=100, max_time=30)
    assert [job["type"] for job in report.jobs] == ["massmessage-submit"]  # the fan-out was due
    status = wiki.massmessage.status(send)
    assert status is not None and (status.status, status.delivered) == ("done", 4)  # and what it queued ran
