"""Server-side sessions behind the ``<wiki_id>_session`` / ``<wiki_id>_BPsession`` cookies.

A session is created lazily: an anonymous request that never needs one gets no cookie. It is
persisted when something stores data in it (a login token secret, a login). The id rotates at
login; logout deletes it, so every token secret in it dies with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy import bindparam, delete, insert, select, update

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.prepared import Prepared
from wikipost.db.schema.accounts import users as users_table
from wikipost.db.schema.core import sessions as sessions_table
from wikipost.settings import Settings

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
REMEMBER_SECONDS = 180 * 86400  # $wgExtendedLoginCookieExpiration


def new_session_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(32))


@dataclass
class Session:
    id: str | None = None
    user_id: int = 0
    bot_app: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    dirty: bool = False
    set_cookie: bool = False
    old_id: str | None = None  # deleted at save after a rotation
    deleted: bool = False
    was_bot: bool = False  # the session reset at logout was a bot-password session
    # Set at a main-account login: (user id, user name, token) for the "remember me" cookies.
    remember: tuple[int, str, str] | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.dirty = True

    def persist(self) -> None:
        """Make sure the session is stored and its cookie sent."""
        if self.id is None:
            self.id = new_session_id()
            self.set_cookie = True
        self.dirty = True

    def rotate(self) -> None:
        """A new id for the same data (at login), so a fixated id is useless."""
        if self.id is not None:
            self.old_id = self.id
        self.id = new_session_id()
        self.set_cookie = True
        self.dirty = True

    def login(self, user_id: int, bot_app: str | None = None) -> None:
        """Bind the session to a user: a new id, no token secret of the anonymous session."""
        self.rotate()
        self.user_id = user_id
        self.bot_app = bot_app
        self.data.pop("token_secrets", None)

    def reset(self) -> None:
        """Forget everything (logout): the user, the token secrets, the id."""
        self.was_bot = bool(self.bot_app)
        if self.id is not None:
            self.old_id = self.id
        self.id = None
        self.user_id = 0
        self.bot_app = None
        self.data = {}
        self.deleted = True
        self.dirty = False


_SESSION_BY_ID = Prepared(select(sessions_table).where(sessions_table.c.id == bindparam("id")))


class SessionService:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        prefix = settings.site.wiki_id
        self.cookie_name = f"{prefix}_session"
        self.bp_cookie_name = f"{prefix}_BPsession"
        self.user_id_cookie = f"{prefix}UserID"
        self.user_name_cookie = f"{prefix}UserName"
        self.token_cookie = f"{prefix}Token"

    def load(self, cookies: dict[str, str]) -> Session:
        sid = cookies.get(self.bp_cookie_name) or cookies.get(self.cookie_name)
        row = None
        if sid and len(sid) <= 64:
            with self.db.read() as conn:
                row = _SESSION_BY_ID.first(conn, {"id": sid})
        now = int(self.clock.now())
        if sid is None or row is None or row.expires < now:
            return self._from_remember_cookies(cookies)
        session = Session(id=sid, user_id=row.user_id, bot_app=row.bot_app, data=json.loads(row.data))
        # Sliding expiry: refresh the row when more than a tenth of the lifetime has passed.
        if row.expires - now < self.settings.users.session_expiry * 0.9:
            session.dirty = True
        return session

    def _from_remember_cookies(self, cookies: dict[str, str]) -> Session:
        """A fresh session for the user of valid UserID + Token cookies (fresh token secrets)."""
        uid_text = cookies.get(self.user_id_cookie, "")
        token = cookies.get(self.token_cookie, "")
        if not uid_text.isdigit() or not token or len(token) > 64:
            return Session()
        with self.db.read() as conn:
            stored = conn.execute(
                select(users_table.c.remember_token_hash).where(users_table.c.id == int(uid_text))
            ).scalar()
        wanted = hashlib.sha256(token.encode()).hexdigest()
        if not stored or not hmac.compare_digest(str(stored), wanted):
            return Session()
        session = Session(user_id=int(uid_text))
        session.persist()
        return session

    def save(self, session: Session, *, secure: bool) -> list[str]:
        """Store the session if needed; the Set-Cookie header values to send."""
        headers: list[str] = []
        expires = int(self.clock.now()) + self.settings.users.session_expiry
        if session.old_id is not None or session.deleted or (session.dirty and session.id):
            with self.db.write() as conn:
                if session.old_id is not None:
                    conn.execute(delete(sessions_table).where(sessions_table.c.id == session.old_id))
                if session.id is not None and session.dirty:
                    values = {
                        "user_id": session.user_id,
                        "bot_app": session.bot_app,
                        "data": json.dumps(session.data),
                        "expires": expires,
                    }
                    done = conn.execute(
                        update(sessions_table).where(sessions_table.c.id == session.id).values(**values)
                    ).rowcount
                    if not done:
                        conn.execute(insert(sessions_table).values(id=session.id, **values))
        attrs = "; path=/; HttpOnly; SameSite=Lax" + ("; secure" if secure else "")
        gone = "=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0"
        if session.deleted:
            # 1.39 deletes _session, UserID and Token (a bot-password logout drops _BPsession);
            # deleting all four leaves no stale cookie behind either way.
            for name in (self.cookie_name, self.bp_cookie_name, self.user_id_cookie, self.token_cookie):
                headers.append(f"{name}{gone}{attrs}")
        elif session.set_cookie and session.id is not None:
            name = self.bp_cookie_name if session.bot_app else self.cookie_name
            headers.append(f"{name}={session.id}{attrs}")
        if session.remember is not None and not session.deleted:
            uid, user_name, token = session.remember
            lasting = f"; Max-Age={REMEMBER_SECONDS}{attrs}"
            headers.append(f"{self.user_id_cookie}={uid}{lasting}")
            headers.append(f"{self.user_name_cookie}={quote(user_name)}{lasting}")
            headers.append(f"{self.token_cookie}={token}{lasting}")
            session.remember = None
        session.dirty = False
        session.set_cookie = False
        session.old_id = None
        return headers

    def purge_expired(self) -> int:
        with self.db.write() as conn:
            return int(
                conn.execute(
                    delete(sessions_table).where(sessions_table.c.expires < int(self.clock.now()))
                ).rowcount
            )
