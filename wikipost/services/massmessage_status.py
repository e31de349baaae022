"""Where a mass-message send stands, and cancelling one.

One place answers "how far has send N got" for ``list=massmessagestatus``, Special:
MassMessageStatus and ``wikipost massmessage status``, so the three never disagree.

Cancelling is ONE conditional update of the send's row (``queued``/``delivering`` →
``cancelled``). The worker honours it in its own transactions, with no extra query on the hot
path: a delivery batch already reads the sends of the targets it has just claimed, and settles
the targets of a cancelled send as ``cancelled`` instead of delivering them; the fan-out reads
the send before queueing more deliveries and settles the rest itself. So a delivery that starts
after the cancel has committed never edits a page, deliveries already made stay, and the cancel
locks a single row — it cannot deadlock with a worker holding target rows. Until the worker has
drained the send's queued jobs, a cancelled send's still-pending targets are counted as
cancelled: nothing can deliver them any more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.massmessage import massmessage_sends, massmessage_targets

ACTIVE = ("queued", "delivering")
# Besides the sender, who may cancel someone else's send: a user with ``massmessage`` who also
# holds this right — an administrator (sysop) in the default groups. Stopping another user's
# mass message is a moderation act, like a block, so the right is ``block``.
CANCEL_OTHERS_RIGHT = "block"


@dataclass(frozen=True)
class SendStatus:
    id: int
    sender: str
    spamlist: str
    subject: str
    created_at: float
    finished_at: float | None
    status: str  # queued | delivering | done | cancelled
    total: int
    pending: int
    delivered: int
    skipped: dict[str, int]
    failed: dict[str, int]
    cancelled: int = 0
    sender_id: int = 0
    cancelled_by: str | None = None  # a user name; "" for the command line
    log_id: int | None = None
    page_message: str = ""

    @property
    def done(self) -> int:
        return self.total - self.pending

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


class CancelError(Exception):
    """A cancel that was refused; ``text`` says why, for people."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass
class _Counts:
    by_status: dict[str, int] = field(default_factory=lambda: {"pending": 0, "delivered": 0, "cancelled": 0})
    skipped: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)


def may_cancel(actor: Actor, sender_id: int) -> bool:
    """The sender, or a user with ``massmessage`` and CANCEL_OTHERS_RIGHT."""
    if actor.is_anon:
        return False
    if actor.id == sender_id:
        return True
    return actor.has_right("massmessage") and actor.has_right(CANCEL_OTHERS_RIGHT)


class SendStatusMixin:
    """Part of MassMessageService: status, listing and cancel of sends."""

    db: Database
    clock: Clock

    # --- reading ----------------------------------------------------------------------------

    def status(self, send_id: int) -> SendStatus | None:
        with self.db.read() as conn:
            send = conn.execute(select(massmessage_sends).where(massmessage_sends.c.id == send_id)).first()
            if send is None:
                return None
            rows = conn.execute(
                select(massmessage_targets.c.status, massmessage_targets.c.reason, func.count())
                .where(massmessage_targets.c.send_id == send_id)
                .group_by(massmessage_targets.c.status, massmessage_targets.c.reason)
            ).all()
        counts = _Counts()
        for status, reason, n in rows:
            if status == "skipped":
                counts.skipped[reason] = counts.skipped.get(reason, 0) + int(n)
            elif status == "failed":
                counts.failed[reason] = counts.failed.get(reason, 0) + int(n)
            else:
                counts.by_status[status] = counts.by_status.get(status, 0) + int(n)
        pending, cancelled = counts.by_status["pending"], counts.by_status["cancelled"]
        if send.status == "cancelled":  # queued jobs will settle them; none can deliver
            pending, cancelled = 0, cancelled + pending
        return SendStatus(
            send.id,
            send.sender_name,
            send.spamlist,
            send.subject,
            send.created_at,
            send.finished_at,
            send.status,
            send.total,
            pending,
            counts.by_status["delivered"],
            counts.skipped,
            counts.failed,
            cancelled=cancelled,
            sender_id=send.sender_id,
            cancelled_by=send.cancelled_by,
            log_id=send.log_id,
            page_message=send.page_message,
        )

    def recent_sends(self, limit: int = 20, before: int | None = None) -> list[int]:
        with self.db.read() as conn:
            query = select(massmessage_sends.c.id).order_by(massmessage_sends.c.id.desc()).limit(limit)
            if before is not None:
                query = query.where(massmessage_sends.c.id < before)
            return [int(i) for i in conn.execute(query).scalars()]

    def sends_for_log_entries(self, log_ids: list[int]) -> dict[int, int]:
        """Log id → send id, for the ``massmessage/send`` entries among ``log_ids``."""
        if not log_ids:
            return {}
        with self.db.read() as conn:
            rows = conn.execute(
                select(massmessage_sends.c.log_id, massmessage_sends.c.id).where(
                    massmessage_sends.c.log_id.in_(log_ids)
                )
            )
            return {int(r.log_id): int(r.id) for r in rows}

    # --- cancelling -------------------------------------------------------------------------

    def may_cancel(self, actor: Actor, status: SendStatus) -> bool:
        """Whether ``actor`` may cancel this send now (the page shows its button only then)."""
        return status.active and may_cancel(actor, status.sender_id)

    def cancel(self, send_id: int, actor: Actor | None) -> SendStatus:
        """Stop a send: no delivery not yet made will be made. ``actor`` None is the site's
        operator at the command line. Raises CancelError when refused (nothing changes)."""
        with self.db.write() as conn:
            send = conn.execute(
                select(massmessage_sends.c.sender_id, massmessage_sends.c.status).where(
                    massmessage_sends.c.id == send_id
                )
            ).first()
            if send is None:
                raise CancelError("nosuchsend", f"There is no mass-message send with the id {send_id}.")
            if actor is not None and not may_cancel(actor, send.sender_id):
                raise CancelError(
                    "permissiondenied",
                    "You can only cancel your own sends, unless you are an administrator who may "
                    "send mass messages.",
                )
            changed = conn.execute(
                update(massmessage_sends)
                .where(massmessage_sends.c.id == send_id, massmessage_sends.c.status.in_(ACTIVE))
                .values(
                    status="cancelled",
                    finished_at=self.clock.now(),
                    cancelled_by="" if actor is None else actor.name,
                )
            ).rowcount
            if not changed:  # settled meanwhile, or already cancelled: say which
                now_status = conn.execute(
                    select(massmessage_sends.c.status).where(massmessage_sends.c.id == send_id)
                ).scalar()
                raise _not_active(str(now_status))
        result = self.status(send_id)
        assert result is not None
        return result


def _not_active(status: str) -> CancelError:
    if status == "cancelled":
        return CancelError("alreadycancelled", "This send has already been cancelled.")
    return CancelError(
        "finished",
        "This send has already finished: every message has been delivered, skipped or has failed, "
        "so there is nothing left to cancel.",
    )
