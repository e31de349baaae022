"""MassMessage delivery: the submit job (fan-out) and the delivery job (one page edit per target).

Exactly-once (DECISIONS D4): a target record goes from ``pending`` to its final state in the
same transaction as the page save; a job that runs twice finds it settled. The update that
claims it comes first, so on PostgreSQL a second worker waits on the row lock and then skips.
MassMessage's own duplicate check — the same section with the same hidden comment among the
page's recent revisions — stands behind it.

Many deliveries share one write transaction (the job queue batches them); each runs inside a
savepoint, so a failing edit is logged as ``failure`` without undoing its neighbours.

A cancelled send (:mod:`wikipost.services.massmessage_status`) delivers nothing more: a batch
settles the claimed targets of a cancelled send as ``cancelled`` (it reads the sends anyway),
and the fan-out stops and settles the targets it has not queued yet.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, bindparam, case, select, update
from sqlalchemy import text as sql_text

from wikipost.actor import Actor
from wikipost.api.errors import ApiError
from wikipost.db.schema.accounts import users
from wikipost.db.schema.massmessage import massmessage_sends, massmessage_targets
from wikipost.db.schema.pages import categorylinks, page_restrictions, protected_titles
from wikipost.db.writebuffer import WriteBuffer
from wikipost.jobs import Job, JobOutcome
from wikipost.namespaces import PROJECT, USER, USER_TALK
from wikipost.services import notices
from wikipost.services.massmessage import DELIVER_JOB, SUBMIT_JOB, MassMessageService
from wikipost.services.massmessage_status import ACTIVE
from wikipost.services.massmessage_text import hidden_comment, message_body, section_title
from wikipost.services.pages import SaveCounters

log = logging.getLogger("wikipost.massmessage")

FANOUT_BATCH = 1000
DELIVERY_TAG = "massmessage-delivery"
NAMESPACES_TO_POST_IN = frozenset({PROJECT})


def already_delivered(texts: list[str], heading: str, comment: str) -> bool:
    """A section with this heading whose text carries this hidden comment (D4)."""
    line = f"== {heading} ==" if heading else ""
    for text in texts:
        if comment not in text:
            continue
        if not line:
            return True
        start = text.find(line)
        while start != -1:
            end = text.find("\n== ", start + len(line))
            if comment in text[start : end if end != -1 else len(text)]:
                return True
            start = text.find(line, start + 1)
    return False


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered | skipped | failed | cancelled
    reason: str = ""
    rev_id: int | None = None


def _settled(target_id: int, outcome: Outcome, now: float) -> dict[str, Any]:
    """SETTLE_TARGET's parameters for one target."""
    return {
        "b_id": target_id,
        "status": outcome.status,
        "reason": outcome.reason,
        "rev_id": outcome.rev_id,
        "updated_at": now,
    }


CLAIM_TARGETS = (
    update(massmessage_targets)
    .where(
        massmessage_targets.c.id.in_(bindparam("ids", expanding=True)),
        massmessage_targets.c.status == "pending",
    )
    .values(status="delivering")
    .returning(massmessage_targets.c.id, massmessage_targets.c.send_id, massmessage_targets.c.title)
)
SETTLE_TARGET = (
    update(massmessage_targets)
    .where(massmessage_targets.c.id == bindparam("b_id"))
    .values(
        status=bindparam("status"),
        reason=bindparam("reason"),
        rev_id=bindparam("rev_id"),
        updated_at=bindparam("updated_at"),
    )
)
OPTED_OUT = select(categorylinks.c.page_id).where(
    categorylinks.c.category == bindparam("cat"),
    categorylinks.c.page_id.in_(bindparam("ids", expanding=True)),
)
USERS_NAMED = select(users.c.name).where(users.c.name.in_(bindparam("names", expanding=True)))
RESTRICTED_PAGES = select(page_restrictions.c.page_id).where(
    page_restrictions.c.page_id.in_(bindparam("ids", expanding=True))
)
PROTECTED_TITLES = select(protected_titles.c.namespace, protected_titles.c.dbkey)


