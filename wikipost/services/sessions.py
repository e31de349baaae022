"""Server-side sessions behind the ``<wiki_id>_session`` / ``<wiki_id>_BPsession`` cookies.

A session is created lazily: an anonymous request that never needs one gets no cookie. It is
persisted when something stores data in it (a login token secret, a login). The id rotates at
login; logout deletes it, so every token secret in it dies with it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.core import sessions as sessions_table
from wikipost.settings import Settings

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuv"


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

    def reset(self) -> None:
        """Forget everything (logout): the user, the token secrets, the id."""
        if self.id is not None:
            self.old_id = self.id
        self.id = None
        self.user_id = 0
        self.bot_app = None
        self.data = {}
        self.deleted = True
        self.dirty = False


class SessionService:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        prefix = settings.site.wiki_id
        self.cookie_name = f"{prefix}_session"
        self.bp_cookie_name = f"{prefix}_BPsession"

    def load(self, cookies: dict[str, str]) -> Session:
        sid = cookies.get(self.bp_cookie_name) or cookies.get(self.cookie_name)
        if not sid or len(sid) > 64:
            return Session()
        with self.db.read() as conn:
            row = conn.execute(
                select(sessions_table).where(sessions_table.c.id == sid)
            ).first()
        now = int(self.clock.now())
        if row is None or row.expires < now:
            return Session()
        session = Session(id=sid, user_id=row.user_id, bot_app=row.bot_app, data=json.loads(row.data))
        # Sliding expiry: refresh the row when more than a tenth of the lifetime has passed.
        if row.expires - now < self.settings.users.session_expiry * 0.9:
            session.dirty = True
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
        attrs = "; path=/; HttpOnly" + ("; secure" if secure else "")
        gone = "=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0"
        if session.deleted:
            headers.append(f"{self.cookie_name}{gone}{attrs}")
            headers.append(f"{self.bp_cookie_name}{gone}{attrs}")
        elif session.set_cookie and session.id is not None:
            name = self.bp_cookie_name if session.bot_app else self.cookie_name
            headers.append(f"{name}={session.id}{attrs}")
            if session.bot_app:
                headers.append(f"{self.cookie_name}{gone}{attrs}")
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
