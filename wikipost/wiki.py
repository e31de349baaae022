"""The wiki: settings, storage and the services built on them, wired once and passed around."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, ScalarSelect, Table, and_, func, or_, select

from wikipost.background import BackgroundWorker, Drainer, WalCheckpointer
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.commitgroup import CommitGroup
from wikipost.db.schema.jobs import jobs as jobs_table
from wikipost.db.schema.mail import mail_outbox
from wikipost.jobs import JobQueue
from wikipost.jobs.backend import build_job_queue
from wikipost.jobs.procrastinate_queue import ProcrastinateQueue
from wikipost.mail.backends import MailBackend, build_backend
from wikipost.mail.confirm import EmailConfirmation
from wikipost.mail.outbox import Outbox, OutboxDrainer
from wikipost.mail.sweeper import OutboxSweeper
from wikipost.namespaces import Namespaces
from wikipost.services.accounts import AccountService
from wikipost.services.botpasswords import BotPasswordService
from wikipost.services.changetags import ChangeTags
from wikipost.services.emailuser import DedupePurger, EmailUserService
from wikipost.services.login import LoginService
from wikipost.services.logs import LogService
from wikipost.services.massmessage import MassMessageService
from wikipost.services.massmessage_delivery import register_massmessage_jobs
from wikipost.services.pages import PageService
from wikipost.services.pageset import PageSet
from wikipost.services.protection import ProtectionService
from wikipost.services.ratelimit import RateLimiter
from wikipost.services.sessions import SessionService
from wikipost.services.titles import TitleParser
from wikipost.services.tokens import TokenService
from wikipost.services.userrights import UserRightsService
from wikipost.services.users import UserService
from wikipost.settings import Settings


@dataclass
class Wiki:
    settings: Settings
    db: Database
    clock: Clock
    sessions: SessionService
    tokens: TokenService
    users: UserService
    # Background work (mail outbox, job queue); each service appends its drainer in build_wiki.
    drainers: list[Drainer] = field(default_factory=list)
    worker: BackgroundWorker | None = None
    # Writes of requests on the event loop, committed together (wikipost/db/commitgroup.py).
    commits: CommitGroup = field(init=False)
    # In a server process whose background work runs in the worker process: how to wake it.
    remote_wake: Callable[[], None] | None = None
    # Accounts: bot passwords and the password-login checks with their throttle.
    botpasswords: BotPasswordService = field(init=False)
    login: LoginService = field(init=False)
    # The durable job queue (wikipost/jobs); job types register their handlers on it.
    jobs: JobQueue | ProcrastinateQueue = field(init=False)
    # MassMessage: sends, their per-target records and delivery jobs.
    massmessage: MassMessageService = field(init=False)
    # Mail: the backend (maildir/smtp/memory), the durable outbox, rate limits, emailuser.
    mailer: MailBackend = field(init=False)
    outbox: Outbox = field(init=False)
    ratelimiter: RateLimiter = field(init=False)
    emailuser: EmailUserService = field(init=False)
    email_confirmation: EmailConfirmation = field(init=False)
    # Pages: namespaces, titles, the page service, protection/deletion, the query pageset.
    namespaces: Namespaces = field(init=False)
    titles: TitleParser = field(init=False)
    changetags: ChangeTags = field(init=False)
    pages: PageService = field(init=False)
    protection: ProtectionService = field(init=False)
    pageset: PageSet = field(init=False)
    # Accounts made over the API (action=createaccount) and group changes (action=userrights).
    accounts: AccountService = field(init=False)
    userrights: UserRightsService = field(init=False)

    def background(self) -> BackgroundWorker:
        if self.worker is None:
            jobs = self.settings.jobs
            self.worker = BackgroundWorker(self.drainers, poll_seconds=jobs.poll_seconds, batch=jobs.batch)
        return self.worker

    def wake(self) -> None:
        """Mail or jobs were queued: tell whoever works on them not to wait for the next poll."""
        if self.worker is not None:
            self.worker.wake()
        elif self.remote_wake is not None:
            self.remote_wake()

    def drain(self) -> int:
        """Run everything due now here, whichever the queue (``jobs run``, tests); how many
        items the in-store drainers handled (procrastinate's jobs are not counted)."""
        if isinstance(self.jobs, ProcrastinateQueue):
            from wikipost.jobs.procrastinate_worker import work_until_idle

            work_until_idle(self)
        return self.background().drain()

    def unfinished(self) -> int:
        """Jobs and mails due now or claimed by some worker, counted in one snapshot.

        A job queues its follow-ups in the transaction that settles it, so 0 here means that
        everything queued until now is done (work waiting for a retry's backoff aside).
        """
        now = self.clock.now()
        jobs_left = _count_unfinished(jobs_table, "running", jobs_table.c.available_at <= now)
        mails_left = _count_unfinished(mail_outbox, "sending", mail_outbox.c.next_attempt <= now)
        with self.db.read() as conn:
            left = int(conn.execute(select(jobs_left + mails_left)).scalar() or 0)
            if isinstance(self.jobs, ProcrastinateQueue):
                left += self.jobs.unfinished(conn)
            return left

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if hasattr(self, "mailer"):
            self.mailer.close()
        self.db.dispose()


def _count_unfinished(table: Table, claimed: str, due: ColumnElement[bool]) -> ScalarSelect[int]:
    """Rows of a work table claimed by a worker, or queued and due."""
    condition = or_(table.c.status == claimed, and_(table.c.status == "queued", due))
    return select(func.count()).select_from(table).where(condition).scalar_subquery()


def build_wiki(settings: Settings, *, clock: Clock | None = None, db: Database | None = None) -> Wiki:
    clock = clock or Clock(settings.site.clock_offset)
    db = db or Database(settings.database_url)
    wiki = Wiki(
        settings=settings,
        db=db,
        clock=clock,
        sessions=SessionService(db, settings, clock),
        tokens=TokenService(clock),
        users=UserService(db, settings, clock),
    )
    wiki.commits = CommitGroup(db)
    # Later services are wired here, in dependency order (each issue adds its own lines).
    wiki.botpasswords = BotPasswordService(db, clock)
    wiki.login = LoginService(db, settings, clock, wiki.users, wiki.botpasswords)
    wiki.jobs = build_job_queue(db, clock, settings.jobs)
    if isinstance(wiki.jobs, JobQueue):  # procrastinate's workers wake on LISTEN/NOTIFY
        wiki.jobs.notify = wiki.wake
        wiki.drainers.append(wiki.jobs)
    wiki.mailer = build_backend(settings)
    wiki.outbox = Outbox(db, settings, clock)
    wiki.ratelimiter = RateLimiter(settings, db=db)
    wiki.emailuser = EmailUserService(
        db,
        settings,
        clock,
        wiki.outbox,
        wiki.ratelimiter,
        wiki.mailer,
        wake=wiki.wake,
    )
    wiki.email_confirmation = EmailConfirmation(
        db,
        settings,
        clock,
        wiki.outbox,
        wake=wiki.wake,
    )
    if isinstance(wiki.jobs, ProcrastinateQueue):  # each queued mail gets a job
        wiki.outbox.on_queued = wiki.jobs.defer_mail
        wiki.drainers.append(OutboxSweeper(db, clock, wiki.jobs.defer_mail))
    else:
        wiki.drainers.append(OutboxDrainer(wiki.outbox, wiki.mailer))
    wiki.drainers.append(DedupePurger(wiki.emailuser, clock))
    wiki.namespaces = Namespaces(settings.site.name)
    wiki.titles = TitleParser(wiki.namespaces)
    wiki.changetags = ChangeTags()
    wiki.pages = PageService(db, settings, clock, wiki.titles, wiki.changetags, LogService(clock))
    wiki.protection = ProtectionService(
        clock, wiki.pages, wiki.users, settings.permissions, settings.site.name
    )
    wiki.pageset = PageSet(wiki.pages, wiki.titles)
    wiki.accounts = AccountService(
        db,
        settings,
        clock,
        wiki.users,
        wiki.email_confirmation,
        wiki.protection.group_list("createaccount"),
    )
    wiki.userrights = UserRightsService(db, settings, clock, wiki.users)
    wiki.massmessage = MassMessageService(
        db, settings, clock, users=wiki.users, pages=wiki.pages, titles=wiki.titles, jobs=wiki.jobs
    )
    register_massmessage_jobs(wiki.massmessage, wiki.jobs, protection=wiki.protection)
    wiki.drainers.append(WalCheckpointer(db))
    return wiki
