"""Users: names, groups, rights. (The accounts issue extends this file.)"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.accounts import user_groups, users
from wikipost.services.sessions import Session
from wikipost.settings import Settings


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    email: str
    email_authenticated: int | None
    registration: int
    editcount: int
    groups: tuple[str, ...]


class UserService:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    def rights_of_groups(self, groups: tuple[str, ...]) -> frozenset[str]:
        perms = self.settings.permissions
        return frozenset(r for g in groups for r in perms.get(g, ()))

    def anonymous(self, ip: str) -> Actor:
        return Actor(id=0, name=ip, rights=self.rights_of_groups(("*",)))

    def get_by_id(self, user_id: int) -> UserRecord | None:
        with self.db.read() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
            if row is None:
                return None
            groups = conn.execute(
                select(user_groups.c.group_name).where(user_groups.c.user_id == user_id)
            ).scalars().all()
        return UserRecord(row.id, row.name, row.email, row.email_authenticated, row.registration,
                          row.editcount, tuple(sorted(groups)))

    def implicit_groups(self, user: UserRecord) -> tuple[str, ...]:
        now = self.clock.now()
        autoconfirmed = (
            now - user.registration >= self.settings.users.autoconfirm_age
            and user.editcount >= self.settings.users.autoconfirm_count
        )
        return ("*", "user", "autoconfirmed") if autoconfirmed else ("*", "user")

    def actor_for(self, user: UserRecord, grants: frozenset[str] | None = None,
                  bot_app: str | None = None) -> Actor:
        implicit = self.implicit_groups(user)
        rights = self.rights_of_groups(implicit + user.groups)
        return Actor(id=user.id, name=user.name, groups=user.groups, implicit_groups=implicit,
                     rights=rights, bot_app=bot_app, grants=grants)

    def actor_for_session(self, session: Session, ip: str) -> Actor:
        if not session.user_id:
            return self.anonymous(ip)
        user = self.get_by_id(session.user_id)
        if user is None:
            return self.anonymous(ip)
        return self.actor_for(user, bot_app=session.bot_app)
