"""Email a user (``action=emailuser``): 1.39's checks in 1.39's order, D1's codes and texts,
durable acceptance (D3) and the duplicate guard (D4).

Order: target (M1–M5) before sender (M6–M9), then one write transaction: the duplicate guard
(a retry inside the window is answered ``Success`` and takes no quota), the quota unit (M10,
``ratelimited``), the outbox rows — so a request is either wholly accepted (and answered
``Success``) or leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, and_, bindparam, delete, or_, select, text
from sqlalchemy.exc import IntegrityError

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.commitgroup import CommitGroup
from wikipost.db.prepared import Prepared
from wikipost.db.schema.accounts import blocks, user_options, users
from wikipost.db.schema.mail import emailuser_requests
from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.message import Address, OutgoingMail, compose, is_valid_email, new_message_id
from wikipost.mail.outbox import Outbox
from wikipost.services.ratelimit import RATELIMITED_TEXT, RateLimiter
from wikipost.services.usernames import normalize_name
from wikipost.services.users import DEFAULT_OPTIONS
from wikipost.settings import Settings

# DECISIONS.md D1 (the seed documents' codes and texts).
NOTARGET = ("notarget", "You have not specified a valid target for this action.")
NOEMAIL = ("noemail", "This user has not specified a valid email address.")
NOWIKIEMAIL = ("nowikiemail", "This user has chosen not to receive email from other users.")
USERMAILDISABLED = ("usermaildisabled", "User email has been disabled.")
CANTSEND = (
    "cantsend",
    "You are not logged in, you do not have a confirmed email address, or you "
    "are not allowed to send email to other users, so you cannot send email.",
)
BLOCKEDFROMMAIL = ("blockedfrommail", "You have been blocked from sending email.")
RATELIMITED = ("ratelimited", RATELIMITED_TEXT)

FOOTER = (
    'This email was sent by {sender} to {target} by the "Email this user" function at '
    "{site}. If you reply to this email, your email will be sent directly to the original "
    "sender, revealing your email address to them."
)
COPY_SUBJECT = "Copy of your message to {target}: {subject}"
_PHP_RTRIM = " \t\n\r\0\x0b"


# Statements built once (the hot path only binds values).
_MAIL_OPTIONS = ("disablemail", "email-allow-new-users", "email-blacklist")
_TARGET = Prepared(
    select(
        users.c.id,
        users.c.name,
        users.c.email,
        users.c.email_authenticated,
        users.c.is_system,
        user_options.c.name.label("opt_name"),
        user_options.c.value.label("opt_value"),
    )
    .select_from(
        users.outerjoin(
            user_options,
            and_(
                user_options.c.user_id == users.c.id,
                or_(*(user_options.c.name == option for option in _MAIL_OPTIONS)),
            ),
        )
    )
    .where(users.c.name == bindparam("name"))
)
_SENDER = Prepared(
    select(
        users.c.id,
        users.c.name,
        users.c.email,
        users.c.email_authenticated,
        blocks.c.block_email,
        blocks.c.expiry,
    )
    .select_from(users.outerjoin(blocks, blocks.c.user_id == users.c.id))
    .where(users.c.id == bindparam("id"))
)
# The duplicate guard in one statement (the same SQL on SQLite and PostgreSQL): a new key is
# inserted, a key older than the window is refreshed, a key inside the window changes nothing
# — so a row count of 0 means "an identical request was accepted inside the window".
_GUARD = Prepared(
    text(
        "INSERT INTO emailuser_requests (dedupe_key, created) VALUES (:key, :created) "
        "ON CONFLICT (dedupe_key) DO UPDATE SET created = excluded.created "
        "WHERE emailuser_requests.created <= :cutoff"
    )
)


class EmailUserError(Exception):
    def __init__(self, pair: tuple[str, str]) -> None:
        super().__init__(pair[1])
        self.code, self.text = pair


@dataclass
class EmailUserResult:
    result: str  # "Success" or "Failure" (sync delivery only)
    errors: list[DeliveryError] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    duplicate: bool = False


@dataclass(frozen=True)
class _Request:
    """A checked request, ready to be accepted."""

    actor: Actor
    ip: str
    key: str
    mails: list[tuple[str, OutgoingMail]]


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    email: str
    confirmed: bool


class EmailUserService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        outbox: Outbox,
        ratelimiter: RateLimiter,
        backend: MailBackend,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.outbox = outbox
        self.ratelimiter = ratelimiter
        self.backend = backend
        self.wake = wake
        site = settings.site
        self.host = urlsplit(site.server).hostname or "localhost"
        self.unsubscribe = f"{site.index_url}/Special:Preferences"

    # --- checks -----------------------------------------------------------------------------

    def _can_receive(self, person: _Person) -> bool:
        confirmed = person.confirmed or not self.settings.mail.email_authentication
        return is_valid_email(person.email) and confirmed

    def _load(
        self, conn: Connection, target_raw: str, actor: Actor
    ) -> tuple[_Person, dict[str, str], _Person | None, Any]:
        """Target with its mail preferences, sender with its block: two queries."""
        name = normalize_name(target_raw)
        rows = _TARGET.all(conn, {"name": name}) if name is not None else []
        if not rows or rows[0].is_system:
            raise EmailUserError(NOTARGET)
        row = rows[0]
        target = _Person(row.id, row.name, row.email, row.email_authenticated is not None)
        opts = {r.opt_name: r.opt_value for r in rows if r.opt_name is not None}
        sender = None
        block = None
        if actor.is_registered:
            srow = _SENDER.first(conn, {"id": actor.id})
            if srow is not None:
                sender = _Person(srow.id, srow.name, srow.email, srow.email_authenticated is not None)
                block = srow if srow.block_email is not None else None
        return target, {**DEFAULT_OPTIONS, **opts}, sender, block

    def check(self, conn: Connection, actor: Actor, target_raw: str) -> tuple[_Person, _Person]:
        """M1–M9; the target and the sender, or the first EmailUserError."""
        target, opts, sender, block = self._load(conn, target_raw, actor)
        if not self._can_receive(target):
            raise EmailUserError(NOEMAIL)
        if opts.get("disablemail", "0") not in ("", "0"):
            raise EmailUserError(NOWIKIEMAIL)
        if opts.get("email-allow-new-users", "1") in ("", "0") and self.ratelimiter.is_newbie(actor):
            raise EmailUserError(NOWIKIEMAIL)
        muted = {line.strip() for line in opts.get("email-blacklist", "").splitlines()}
        if actor.is_registered and str(actor.id) in muted:
            raise EmailUserError(NOWIKIEMAIL)
        mail = self.settings.mail
        if not (mail.enable_email and mail.enable_user_email):
            raise EmailUserError(USERMAILDISABLED)
        if sender is None or not self._can_receive(sender):
            raise EmailUserError(CANTSEND)
        if not actor.has_right("sendemail"):
            raise EmailUserError(CANTSEND)
        if (
            block is not None
            and block.block_email
            and (block.expiry is None or block.expiry > self.clock.now())
        ):
            raise EmailUserError(BLOCKEDFROMMAIL)
        return target, sender

    # --- composition ------------------------------------------------------------------------

    def compose(
        self, sender: _Person, target: _Person, subject: str, text: str, ccme: bool
    ) -> list[tuple[str, OutgoingMail]]:
        site = self.settings.site
        now = self.clock.now()
        body = (
            text.rstrip(_PHP_RTRIM)
            + "\n\n-- \n"
            + FOOTER.format(sender=sender.name, target=target.name, site=site.name)
        )
        from_addr = Address(sender.email, sender.name)
        if self.settings.mail.user_email_use_reply_to:
            from_, reply_to, return_path = (
                Address(site.password_sender, site.name),
                from_addr,
                site.password_sender,
            )
        else:
            from_, reply_to, return_path = from_addr, None, sender.email

        def one(to: _Person, subj: str) -> OutgoingMail:
            return compose(
                to=Address(to.email, to.name),
                from_=from_,
                reply_to=reply_to,
                return_path=return_path,
                subject=subj,
                body=body,
                date=now,
                message_id=new_message_id(site.wiki_id, self.host),
                list_unsubscribe=self.unsubscribe,
            )

        mails = [("emailuser", one(target, subject))]
        if ccme and (target.email, target.name) != (sender.email, sender.name):
            copy = COPY_SUBJECT.format(target=target.name, subject=subject)
            mails.append(("emailuser-copy", one(sender, copy)))
        return mails

    # --- the request ------------------------------------------------------------------------

    @staticmethod
    def dedupe_key(sender_id: int, target_id: int, subject: str, text: str, ccme: bool) -> str:
        data = "\x00".join((str(sender_id), str(target_id), subject, text, "1" if ccme else "0"))
        return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()

    def send(
        self, actor: Actor, ip: str, target_raw: str, subject: str, text: str, ccme: bool
    ) -> EmailUserResult:
        """Check, compose and accept (or deliver, with ``delivery = "sync"``) one request."""
        request = self._prepare(actor, ip, target_raw, subject, text, ccme)
        sync = self.settings.mail.delivery == "sync"
        try:
            with self.db.write() as conn:
                outcome = self._accept(conn, request, claim=sync)
        except IntegrityError:  # a concurrent identical request committed first (D4)
            return EmailUserResult("Success", duplicate=True)
        if not sync or outcome.duplicate:
            if outcome.outbox_ids and self.wake is not None:
                self.wake()
            return outcome
        delivered = self._deliver_now(outcome.outbox_ids)
        if delivered.errors and self.settings.mail.dedupe_seconds > 0:
            # The client was told Failure: its retry must be tried again, not deduplicated.
            with self.db.write() as conn:
                conn.execute(delete(emailuser_requests).where(emailuser_requests.c.dedupe_key == request.key))
        return delivered

    def send_deferred(
        self,
        commits: CommitGroup,
        actor: Actor,
        ip: str,
        target_raw: str,
        subject: str,
        text: str,
        ccme: bool,
    ) -> asyncio.Future[EmailUserResult]:
        """:meth:`send` for a request on the event loop (``delivery = "outbox"``): the checks now,
        the acceptance in the loop's next group commit; the future resolves after that commit."""
        request = self._prepare(actor, ip, target_raw, subject, text, ccme)
        future = commits.defer(lambda conn: self._accept(conn, request, claim=False))
        if self.wake is not None:
            wake = self.wake
            future.add_done_callback(lambda done: wake() if not done.exception() else None)
        return future

    def _prepare(
        self, actor: Actor, ip: str, target_raw: str, subject: str, text: str, ccme: bool
    ) -> _Request:
        """M1–M9 and the composed mails; raises EmailUserError."""
        with self.db.read() as conn:
            target, sender = self.check(conn, actor, target_raw)
        key = self.dedupe_key(sender.id, target.id, subject, text, ccme)
        # Composed before the write transaction, so the write lock is held only for the rows.
        return _Request(actor, ip, key, self.compose(sender, target, subject, text, ccme))

    def _accept(self, conn: Connection, request: _Request, *, claim: bool) -> EmailUserResult:
        """The write: duplicate guard (D4), quota unit (M10), outbox rows (D3)."""
        window = self.settings.mail.dedupe_seconds
        if window > 0 and not self._guard(conn, request.key, window):
            return EmailUserResult("Success", duplicate=True)
        # The quota is taken before the send, as in 1.39 (inside the transaction, so a refused
        # unit leaves no mail and a duplicate takes no unit).
        if not self.ratelimiter.hit("emailuser", request.actor, request.ip):
            raise EmailUserError(RATELIMITED)
        ids = self.outbox.enqueue(conn, request.mails, claim=claim)
        return EmailUserResult("Success", outbox_ids=ids)

    def _guard(self, conn: Connection, key: str, window: int) -> bool:
        """Record this request; False when an identical one is already inside the window."""
        now = int(self.clock.now())
        return _GUARD.run(conn, {"key": key, "created": now, "cutoff": now - window}) > 0

    def purge_requests(self) -> int:
        cutoff = int(self.clock.now()) - self.settings.mail.dedupe_seconds
        with self.db.write() as conn:
            return int(
                conn.execute(
                    delete(emailuser_requests).where(emailuser_requests.c.created <= cutoff)
                ).rowcount
            )

    def _deliver_now(self, ids: list[int]) -> EmailUserResult:
        """``delivery = "sync"``: 1.39's behaviour; the copy only after the main mail went."""
        rows = self.outbox.get(ids)
        outcomes: list[tuple[Any, DeliveryError | None]] = []
        errors: list[DeliveryError] = []
        for row in rows:
            if errors:
                outcomes.append((row, DeliveryError("not sent: the main mail failed", permanent=True)))
                continue
            try:
                result = self.backend.send_each([row.mail()])[0]
            except Exception as exc:  # a backend bug must not lose the row's state
                result = DeliveryError(f"{type(exc).__name__}: {exc}")
            outcomes.append((row, result))
            if result is not None:
                errors.append(result)
        self.outbox.record(outcomes, retry=False)
        return EmailUserResult("Failure" if errors else "Success", errors=errors, outbox_ids=ids)


class DedupePurger:
    """Background drainer deleting emailuser_requests rows older than the window (once a minute)."""

    name = "emailuser-dedupe"

    def __init__(self, service: EmailUserService, clock: Clock, every: float = 60.0) -> None:
        self.service = service
        self.clock = clock
        self.every = every
        self._next = 0.0

    def run_once(self, limit: int) -> int:
        now = self.clock.now()
        if now < self._next:
            return 0
        self._next = now + self.every
        self.service.purge_requests()
        return 0
