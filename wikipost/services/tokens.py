"""CSRF and login tokens, derived as MediaWiki 1.39 derives them (auth.md §2).

token = HMAC-MD5(secret, str(ts) + salt) as 32 hex + hex(ts) + ``+\\``. Each token type has
its own salt, so each type has its own value (pywikibot's badtoken recovery depends on it).
Anonymous users get the constant ``+\\`` for csrf-like types.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.services.sessions import Session

SUFFIX = "+\\"
ANON_TOKEN = SUFFIX

# type -> (secret key in the session, salt)
TOKEN_TYPES: dict[str, tuple[str, str]] = {
    "createaccount": ("createaccount", ""),
    "csrf": ("default", ""),
    "login": ("login", ""),
    "patrol": ("default", "patrol"),
    "rollback": ("default", "rollback"),
    "userrights": ("default", "userrights"),
    "watch": ("default", "watch"),
}
# Types whose anonymous value is a real token bound to the session.
SESSION_BOUND_WHEN_ANON = {"login", "createaccount"}

_TOKEN = re.compile(r"^([0-9a-f]{32})([0-9a-f]+)\+\\$")


class TokenService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def _secret(self, session: Session, key: str, create: bool) -> str | None:
        secrets_map: dict[str, str] = session.get("token_secrets", {})
        secret = secrets_map.get(key)
        if secret is None and create:
            secret = secrets.token_hex(16)
            session.persist()
            session.set("token_secrets", {**secrets_map, key: secret})
        return secret

    @staticmethod
    def _hmac(secret: str, timestamp: int, salt: str) -> str:
        return hmac.new(secret.encode(), f"{timestamp}{salt}".encode(), hashlib.md5).hexdigest()

    def get(self, session: Session, actor: Actor, token_type: str) -> str:
        key, salt = TOKEN_TYPES[token_type]
        if actor.is_anon and token_type not in SESSION_BOUND_WHEN_ANON:
            return ANON_TOKEN
        secret = self._secret(session, key, create=True)
        assert secret is not None
        timestamp = int(self.clock.now())
        return f"{self._hmac(secret, timestamp, salt)}{timestamp:x}{SUFFIX}"

    def has_secret(self, session: Session, token_type: str) -> bool:
        key, _ = TOKEN_TYPES[token_type]
        return self._secret(session, key, create=False) is not None

    def timestamp(self, value: str) -> int | None:
        match = _TOKEN.match(value)
        return int(match.group(2), 16) if match else None

    def check(
        self, session: Session, actor: Actor, token_type: str, value: str, max_age: int | None = None
    ) -> bool:
        """Token::match: the HMAC for the token's own timestamp, optionally not older than
        ``max_age`` seconds (only action=checktoken asks for an age)."""
        key, salt = TOKEN_TYPES[token_type]
        if actor.is_anon and token_type not in SESSION_BOUND_WHEN_ANON:
            return value == ANON_TOKEN
        match = _TOKEN.match(value)
        if not match:
            return False
        if max_age is not None and int(match.group(2), 16) < self.clock.now() - max_age:
            return False
        secret = self._secret(session, key, create=False)
        if secret is None:
            return False
        expected = self._hmac(secret, int(match.group(2), 16), salt)
        return hmac.compare_digest(expected, match.group(1))
