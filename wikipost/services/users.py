"""Users: names, groups, rights, preferences, email addresses and blocks.

The accounts issue owns this file; other services call only the public methods below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.accounts import blocks, user_groups, user_options, users
from wikipost.services.passwords import hash_password
from wikipost.services.sessions import Session
from wikipost.services.usernames import normalize_name
from wikipost.settings import Settings

# 1.39 defaults of the preferences this project reads.
DEFAULT_OPTIONS: dict[str, str] = {
    "disablemail": "0",
    "email-allow-new-users": "1",
    "email-blacklist": "",
    "ccmeonemails": "0",
    "language": "en",
    "gender": "unknown",
}


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    email: str
    email_authenticated: int | None
    registration: int
    editcount: int
    groups: tuple[str, ...]
    is_system: bool = False

    @property
    def email_confirmed(self) -> bool:
        return bool(self.email) and self.email_authenticated is not None


@dataclass(frozen=True)
class Block:
    id: int
    user_id: int
    by_user_id: int | None
    by_name: str
    reason: str
    timestamp: int
    expiry: int | None  # None: infinite
    sitewide: bool
    block_email: bool
    create_account: bool
    allow_usertalk: bool


class UserService:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    # --- names ------------------------------------------------------------------------------

    @staticmethod
    def normalize_name(raw: str) -> str | None:
        return normalize_name(raw)

    # --- lookups ----------------------------------------------------------------------------

    def _record(self, conn: Connection, row: object) -> UserRecord:
        uid = row.id  # type: ignore[attr-defined]
        groups = conn.execute(
            select(user_groups.c.group_name).where(user_groups.c.user_id == uid)
        ).scalars().all()
        return UserRecord(uid, row.name, row.email, row.email_authenticated,  # type: ignore[attr-defined]
                          row.registration, row.editcount, tuple(sorted(groups)),  # type: ignore[attr-defined]
                          bool(row.is_system))  # type: ignore[attr-defined]

    def get_by_id(self, user_id: int) -> UserRecord | None:
        with self.db.read() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
            return self._record(conn, row) if row is not None else None

    def get_by_name(self, name: str) -> UserRecord | None:
        """The user with this (raw or canonical) name, or None."""
        canonical = normalize_name(name)
        if canonical is None:
            return None
        with self.db.read() as conn:
            row = conn.execute(select(users).where(users.c.name == canonical)).first()
            return self._record(conn, row) if row is not None else None

    # --- rights -----------------------------------------------------------------------------

    def rights_of_groups(self, groups: Iterable[str]) -> frozenset[str]:
        perms = self.settings.permissions
        return frozenset(r for g in groups for r in perms.get(g, ()))

    def anonymous(self, ip: str) -> Actor:
        return Actor(id=0, name=ip, rights=self.rights_of_groups(("*",)))

    def implicit_groups(self, user: UserRecord) -> tuple[str, ...]:
        age = self.clock.now() - user.registration
        autoconfirmed = (
            age >= self.settings.users.autoconfirm_age
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

    # --- creation and changes ---------------------------------------------------------------

    def create(
        self,
        name: str,
        password: str | None = None,
        *,
        email: str = "",
        confirmed: bool = False,
        groups: Iterable[str] = (),
        registration: int | None = None,
        is_system: bool = False,
    ) -> UserRecord:
        canonical = normalize_name(name)
        if canonical is None:
            raise ValueError(f"invalid user name: {name!r}")
        now = int(self.clock.now())
        with self.db.write() as conn:
            key = conn.execute(
                insert(users).values(
                    name=canonical,
                    password_hash=hash_password(password) if password else None,
                    email=email,
                    email_authenticated=now if (email and confirmed) else None,
                    registration=now if registration is None else registration,
                    editcount=0,
                    is_system=is_system,
                )
            ).inserted_primary_key
            assert key is not None
            uid = key[0]
            for group in dict.fromkeys(groups):
                conn.execute(insert(user_groups).values(user_id=uid, group_name=group))
        user = self.get_by_id(int(uid))
        assert user is not None
        return user

    def get_or_create_system_user(self, name: str, groups: Iterable[str] = ()) -> UserRecord:
        user = self.get_by_name(name)
        if user is not None:
            return user
        try:
            return self.create(name, None, groups=groups, is_system=True)
        except Exception:  # a concurrent creator won the race
            user = self.get_by_name(name)
            if user is None:
                raise
            return user

    def set_password(self, user_id: int, password: str) -> None:
        with self.db.write() as conn:
            conn.execute(update(users).where(users.c.id == user_id)
                         .values(password_hash=hash_password(password)))

    def password_hash(self, user_id: int) -> str | None:
        with self.db.read() as conn:
            value = conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()
        return str(value) if value else None

    def set_email(self, user_id: int, email: str, *, confirmed: bool = False) -> None:
        now = int(self.clock.now())
        with self.db.write() as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(
                email=email, email_authenticated=now if (email and confirmed) else None))

    def confirm_email(self, user_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(update(users).where(users.c.id == user_id)
                         .values(email_authenticated=int(self.clock.now())))

    def add_groups(self, user_id: int, groups: Iterable[str]) -> None:
        with self.db.write() as conn:
            have = set(conn.execute(select(user_groups.c.group_name)
                                    .where(user_groups.c.user_id == user_id)).scalars())
            for group in dict.fromkeys(groups):
                if group not in have:
                    conn.execute(insert(user_groups).values(user_id=user_id, group_name=group))

    def increment_editcount(self, conn: Connection, user_id: int, by: int = 1) -> None:
        """Inside the caller's write transaction (an edit)."""
        conn.execute(update(users).where(users.c.id == user_id)
                     .values(editcount=users.c.editcount + by))

    # --- preferences ------------------------------------------------------------------------

    def get_options(self, user_id: int) -> dict[str, str]:
        """Every preference this project knows, defaults filled in."""
        with self.db.read() as conn:
            rows = conn.execute(select(user_options.c.name, user_options.c.value)
                                .where(user_options.c.user_id == user_id)).all()
        return {**DEFAULT_OPTIONS, **{r.name: r.value for r in rows}}

    def set_option(self, user_id: int, name: str, value: str | None) -> None:
        """Store a preference; None (or the default value) resets it."""
        with self.db.write() as conn:
            conn.execute(delete(user_options).where(user_options.c.user_id == user_id,
                                                    user_options.c.name == name))
            if value is not None and value != DEFAULT_OPTIONS.get(name):
                conn.execute(insert(user_options).values(user_id=user_id, name=name, value=value))

    def can_receive_email(self, user: UserRecord) -> bool:
        """User::canReceiveEmail: a confirmed address and no ``disablemail`` (usprop=emailable)."""
        if not user.email_confirmed or user.is_system:
            return False
        return self.get_options(user.id).get("disablemail", "0") in ("", "0")

    # --- blocks -----------------------------------------------------------------------------

    def get_block(self, user_id: int) -> Block | None:
        """The user's block in force now, or None."""
        with self.db.read() as conn:
            row = conn.execute(select(blocks).where(blocks.c.user_id == user_id)).first()
        if row is None:
            return None
        if row.expiry is not None and row.expiry <= self.clock.now():
            return None
        return Block(row.id, row.user_id, row.by_user_id, row.by_name, row.reason, row.timestamp,
                     row.expiry, bool(row.sitewide), bool(row.block_email), bool(row.create_account),
                     bool(row.allow_usertalk))

    def block(
        self,
        user_id: int,
        *,
        by: UserRecord | None = None,
        reason: str = "",
        expiry: int | None = None,
        block_email: bool = False,
        sitewide: bool = True,
        create_account: bool = True,
        allow_usertalk: bool = True,
    ) -> Block:
        with self.db.write() as conn:
            conn.execute(delete(blocks).where(blocks.c.user_id == user_id))
            conn.execute(insert(blocks).values(
                user_id=user_id, by_user_id=by.id if by else None, by_name=by.name if by else "",
                reason=reason, timestamp=int(self.clock.now()), expiry=expiry, sitewide=sitewide,
                block_email=block_email, create_account=create_account,
                allow_usertalk=allow_usertalk,
            ))
        block = self.get_block(user_id)
        assert block is not None
        return block

    def unblock(self, user_id: int) -> bool:
        with self.db.write() as conn:
            return bool(conn.execute(delete(blocks).where(blocks.c.user_id == user_id)).rowcount)