@dataclass
class BatchContext:
    pages: dict[tuple[int, str], Any]
    opted_out: set[int]
    users: set[str]
    restricted: set[int]  # page ids with protection rows
    protected_titles: set[tuple[int, str]]  # create-protected titles
    # Pages this batch edited: their prefetched records (latest revision, length) are stale, and
    # a batch may hold deliveries of several sends to the same page.
    edited: set[tuple[int, str]] = field(default_factory=set)
    # Talk page owners whose new-message notice this batch's deliveries set: one statement for
    # the whole batch, in its transaction (services/notices.py).
    newtalk: set[str] = field(default_factory=set)
    # The batch's site statistics and edit count, written once at its end (PageService.save).
    counters: SaveCounters = field(default_factory=SaveCounters)
    # PostgreSQL: the batch's page writes, sent together (wikipost/db/writebuffer.py).
    buffer: WriteBuffer | None = None

    def page(self, conn: Connection, pages: Any, title: Any) -> Any:
        key = (title.namespace, title.dbkey)
        if key in self.edited:
            if self.buffer:
                self.buffer.flush()
            return pages.get_page(conn, title)
        return self.pages.get(key)

    def may_be_protected(self, title: Any, page: Any) -> bool:
        if page is not None:
            return page.id in self.restricted
        return (title.namespace, title.dbkey) in self.protected_titles


# One transaction-scoped advisory lock per page, taken in one statement in a fixed order.
_LOCK_PAGES = sql_text(
    "SELECT count(pg_advisory_xact_lock(x.ns, hashtext(x.dbkey)))"
    " FROM unnest(CAST(:ns AS int[]), CAST(:dbkeys AS text[])) AS x(ns, dbkey)"
)


def lock_pages(conn: Connection, titles: list[Any]) -> None:
    """On PostgreSQL, where several workers deliver at once: no talk page is appended to by two
    deliveries at the same time. A batch holds its pages' locks until it commits, and reads
    them only after it holds them; locks are taken in (namespace, dbkey) order, so two batches
    never wait on each other in a circle. SQLite has one writer at a time anyway."""
    if conn.dialect.name != "postgresql" or not titles:
        return
    keys = sorted({(t.namespace, t.dbkey) for t in titles})
    conn.execute(_LOCK_PAGES, {"ns": [k[0] for k in keys], "dbkeys": [k[1] for k in keys]})


def finish_if_settled(conn: Connection, send_id: int, now: float) -> None:
    """A send is done once it is fanned out completely and no target is pending. The update
    is conditional: a cancel that committed meanwhile (PostgreSQL) stays a cancel.

    On PostgreSQL the send's row is locked first, until the commit: two batches finishing at
    once would otherwise each see the other's targets still pending and neither end the send;
    the second now reads after the first committed. ``FOR NO KEY UPDATE``: a batch that
    updates its targets twice holds a key-share lock on the send through their foreign key,
    and two batches each holding one while asking for ``FOR UPDATE`` would deadlock."""
    send = conn.execute(
        select(massmessage_sends.c.total, massmessage_sends.c.fanned_out, massmessage_sends.c.status)
        .where(massmessage_sends.c.id == send_id)
        .with_for_update(key_share=True)
    ).first()
    if send is None or send.status not in ACTIVE or send.fanned_out != send.total:
        return
    pending = conn.execute(
        select(massmessage_targets.c.id)
        .where(massmessage_targets.c.send_id == send_id, massmessage_targets.c.status == "pending")
        .limit(1)
    ).first()
    if pending is None:
        conn.execute(
            update(massmessage_sends)
            .where(massmessage_sends.c.id == send_id, massmessage_sends.c.status.in_(ACTIVE))
            .values(status="done", finished_at=now)
        )


CANCEL_UNQUEUED = (
    update(massmessage_targets)
    .where(
        massmessage_targets.c.send_id == bindparam("b_send"),
        massmessage_targets.c.id > bindparam("b_after"),
        massmessage_targets.c.status == "pending",
    )
    .values(status="cancelled", updated_at=bindparam("b_now"))
)


