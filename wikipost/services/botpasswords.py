"""Bot passwords: ``User@AppId`` logins with a generated secret and a set of grants.

The secret is 32 characters of ``[0-9a-v]`` (MediaWiki's generator alphabet), shown once and
stored as an argon2id hash. A login name/password pair is only tried as a bot password when it
looks like one (BotPassword::canonicalizeLoginData, auth.md §4.1).

Saving or deleting a bot password ends the sessions logged in with it, as 1.39 does by renewing
``bp_token``: a reset password must not leave an old session working.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.accounts import bot_passwords
from wikipost.db.schema.core import sessions
from wikipost.services.grants import check_grants
from wikipost.services.passwords import hash_password, verify_password

SEPARATOR = "@"  # $wgUserrightsInterwikiDelimiter
SECRET_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
SECRET_LENGTH = 32
MAX_APP_ID_LENGTH = 32
_LOOKS_LIKE_SECRET = re.compile(r"^[0-9a-w]{32,}$")


@dataclass(frozen=True)
class BotPassword:
    user_id: int
    app_id: str
    grants: tuple[str, ...]
    created: int


def generate_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def canonicalize_login(name: str, password: str) -> tuple[str, str, str] | None:
    """(user name, app id, secret) when the credentials look like a bot password, else None."""
    if len(password) >= 32 and SEPARATOR in name:
        if _LOOKS_LIKE_SECRET.match(password):
            user, _, app = name.rpartition(SEPARATOR)
            return user, app, password
    elif len(password) > 32 and SEPARATOR in password:
        app, _, secret = password.rpartition(SEPARATOR)
        if _LOOKS_LIKE_SECRET.match(secret):
            return name, app, secret
    return None


def login_name(user_name: str, app_id: str) -> str:
    """``User@AppId``, the name a bot password logs in with."""
    return f"{user_name}{SEPARATOR}{app_id}"


def check_app_id(app_id: str) -> str:
    app_id = app_id.strip()
    if not app_id or len(app_id) > MAX_APP_ID_LENGTH or SEPARATOR in app_id or "|" in app_id:
        raise ValueError(f"invalid bot name: {app_id!r} (1-{MAX_APP_ID_LENGTH} characters, no @ or |)")
    return app_id


class BotPasswordService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def create(
        self,
        user_id: int,
        app_id: str,
        grants: list[str],
        password: str | None = None,
        *,
        replace: bool = False,
    ) -> str:
        """Create (or with ``replace`` reset) a bot password; returns the secret, shown once."""
        app_id = check_app_id(app_id)
        grant_list = check_grants(grants)
        secret = password or generate_secret()
        values = {
            "password_hash": hash_password(secret),
            "grants": json.dumps(grant_list),
            "created": int(self.clock.now()),
        }
        with self.db.write() as conn:
            exists = conn.execute(
                select(bot_passwords.c.app_id).where(
                    bot_passwords.c.user_id == user_id, bot_passwords.c.app_id == app_id
                )
            ).first()
            if exists and not replace:
                raise ValueError(f"bot password {app_id!r} already exists for this user")
            if exists:
                conn.execute(
                    update(bot_passwords)
                    .where(bot_passwords.c.user_id == user_id, bot_passwords.c.app_id == app_id)
                    .values(**values)
                )
            else:
                conn.execute(insert(bot_passwords).values(user_id=user_id, app_id=app_id, **values))
            self._end_sessions(conn, user_id, app_id)
        return secret

    def update(self, user_id: int, app_id: str, grants: list[str], *, reset: bool = False) -> str | None:
        """Change an existing bot password's grants, and with ``reset`` its secret (returned,
        shown once). Raises ValueError when it does not exist (deleted meanwhile)."""
        grant_list = check_grants(grants)
        values: dict[str, object] = {"grants": json.dumps(grant_list)}
        secret = generate_secret() if reset else None
        if secret is not None:
            values["password_hash"] = hash_password(secret)
        with self.db.write() as conn:
            done = conn.execute(
                update(bot_passwords)
                .where(bot_passwords.c.user_id == user_id, bot_passwords.c.app_id == app_id)
                .values(**values)
            ).rowcount
            if not done:
                raise ValueError(f"bot password {app_id!r} does not exist for this user")
            self._end_sessions(conn, user_id, app_id)
        return secret

    @staticmethod
    def _end_sessions(conn: Connection, user_id: int, app_id: str) -> None:
        conn.execute(delete(sessions).where(sessions.c.user_id == user_id, sessions.c.bot_app == app_id))

    def get(self, user_id: int, app_id: str) -> BotPassword | None:
        with self.db.read() as conn:
            row = conn.execute(
                select(bot_passwords).where(
                    bot_passwords.c.user_id == user_id, bot_passwords.c.app_id == app_id
                )
            ).first()
        if row is None:
            return None
        return BotPassword(row.user_id, row.app_id, tuple(json.loads(row.grants)), row.created)

    def list_for(self, user_id: int) -> list[BotPassword]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(bot_passwords)
                .where(bot_passwords.c.user_id == user_id)
                .order_by(bot_passwords.c.app_id)
            ).all()
        return [BotPassword(r.user_id, r.app_id, tuple(json.loads(r.grants)), r.created) for r in rows]

    def verify(self, user_id: int, app_id: str, secret: str) -> BotPassword | None:
        with self.db.read() as conn:
            stored = conn.execute(
                select(bot_passwords.c.password_hash).where(
                    bot_passwords.c.user_id == user_id, bot_passwords.c.app_id == app_id
                )
            ).scalar()
        if stored is None or not verify_password(str(stored), secret):
            return None
        return self.get(user_id, app_id)

    def delete(self, user_id: int, app_id: str) -> bool:
        with self.db.write() as conn:
            done = conn.execute(
                delete(bot_passwords).where(
                    bot_passwords.c.user_id == user_id, bot_passwords.c.app_id == app_id
                )
            ).rowcount
            self._end_sessions(conn, user_id, app_id)
        return bool(done)
