"""Users: names, groups, rights and email addresses (preferences and blocks: their mixins).

The accounts issue owns this file; other services call only the public methods below.
Rights follow MediaWiki 1.39: the effective groups are the explicit ones (sorted) followed by the
implicit ``*``, ``user`` and ``autoconfirmed``; a user's rights are those groups' rights in that
order, first occurrence kept. A bot-password session keeps only the rights its grants allow.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, or_, select, update

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.prepared import Prepared
from wikipost.db.schema.accounts import bot_passwords, user_groups, users
from wikipost.services.blocks import Block, BlocksMixin
from wikipost.services.grants import rights_for_grants
from wikipost.services.passwords import hash_password, needs_rehash
from wikipost.services.preference_options import DEFAULT_OPTIONS
from wikipost.services.preferences import PreferencesMixin
from wikipost.services.sessions import Session
from wikipost.services.usernames import creatable_name, normalize_name
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
    is_system: bool = False

    @property
    def email_confirmed(self) -> bool:
        return bool(self.email) and self.email_authenticated is not None


# Hot-path statements, built once: constructing a statement costs more than running it.
_USER_BY_ID = Prepared(select(users).where(users.c.id == bindparam("id")))
_USER_BY_NAME = Prepared(select(users).where(users.c.name == bindparam("name")))
# A membership counts until its expiry (NULL: never); expired rows are ignored, as 1.39 does
# until it purges them.
_GROUPS_OF = Prepared(
    select(user_groups.c.group_name).where(
        user_groups.c.user_id == bindparam("id"),
        or_(user_groups.c.expiry.is_(None), user_groups.c.expiry > bindparam("now")),
    )
)
# The session's user and, for a bot-password session, its grants: one lookup per request.
_USER_WITH_GRANTS = Prepared(
    select(users, bot_passwords.c.grants.label("bot_grants"))
    .select_from(
        users.outerjoin(
            bot_passwords,
            and_(bot_passwords.c.user_id == users.c.id, bot_passwords.c.app_id == bindparam("app")),
        )
    )
    .where(users.c.id == bindparam("id"))
)
_GRANTS_OF = Prepared(
    select(bot_passwords.c.grants).where(
        bot_passwords.c.user_id == bindparam("id"), bot_passwords.c.app_id == bindparam("app")
    )
)


class UserService(PreferencesMixin, BlocksMixin):
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        # Rights of a (groups, implicit groups, grants) combination; settings never change.
        self._rights_cache: dict[tuple[Any, ...], frozenset[str]] = {}

    # --- names ------------------------------------------------------------------------------

    @staticmethod
    def normalize_name(raw: str) -> str | None:
        return normalize_name(raw)

    # --- lookups ----------------------------------------------------------------------------

    def _record(self, conn: Connection, row: Any) -> UserRecord:
        uid = row.id
        groups = [r[0] for r in _GROUPS_OF.all(conn, {"id": uid, "now": int(self.clock.now())})]
        return UserRecord(
            uid,
            row.name,
            row.email,
            row.email_authenticated,
            row.registration,
            row.editcount,
            tuple(sorted(groups)),
            bool(row.is_system),
        )

    def get_by_id(self, user_id: int) -> UserRecord | None:
        with self.db.read() as conn:
            row = _USER_BY_ID.first(conn, {"id": user_id})
            return self._record(conn, row) if row is not None else None

    def get_by_name(self, name: str) -> UserRecord | None:
        """The user with this (raw or canonical) name, or None."""
        canonical = normalize_name(name)
        if canonical is None:
            return None
        with self.db.read() as conn:
            row = _USER_BY_NAME.first(conn, {"name": canonical})
            return self._record(conn, row) if row is not None else None

    def get_many(self, *, names: Iterable[str] = (), ids: Iterable[int] = ()) -> list[UserRecord]:
        """Existing users among canonical ``names`` or ``ids`` (any order)."""
        names, ids = list(names), list(ids)
        if not names and not ids:
            return []
        cond = users.c.name.in_(names) if names else users.c.id.in_(ids)
        with self.db.read() as conn:
            return [self._record(conn, row) for row in conn.execute(select(users).where(cond)).all()]

    def count(self) -> int:
        with self.db.read() as conn:
            return len(conn.execute(select(users.c.id).limit(1)).all())

    def list_users(
        self,
        *,
        start: str | None = None,
        end: str | None = None,
        prefix: str | None = None,
        descending: bool = False,
        groups: Iterable[str] = (),
        exclude_groups: Iterable[str] = (),
        with_edits_only: bool = False,
        limit: int = 10,
    ) -> list[UserRecord]:
        """Users by name (list=allusers); ``limit`` rows at most."""
        query = select(users)
        if start is not None:
            query = query.where(users.c.name <= start if descending else users.c.name >= start)
        if end is not None:
            query = query.where(users.c.name >= end if descending else users.c.name <= end)
        if prefix:
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(users.c.name.like(escaped + "%", escape="\\"))
        wanted = [g for g in groups if g not in ("*", "user", "autoconfirmed")]
        current = or_(user_groups.c.expiry.is_(None), user_groups.c.expiry > int(self.clock.now()))
        if wanted:
            query = query.where(
                users.c.id.in_(
                    select(user_groups.c.user_id).where(user_groups.c.group_name.in_(wanted), current)
                )
            )
        excluded = list(exclude_groups)
        if excluded:
            query = query.where(
                users.c.id.not_in(
                    select(user_groups.c.user_id).where(user_groups.c.group_name.in_(excluded), current)
                )
            )
        if with_edits_only:
            query = query.where(users.c.editcount > 0)
        query = query.order_by(users.c.name.desc() if descending else users.c.name).limit(limit)
        with self.db.read() as conn:
            return [self._record(conn, row) for row in conn.execute(query).all()]

    # --- groups and rights ------------------------------------------------------------------

    def rights_of_groups(self, groups: Iterable[str]) -> frozenset[str]:
        return frozenset(self.ordered_rights(groups))

    def ordered_rights(self, groups: Iterable[str]) -> list[str]:
        """The groups' rights in MediaWiki's order (group order, first occurrence kept)."""
        perms = self.settings.permissions
        return list(dict.fromkeys(r for g in groups for r in perms.get(g, ())))

    @staticmethod
    def effective_groups(actor: Actor) -> list[str]:
        """Explicit groups then implicit ones, as getUserEffectiveGroups lists them."""
        return list(actor.groups) + [g for g in actor.implicit_groups if g not in actor.groups]

    def rights_list(self, actor: Actor) -> list[str]:
        """The actor's rights, in MediaWiki's order (uiprop=rights)."""
        return [r for r in self.ordered_rights(self.effective_groups(actor)) if r in actor.rights]

    def anonymous(self, ip: str) -> Actor:
        return Actor(id=0, name=ip, rights=self.rights_of_groups(("*",)))

    def implicit_groups(self, user: UserRecord) -> tuple[str, ...]:
        age = self.clock.now() - user.registration
        autoconfirmed = (
            age >= self.settings.users.autoconfirm_age
            and user.editcount >= self.settings.users.autoconfirm_count
        )
        return ("*", "user", "autoconfirmed") if autoconfirmed else ("*", "user")

    def actor_for(
        self, user: UserRecord, grants: frozenset[str] | None = None, bot_app: str | None = None
    ) -> Actor:
        implicit = self.implicit_groups(user)
        key = (user.groups, implicit, grants)
        rights = self._rights_cache.get(key)
        if rights is None:
            rights = self.rights_of_groups(user.groups + implicit)
            if grants is not None:
                rights = rights & rights_for_grants(grants)
            if len(self._rights_cache) >= 1024:  # bounded: group and grant sets are few
                self._rights_cache.clear()
            self._rights_cache[key] = rights
        return Actor(
            id=user.id,
            name=user.name,
            groups=user.groups,
            implicit_groups=implicit,
            rights=rights,
            bot_app=bot_app,
            grants=grants,
        )

    def actor_for_session(self, session: Session, ip: str) -> Actor:
        if not session.user_id:
            return self.anonymous(ip)
        with self.db.read() as conn:
            row = _USER_WITH_GRANTS.first(conn, {"id": session.user_id, "app": session.bot_app or ""})
            user = self._record(conn, row) if row is not None else None
        if user is None or user.is_system:
            return self.anonymous(ip)
        if session.bot_app:
            if row.bot_grants is None:  # the bot password was deleted: the session is void
                return self.anonymous(ip)
            grants = frozenset(json.loads(row.bot_grants))
            return self.actor_for(user, grants=grants, bot_app=session.bot_app)
        return self.actor_for(user)

    def bot_password_grants(self, user_id: int, app_id: str) -> frozenset[str] | None:
        with self.db.read() as conn:
            raw = _GRANTS_OF.scalar(conn, {"id": user_id, "app": app_id})
        return None if raw is None else frozenset(json.loads(raw))

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
        canonical = creatable_name(name) if not is_system else normalize_name(name)
        if canonical is None:
            raise ValueError(f"invalid user name: {name!r}")
        password_hash = hash_password(password) if password else None
        with self.db.write() as conn:
            uid = self.insert_user(
                conn,
                canonical,
                password_hash,
                email=email,
                confirmed=confirmed,
                groups=groups,
                registration=registration,
                is_system=is_system,
            )
        user = self.get_by_id(uid)
        assert user is not None
        return user

    def insert_user(
        self,
        conn: Connection,
        canonical: str,
        password_hash: str | None,
        *,
        email: str = "",
        confirmed: bool = False,
        groups: Iterable[str] = (),
        registration: int | None = None,
        is_system: bool = False,
    ) -> int:
        """The row of a new user named ``canonical`` (already checked), inside the caller's
        transaction, so account creation can write its log entry in the same one. Raises
        IntegrityError when the name is taken (also by a concurrent creation)."""
        now = int(self.clock.now())
        key = conn.execute(
            insert(users).values(
                name=canonical,
                password_hash=password_hash,
                email=email,
                email_authenticated=now if (email and confirmed) else None,
                registration=now if registration is None else registration,
                editcount=0,
                is_system=is_system,
            )
        ).inserted_primary_key
        assert key is not None
        uid = int(key[0])
        for group in dict.fromkeys(groups):
            conn.execute(insert(user_groups).values(user_id=uid, group_name=group))
        return uid

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
            conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=hash_password(password))
            )

    def password_hash(self, user_id: int) -> str | None:
        with self.db.read() as conn:
            value = conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()
        return str(value) if value else None

    def upgrade_password_hash(self, user_id: int, password: str) -> None:
        """After a successful login: store an old-style (MediaWiki pbkdf2) hash as argon2id."""
        stored = self.password_hash(user_id)
        if stored and needs_rehash(stored):
            self.set_password(user_id, password)

    def set_email(self, user_id: int, email: str, *, confirmed: bool = False) -> None:
        now = int(self.clock.now())
        with self.db.write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(email=email, email_authenticated=now if (email and confirmed) else None)
            )

    def confirm_email(self, user_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(users).where(users.c.id == user_id).values(email_authenticated=int(self.clock.now()))
            )

    def add_groups(self, user_id: int, groups: Iterable[str]) -> None:
        """Add permanent memberships (the CLI); a current one is kept, an expired one renewed."""
        with self.db.write() as conn:
            have = dict(self.group_memberships(user_id, conn))
            for group in dict.fromkeys(groups):
                if group not in have:
                    self.write_group_membership(conn, user_id, group, None)

    # --- group memberships with expiry (action=userrights) -------------------------------------

    def group_memberships(self, user_id: int, conn: Connection | None = None) -> list[tuple[str, int | None]]:
        """(group, expiry) of the user's current memberships, by group name; expiry None is
        infinite. Pass ``conn`` to read inside a write transaction."""
        if conn is None:
            with self.db.read() as own:
                return self.group_memberships(user_id, own)
        rows = conn.execute(
            select(user_groups.c.group_name, user_groups.c.expiry)
            .where(
                user_groups.c.user_id == user_id,
                or_(user_groups.c.expiry.is_(None), user_groups.c.expiry > int(self.clock.now())),
            )
            .order_by(user_groups.c.group_name)
        ).all()
        return [(r.group_name, None if r.expiry is None else int(r.expiry)) for r in rows]

    @staticmethod
    def write_group_membership(conn: Connection, user_id: int, group: str, expiry: int | None) -> None:
        """Make ``group`` a membership of the user until ``expiry`` (None: infinite), replacing
        any earlier row (an expired one too)."""
        where = and_(user_groups.c.user_id == user_id, user_groups.c.group_name == group)
        changed = conn.execute(update(user_groups).where(where).values(expiry=expiry)).rowcount
        if not changed:
            conn.execute(insert(user_groups).values(user_id=user_id, group_name=group, expiry=expiry))

    @staticmethod
    def delete_group_membership(conn: Connection, user_id: int, group: str) -> None:
        conn.execute(
            delete(user_groups).where(user_groups.c.user_id == user_id, user_groups.c.group_name == group)
        )

    def increment_editcount(self, conn: Connection, user_id: int, by: int = 1) -> None:
        """Inside the caller's write transaction (an edit)."""
        conn.execute(update(users).where(users.c.id == user_id).values(editcount=users.c.editcount + by))

    # --- talk-page notification (uiprop=hasmsg) ----------------------------------------------

    def set_new_messages(self, user_id: int, value: bool = True, conn: Connection | None = None) -> None:
        """Mark (or clear) "you have new messages"; pass ``conn`` inside an edit's transaction."""
        stmt = update(users).where(users.c.id == user_id).values(newtalk=value)
        if conn is not None:
            conn.execute(stmt)
            return
        with self.db.write() as own:
            own.execute(stmt)

    def has_new_messages(self, user_id: int) -> bool:
        with self.db.read() as conn:
            return bool(conn.execute(select(users.c.newtalk).where(users.c.id == user_id)).scalar())

    # --- "remember me" token (the <wiki_id>Token cookie) ---------------------------------------

    def new_remember_token(self, user_id: int) -> str:
        token = secrets.token_hex(16)
        with self.db.write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(remember_token_hash=hashlib.sha256(token.encode()).hexdigest())
            )
        return token

    def check_remember_token(self, user_id: int, token: str) -> bool:
        with self.db.read() as conn:
            stored = conn.execute(select(users.c.remember_token_hash).where(users.c.id == user_id)).scalar()
        wanted = hashlib.sha256(token.encode()).hexdigest()
        return bool(stored) and secrets.compare_digest(str(stored), wanted)

    def forget_remember_token(self, user_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(remember_token_hash=None))


__all__ = ["DEFAULT_OPTIONS", "Block", "UserRecord", "UserService"]