class SubmitHandler:
    """Fans a send out into delivery jobs, FANOUT_BATCH targets per run, so memory stays flat.

    A cancelled send is fanned out no further: its targets without a delivery job yet are
    settled ``cancelled`` here (no worker holds them, so this cannot wait on a delivery)."""

    def __init__(self, service: MassMessageService) -> None:
        self.service = service

    def run(self, conn: Connection, batch: list[Job]) -> Mapping[int, JobOutcome]:
        queue = self.service.jobs
        for job in batch:
            send_id, after = int(job.payload["send"]), int(job.payload.get("after", 0))
            status = conn.execute(
                select(massmessage_sends.c.status).where(massmessage_sends.c.id == send_id)
            ).scalar()
            if status == "cancelled":
                now = self.service.clock.now()
                conn.execute(CANCEL_UNQUEUED, {"b_send": send_id, "b_after": after, "b_now": now})
                continue
            ids = list(
                conn.execute(
                    select(massmessage_targets.c.id)
                    .where(massmessage_targets.c.send_id == send_id, massmessage_targets.c.id > after)
                    .order_by(massmessage_targets.c.id)
                    .limit(FANOUT_BATCH)
                ).scalars()
            )
            queue.enqueue_many(conn, DELIVER_JOB, ({"send": send_id, "target": t} for t in ids))
            if ids:
                conn.execute(
                    update(massmessage_sends)
                    .where(massmessage_sends.c.id == send_id)
                    .values(
                        fanned_out=massmessage_sends.c.fanned_out + len(ids),
                        # a cancel committed since the read above (PostgreSQL) stays
                        status=case(
                            (massmessage_sends.c.status == "cancelled", "cancelled"), else_="delivering"
                        ),
                    )
                )
            if len(ids) == FANOUT_BATCH:
                queue.enqueue(conn, SUBMIT_JOB, {"send": send_id, "after": ids[-1]})
            else:  # fan-out complete (a send without targets is done at once)
                finish_if_settled(conn, send_id, self.service.clock.now())
        return {}

    def give_up(self, conn: Connection, batch: list[Job], error: str) -> None:
        for job in batch:
            fail_pending(conn, int(job.payload["send"]), error, self.service.clock.now())


def fail_pending(
    conn: Connection, send_id: int, error: str, now: float, ids: list[int] | None = None
) -> None:
    """A job gave up for good: its targets still pending (all of the send's, or ``ids``) are
    settled ``failed`` with the error, so that the send ends and the error shows in its status."""
    query = update(massmessage_targets).where(
        massmessage_targets.c.send_id == send_id, massmessage_targets.c.status == "pending"
    )
    if ids is not None:
        query = query.where(massmessage_targets.c.id.in_(ids))
    conn.execute(query.values(status="failed", reason=error[:255], updated_at=now))
    if ids is None:  # the fan-out gave up: nothing more will be queued
        conn.execute(
            update(massmessage_sends)
            .where(massmessage_sends.c.id == send_id)
            .values(fanned_out=massmessage_sends.c.total)
        )
    finish_if_settled(conn, send_id, now)


