"""The wiki: settings, storage and the services built on them, wired once and passed around."""

from __future__ import annotations

from dataclasses import dataclass

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

    def close(self) -> None:
        self.db.dispose()


def build_wiki(settings: Settings, *, clock: Clock | None = None, db: Database | None = None) -> Wiki:
    clock = clock or Clock()
    db = db or Database(settings.database_url)
    return Wiki(
        settings=settings,
        db=db,
        clock=clock,
        sessions=SessionService(db, settings, clock),
        tokens=TokenService(clock),
        users=UserService(db, settings, clock),
    )
