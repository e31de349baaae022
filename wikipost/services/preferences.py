"""User preferences (``action=options``, the mail preferences emailuser reads)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from wikipost.db import Database
from wikipost.db.schema.accounts import user_options

if TYPE_CHECKING:
    from wikipost.services.users import UserRecord

# 1.39 defaults of the preferences this project reads.
DEFAULT_OPTIONS: dict[str, str] = {
    "disablemail": "0",
    "email-allow-new-users": "1",
    "email-blacklist": "",
    "ccmeonemails": "0",
    "language": "en",
    "gender": "unknown",
}


class PreferencesMixin:
    """Part of UserService: stored preferences with 1.39's defaults filled in."""

    db: Database

    def get_by_name(self, name: str) -> UserRecord | None:  # provided by UserService
        raise NotImplementedError

    # --- preferences ------------------------------------------------------------------------

    def stored_options(self, user_id: int) -> dict[str, str]:
        """Only the preferences the user has set (differing from the defaults)."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(user_options.c.name, user_options.c.value).where(user_options.c.user_id == user_id)
            ).all()
        return {r.name: r.value for r in rows}

    def get_options(self, user_id: int) -> dict[str, str]:
        """Every preference this project knows, defaults filled in."""
        return {**DEFAULT_OPTIONS, **self.stored_options(user_id)}

    def set_option(self, user_id: int, name: str, value: str | None) -> None:
        """Store a preference; None (or the default value) resets it."""
        with self.db.write() as conn:
            conn.execute(
                delete(user_options).where(user_options.c.user_id == user_id, user_options.c.name == name)
            )
            if value is not None and value != DEFAULT_OPTIONS.get(name):
                conn.execute(insert(user_options).values(user_id=user_id, name=name, value=value))

    def reset_options(self, user_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(delete(user_options).where(user_options.c.user_id == user_id))

    def user_ids_for_names(self, names: Iterable[str]) -> list[int]:
        """Ids of the existing users among ``names`` (the stored form of ``email-blacklist``)."""
        out: list[int] = []
        for raw in names:
            user = self.get_by_name(raw) if raw.strip() else None
            if user is not None and user.id not in out:
                out.append(user.id)
        return out

    def can_receive_email(self, user: UserRecord) -> bool:
        """User::canReceiveEmail: a confirmed address and no ``disablemail`` (usprop=emailable)."""
        if not user.email_confirmed or user.is_system:
            return False
        return self.get_options(user.id).get("disablemail", "0") in ("", "0")
