"""Email address confirmation: a mailed link to Special:ConfirmEmail/<token>.

Only the token's SHA-256 is stored (accounts' ``email_tokens``); a token works once, for the
address it was sent to, until it expires (7 days, like $wgUserEmailConfirmationTokenExpiry).
The mail goes through the outbox like every other mail.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.accounts import email_tokens, users
from wikipost.mail.message import Address, compose, is_valid_email, new_message_id
from wikipost.mail.outbox import Outbox
from wikipost.settings import Settings

TOKEN_LIFETIME = 7 * 86400

BODY = (
    'Someone, probably you, has registered the account "{name}" with this email address on '
    "{site}.\n\nTo confirm that this account really does belong to you and activate email "
    "features on {site}, open this link in your browser:"
    """

{link}

If you did *not* register the account, do not open the link.

This confirmation code will expire at {expiry}."""
)


class ConfirmationError(ValueError):
    pass


@dataclass(frozen=True)
class ConfirmOutcome:
    ok: bool
    user_name: str = ""
    reason: str = ""  # "invalid" | "expired" | "used" | "changed"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EmailConfirmation:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock, outbox: Outbox, wake: object = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.outbox = outbox
        self.wake = wake

    def link(self, token: str) -> str:
        return f"{self.settings.site.index_url}/Special:ConfirmEmail/{token}"

    def send(self, user_name: str) -> str:
        """Queue a confirmation mail for the user's current address; the Message-ID."""
        site = self.settings.site
        now = self.clock.now()
        with self.db.read() as conn:
            row = conn.execute(
                select(users.c.id, users.c.name, users.c.email).where(users.c.name == user_name)
            ).first()
        if row is None:
            raise ConfirmationError(f"no such user: {user_name}")
        if not is_valid_email(row.email):
            raise ConfirmationError(f"{row.name} has no valid email address")
        token = secrets.token_hex(16)
        expires = int(now) + TOKEN_LIFETIME
        expiry = datetime.fromtimestamp(expires, UTC).strftime("%H:%M, %-d %B %Y")
        body = BODY.format(name=row.name, site=site.name, link=self.link(token), expiry=expiry)
        mail = compose(
            to=Address(row.email, row.name),
            from_=Address(site.password_sender, site.name),
            subject=f"{site.name} email address confirmation",
            body=body,
            date=now,
            message_id=new_message_id(site.wiki_id, urlsplit(site.server).hostname or "localhost"),
            list_unsubscribe=f"{site.index_url}/Special:Preferences",
            auto_submitted="auto-generated",  # the wiki's own mail (RFC 3834); 1.39 sends none
        )
        with self.db.write() as conn:
            conn.execute(
                email_tokens.insert().values(
                    token_hash=_hash(token), user_id=row.id, email=row.email, expires=expires, used=False
                )
            )
            self.outbox.enqueue(conn, [("confirmemail", mail)])
        if callable(self.wake):
            self.wake()
        return mail.message_id

    def confirm(self, token: str) -> ConfirmOutcome:
        """Use a token: confirm the address it was sent to (once, before it expires)."""
        if not token or len(token) > 128:
            return ConfirmOutcome(False, reason="invalid")
        now = int(self.clock.now())
        with self.db.write() as conn:
            row = conn.execute(select(email_tokens).where(email_tokens.c.token_hash == _hash(token))).first()
            if row is None:
                return ConfirmOutcome(False, reason="invalid")
            user = conn.execute(select(users.c.name, users.c.email).where(users.c.id == row.user_id)).first()
            if row.used:
                return ConfirmOutcome(False, reason="used")
            if row.expires <= now:
                return ConfirmOutcome(False, reason="expired")
            if user is None or user.email != row.email:
                return ConfirmOutcome(False, reason="changed")
            done = conn.execute(
                update(email_tokens)
                .where(email_tokens.c.token_hash == row.token_hash, email_tokens.c.used.is_(False))
                .values(used=True)
            ).rowcount
            if not done:  # a concurrent use won
                return ConfirmOutcome(False, reason="used")
            conn.execute(update(users).where(users.c.id == row.user_id).values(email_authenticated=now))
        return ConfirmOutcome(True, user_name=user.name)
