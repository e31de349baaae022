"""The wiki: settings, storage and the services built on them, wired once and passed around."""

from __future__ import annotations

from dataclasses import dataclass, field

from wikipost.background import BackgroundWorker, Drainer
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.services.sessions import SessionService
from wikipost.services.tokens import TokenService
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

    def background(self) -> BackgroundWorker:
        if self.worker is None:
            jobs = self.settings.jobs
            self.worker = BackgroundWorker(self.drainers, poll_seconds=jobs.poll_seconds,
                                           batch=jobs.batch)
        return self.worker

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.db.dispose()


def build_wiki(settings: Settings, *, clock: Clock | None = None, db: Database | None = None) -> Wiki:
    clock = clock or Clock()
    db = db or Database(settings.database_url)
    wiki = Wiki(
        settings=settings,
        db=db,
        clock=clock,
        sessions=SessionService(db, settings, clock),
        tokens=TokenService(clock),
        users=UserService(db, settings, clock),
    )
    # Later services are wired here, in dependency order (each issue adds its own lines).
    return wiki