class DeliveryHandler:
    def __init__(self, service: MassMessageService, protection: Any = None) -> None:
        self.service = service
        self.protection = protection
        self._actor: Actor | None = None

    # --- the delivery account --------------------------------------------------------------

    def prepare(self, batch: list[Job]) -> None:
        if self._actor is None:
            self._actor = self.delivery_actor()
            # in a transaction of its own: batches running at once do not wait on its insert
            with self.service.db.write() as conn:
                self.service.pages.ensure_tag(conn, DELIVERY_TAG)

    def delivery_actor(self) -> Actor:
        """``MediaWiki message delivery``: a system user in ``bot``, created on first use;
        like MassMessage it holds ``ipblock-exempt`` while delivering."""
        users_service = self.service.users
        name = self.service.settings.massmessage.delivery_user
        user = users_service.get_or_create_system_user(name, groups=("bot",))
        if "bot" not in user.groups:
            users_service.add_groups(user.id, ["bot"])
            user = users_service.get_by_id(user.id)
        actor: Actor = users_service.actor_for(user)
        return replace(actor, rights=actor.rights | {"ipblock-exempt"})

    # --- the batch ------------------------------------------------------------------------

    def run(self, conn: Connection, batch: list[Job]) -> Mapping[int, JobOutcome]:
        svc = self.service
        actor = self._actor or self.delivery_actor()
        svc.pages.ensure_tag(conn, DELIVERY_TAG)
        target_ids = [int(j.payload["target"]) for j in batch]
        # Claim every still-pending target of the batch at once; on PostgreSQL the row locks
        # make a concurrent duplicate wait here and then find nothing left to claim.
        claimed = conn.execute(CLAIM_TARGETS, {"ids": target_ids}).all()
        if not claimed:
            return {}
        send_ids = {r.send_id for r in claimed}
        sends = {
            s.id: s
            for s in conn.execute(select(massmessage_sends).where(massmessage_sends.c.id.in_(send_ids)))
        }
        now = svc.clock.now()
        settled: list[dict[str, Any]] = []
        # A send cancelled before this transaction claimed its targets delivers nothing more:
        # its targets are settled "cancelled" (the sends were read anyway: no extra query).
        cancelled = {i for i, s in sends.items() if s.status == "cancelled"}
        if cancelled:
            settled = [_settled(r.id, Outcome("cancelled"), now) for r in claimed if r.send_id in cancelled]
            claimed = [r for r in claimed if r.send_id not in cancelled]
            if not claimed:
                conn.execute(SETTLE_TARGET, settled)
                return {}
        context = self._prefetch(conn, [r.title for r in claimed])
        if conn.dialect.name == "postgresql" and len(batch) > 1:
            context.buffer = WriteBuffer(conn, block=len(claimed))
        # A batch runs without savepoints (they cost as much as a quarter of a delivery). If a
        # delivery raises, the whole batch rolls back and the queue re-runs its jobs one by one;
        # then a savepoint lets the failing edit be recorded as a failure.
        isolated = len(batch) == 1
        for row in claimed:
            send = sends[row.send_id]
            if not isolated:
                outcome = self.deliver(conn, actor, send, row.title, context)
                settled.append(_settled(row.id, outcome, now))
                continue
            before = replace(context.counters, editcounts=dict(context.counters.editcounts))
            try:
                with conn.begin_nested():
                    outcome = self.deliver(conn, actor, send, row.title, context)
            except Exception as err:  # the edit failed: log it, keep the neighbours
                context.counters = before
                log.exception("delivery of send %s to %s failed", row.send_id, row.title)
                outcome = Outcome("failed", type(err).__name__)
                self._log(conn, actor, row.title, "failure", send.subject, reason=outcome.reason)
            settled.append(_settled(row.id, outcome, now))
        if context.buffer:
            context.buffer.flush()
        notices.set_for_recipients(conn, context.newtalk)
        conn.execute(SETTLE_TARGET, settled)
        for send_id in send_ids:
            finish_if_settled(conn, send_id, now)
        # Last: the site statistics and the delivery account's edit count are rows every batch
        # updates, so their locks are held from here to the commit only.
        svc.pages.apply_counters(conn, context.counters)
        return {}

    def give_up(self, conn: Connection, batch: list[Job], error: str) -> None:
        by_send: dict[int, list[int]] = {}
        for job in batch:
            by_send.setdefault(int(job.payload["send"]), []).append(int(job.payload["target"]))
        for send_id, ids in by_send.items():
            fail_pending(conn, send_id, error, self.service.clock.now(), ids)

    def _prefetch(self, conn: Connection, names: list[str]) -> BatchContext:
        """What the checks of a whole batch need, in a few queries instead of a few per target."""
        svc = self.service
        titles = []
        for name in names:
            title = svc.titles.try_parse(name)
            if title is not None and title.namespace == USER and not title.interwiki:
                title = title.talk_page()
            if title is not None:
                titles.append(title)
        lock_pages(conn, titles)
        found = svc.pages.get_pages(conn, titles)
        for page in list(found.values()):
            if page.is_redirect:  # the targets of redirects are pages we may edit too
                target = svc.pages.redirect_target(conn, page.id)
                if target is not None and target.can_exist:
                    titles.append(target)
        lock_pages(conn, titles[len(names) :])
        found.update(svc.pages.get_pages(conn, titles[len(names) :]))
        page_ids = [p.id for p in found.values()]
        optout = svc.titles.parse(svc.settings.massmessage.optout_category).dbkey
        opted_out = set(conn.execute(OPTED_OUT, {"cat": optout, "ids": page_ids}).scalars())
        owners = {t.text.split("/", 1)[0] for t in titles if t.namespace in (USER, USER_TALK)}
        existing = set(conn.execute(USERS_NAMED, {"names": list(owners)}).scalars())
        restricted = set(conn.execute(RESTRICTED_PAGES, {"ids": page_ids}).scalars())
        protected_ns = {(r.namespace, r.dbkey) for r in conn.execute(PROTECTED_TITLES)}
        return BatchContext(found, opted_out, existing, restricted, protected_ns)

    # --- one target (massmessage.md §6) ---------------------------------------------------

    def _log(
        self, conn: Connection, actor: Actor, title: Any, action: str, subject: str, reason: str | None = None
    ) -> None:
        if isinstance(title, str):
            try:
                title = self.service.titles.parse(title)
            except Exception:
                return
        params: dict[str, Any] = {"subject": subject}
        if reason is not None:
            params["reason"] = reason
        self.service.pages.log(
            conn, type="massmessage", action=action, actor=actor, title=title, comment="", params=params
        )

    def deliver(
        self, conn: Connection, actor: Actor, send: Any, target: str, context: BatchContext
    ) -> Outcome:
        svc = self.service
        pages = svc.pages
        title = svc.titles.try_parse(target)
        if title is None:
            return Outcome("skipped", "skipbadns")
        if title.namespace == USER and not title.interwiki:
            title = title.talk_page()
        page = context.page(conn, pages, title)
        if page is not None and page.is_redirect:
            redirected = pages.redirect_target(conn, page.id)
            if redirected is not None and not redirected.interwiki:
                title = redirected.with_fragment("") if redirected.fragment else redirected
                page = context.page(conn, pages, title)
                if page is None:
                    page = pages.get_page(conn, title)
        if not title.can_exist or not (title.is_talk or title.namespace in NAMESPACES_TO_POST_IN):
            self._log(conn, actor, title, "skipbadns", send.subject)
            return Outcome("skipped", "skipbadns")
        if page is not None and page.id in context.opted_out:
            self._log(conn, actor, title, "skipoptout", send.subject)
            return Outcome("skipped", "skipoptout")
        if title.namespace in (USER, USER_TALK):
            owner = title.text.split("/", 1)[0]
            if owner not in context.users and conn.execute(USERS_NAMED, {"names": [owner]}).first() is None:
                self._log(conn, actor, title, "skipnouser", send.subject)
                return Outcome("skipped", "skipnouser")
        page_text = None
        if send.page_message:
            problem = svc.page_message_problem(conn, send.page_message)
            if problem is not None:
                self._log(conn, actor, title, "failure", send.subject, reason=problem.text)
                return Outcome("failed", problem.code)
            pm_page = pages.get_page(conn, svc.titles.parse(send.page_message))
            page_text = pages.get_text(conn, pm_page)
        heading = section_title(send.subject)
        comment = hidden_comment(send.sender_name, svc.settings.site.wiki_id, send.list_url)
        old_text = None
        if page is not None:
            texts = pages.recent_revision_texts(conn, page.id, 5)
            if already_delivered(texts, heading, comment):
                return Outcome("delivered", "duplicate", page.latest_rev_id)
            old_text = texts[0] if texts else ""
        if self.protection is not None and context.may_be_protected(title, page):
            errors = self.protection.edit_errors(conn, actor, title, page)
            if errors:
                self._log(conn, actor, title, "failure", send.subject, reason=errors[0].code)
                return Outcome("failed", errors[0].code)
        try:
            result = pages.save(
                conn,
                title=title,
                actor=actor,
                append_section=(heading, message_body(send.message, page_text, comment)),
                summary="",
                minor=False,
                bot=title.namespace == USER_TALK,
                tags=(DELIVERY_TAG,),
                page=page,
                old_text=old_text,
                talk_notice=False,
                counters=context.counters,
                buffer=context.buffer,
                page_loaded=True,
            )
        except ApiError as err:
            self._log(conn, actor, title, "failure", send.subject, reason=err.code)
            return Outcome("failed", err.code)
        context.edited.add((title.namespace, title.dbkey))
        owner = notices.recipient(title, actor, minor=False)
        if owner is not None:
            context.newtalk.add(owner)
        return Outcome("delivered", "", result.rev_id)


def register_massmessage_jobs(
    service: MassMessageService, queue: Any, *, protection: Any = None, delivery_batch: int = 500
) -> None:
    """The two job types, on the wiki's queue (build_wiki)."""
    queue.registry.register(SUBMIT_JOB, SubmitHandler(service))
    queue.registry.register(DELIVER_JOB, DeliveryHandler(service, protection), batch_size=delivery_batch)
