"""Password logins: the failed-attempt throttle and the main-account / bot-password checks.

Like MediaWiki 1.39's Throttler, every attempt counts against each
``settings.users.password_attempt_throttle`` condition for the (IP, user name) pair; a window
starts at the first attempt, a success clears the counters. The counters live in the database and
are changed with single conditional UPDATEs, so they are exact across threads and processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.core import login_throttle
from wikipost.services.botpasswords import BotPasswordService, canonicalize_login
from wikipost.services.passwords import verify_password
from wikipost.services.users import UserRecord, UserService
from wikipost.settings import Settings


@dataclass(frozen=True)
class LoginMessage:
    """A message as MediaWiki's login paths report it: code, wikitext and plain text."""

    code: str
    wikitext: str

    @property
    def text(self) -> str:
        return " ".join(self.wikitext.split())


WRONG_PASSWORD = LoginMessage("wrongpassword", "Incorrect username or password entered.\nPlease try again.")
NO_CREDENTIALS = LoginMessage(
    "authmanager-authn-no-primary", "The supplied credentials could not be authenticated."
)
SESSION_LOST = LoginMessage("sessionlost", "Unable to continue login. Your session most likely timed out.")


def throttled_message(wait_seconds: int) -> LoginMessage:
    return LoginMessage(
        "login-throttled",
        "You have made too many recent login attempts.\n"
        f"Please wait {format_duration(wait_seconds)} before trying again.",
    )


def needs_reset_message(user: str, app: str) -> LoginMessage:
    return LoginMessage(
        "botpasswords-needs-reset", f'The bot password for bot name "{app}" of user "{user}" must be reset.'
    )


_UNITS = (("year", 31557600), ("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def format_duration(seconds: int) -> str:
    """Language::formatDuration in English: ``5 minutes``, ``2 days``, ``1 hour and 30 minutes``."""
    parts: list[str] = []
    rest = max(0, int(seconds))
    for name, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    if not parts:
        return "0 seconds"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True)
class LoginOutcome:
    ok: bool
    user: UserRecord | None = None
    bot_app: str | None = None
    message: LoginMessage | None = None


class LoginThrottle:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.conditions = [(int(c[0]), int(c[1])) for c in settings.users.password_attempt_throttle]
        self.clock = clock

    @staticmethod
    def _key(kind: str, index: int, ip: str, username: str) -> str:
        return f"{kind}:{index}:{ip}:{username}"[:512]

    def increase(self, kind: str, username: str, ip: str) -> int | None:
        """Count one attempt; the wait in seconds when a limit was already reached, else None."""
        for index, (count, seconds) in enumerate(self.conditions):
            if count <= 0:
                continue
            if not self._increase_one(self._key(kind, index, ip, username), count, seconds):
                return seconds
        return None

    def _increase_one(self, key: str, limit: int, seconds: int) -> bool:
        for _attempt in range(3):
            now = int(self.clock.now())
            try:
                with self.db.write() as conn:
                    bumped = conn.execute(
                        update(login_throttle)
                        .where(
                            login_throttle.c.key == key,
                            login_throttle.c.expires > now,
                            login_throttle.c.count < limit,
                        )
                        .values(count=login_throttle.c.count + 1)
                    ).rowcount
                    if bumped:
                        return True
                    row = conn.execute(
                        select(login_throttle.c.count, login_throttle.c.expires).where(
                            login_throttle.c.key == key
                        )
                    ).first()
                    if row is not None and row.expires > now:
                        return False  # limit reached inside the window
                    if row is not None:
                        conn.execute(delete(login_throttle).where(login_throttle.c.key == key))
                    conn.execute(insert(login_throttle).values(key=key, count=1, expires=now + seconds))
                    return True
            except IntegrityError:  # a concurrent first attempt created the row: count again
                continue
        return True

    def clear(self, kind: str, username: str, ip: str) -> None:
        keys = [self._key(kind, i, ip, username) for i in range(len(self.conditions))]
        with self.db.write() as conn:
            conn.execute(delete(login_throttle).where(login_throttle.c.key.in_(keys)))

    def purge_expired(self) -> int:
        with self.db.write() as conn:
            return int(
                conn.execute(
                    delete(login_throttle).where(login_throttle.c.expires <= int(self.clock.now()))
                ).rowcount
            )


class LoginService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        users: UserService,
        botpasswords: BotPasswordService,
    ) -> None:
        self.settings = settings
        self.users = users
        self.botpasswords = botpasswords
        self.throttle = LoginThrottle(db, settings, clock)

    def bot_password_login(self, name: str, password: str, ip: str) -> LoginOutcome | None:
        """BotPassword::login. None: not a bot password, or a failure that falls through to the
        main-account login (unknown app id, wrong secret)."""
        if not self.settings.users.enable_bot_passwords:
            return None
        parsed = canonicalize_login(name, password)
        if parsed is None:
            return None
        user_name, app_id, secret = parsed
        user = self.users.get_by_name(user_name)
        if user is None or user.is_system:
            return None
        login_name = f"{user.name}@{app_id}"
        wait = self.throttle.increase("botpassword", login_name, ip)
        if wait is not None:
            return LoginOutcome(False, message=throttled_message(wait))
        if self.botpasswords.verify(user.id, app_id, secret) is None:
            return None
        self.throttle.clear("botpassword", login_name, ip)
        return LoginOutcome(True, user=user, bot_app=app_id)

    def main_login(self, name: str | None, password: str | None, ip: str) -> LoginOutcome:
        """AuthManager's password login for a main account (throttle, then the password)."""
        if not name or not password:
            return LoginOutcome(False, message=NO_CREDENTIALS)
        canonical = self.users.normalize_name(name)
        throttle_name = canonical or name
        wait = self.throttle.increase("password", throttle_name, ip)
        if wait is not None:
            return LoginOutcome(False, message=throttled_message(wait))
        user = self.users.get_by_name(canonical) if canonical else None
        if user is None or user.is_system:
            return LoginOutcome(False, message=WRONG_PASSWORD)
        if not verify_password(self.users.password_hash(user.id), password):
            return LoginOutcome(False, message=WRONG_PASSWORD)
        self.throttle.clear("password", throttle_name, ip)
        self.users.upgrade_password_hash(user.id, password)
        return LoginOutcome(True, user=user)
