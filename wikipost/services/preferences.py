"""User preferences (``action=options``, the mail preferences emailuser reads).

action=options and Special:Preferences store through the same methods here, so a change made
either way is what ``list=users&usprop=emailable``, action=emailuser and the ``#t-emailuser``
link see at once. Email address changes (Special:ChangeEmail) are ``EmailChanger``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from wikipost.db import Database
from wikipost.db.schema.accounts import user_options
from wikipost.mail.message import is_valid_email

if TYPE_CHECKING:
    from wikipost.mail.confirm import EmailConfirmation
    from wikipost.services.login import LoginService
    from wikipost.services.users import UserRecord, UserService

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

    def get_many(self, *, names: Iterable[str] = (), ids: Iterable[int] = ()) -> list[UserRecord]:
        raise NotImplementedError  # provided by UserService

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
        self.set_options(user_id, {name: value})

    def set_options(self, user_id: int, changes: Mapping[str, str | None]) -> None:
        """Several preferences at once (one transaction), each as ``set_option`` stores it."""
        with self.db.write() as conn:
            for name, value in changes.items():
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

    def stored_mute_list(self, value: str) -> str:
        """``email-blacklist`` as action=options takes it (user names one a line or ``|``
        separated; a list of ids is kept as it is) → the stored form, ids joined by newlines.
        Unknown names are dropped, as 1.39's MultiUsernameFilter drops them."""
        names = [n for n in value.replace("|", "\n").split("\n") if n.strip()]
        if all(n.strip().isdigit() for n in names):
            return "\n".join(n.strip() for n in names)
        return "\n".join(str(i) for i in self.user_ids_for_names(names))

    def mute_list_names(self, stored: str) -> list[str]:
        """The stored ``email-blacklist`` (user ids) as user names, in stored order."""
        ids = [int(part) for part in stored.split("\n") if part.strip().isdigit()]
        by_id = {user.id: user.name for user in self.get_many(ids=ids)} if ids else {}
        return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]

    def email_preferences(self, user_id: int) -> EmailPreferences:
        options = self.get_options(user_id)
        return EmailPreferences(
            allow_email=options.get("disablemail", "0") in ("", "0"),
            allow_new_users=options.get("email-allow-new-users", "1") not in ("", "0"),
            cc_me=options.get("ccmeonemails", "0") not in ("", "0"),
            muted=tuple(self.mute_list_names(options.get("email-blacklist", ""))),
        )

    def save_email_preferences(
        self, user_id: int, prefs: EmailPreferences, *, mute_list: bool = True
    ) -> None:
        """Store the email section of Special:Preferences. Raises ``UnknownUsers`` (and stores
        nothing) when a muted name is not an existing user; ``mute_list=False`` leaves the
        stored list alone ($wgEnableUserEmailMuteList off)."""
        changes: dict[str, str | None] = {
            "disablemail": "0" if prefs.allow_email else "1",
            "email-allow-new-users": "1" if prefs.allow_new_users else "0",
            "ccmeonemails": "1" if prefs.cc_me else "0",
        }
        if mute_list:
            names = [n.strip() for n in prefs.muted if n.strip()]
            unknown = [n for n in names if self.get_by_name(n) is None]
            if unknown:
                raise UnknownUsers(unknown)
            changes["email-blacklist"] = "\n".join(str(i) for i in self.user_ids_for_names(names)) or None
        self.set_options(user_id, changes)

    def can_receive_email(self, user: UserRecord) -> bool:
        """User::canReceiveEmail: a confirmed address and no ``disablemail`` (usprop=emailable)."""
        if not user.email_confirmed or user.is_system:
            return False
        return self.get_options(user.id).get("disablemail", "0") in ("", "0")


@dataclass(frozen=True)
class EmailPreferences:
    """The email section of Special:Preferences, in the words of its checkboxes."""

    allow_email: bool  # "Allow other users to email me" (not ``disablemail``)
    allow_new_users: bool  # ``email-allow-new-users``
    cc_me: bool  # ``ccmeonemails``
    muted: tuple[str, ...] = ()  # ``email-blacklist`` as user names


class UnknownUsers(ValueError):
    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


# --- Special:ChangeEmail ---------------------------------------------------------------------

INVALID_EMAIL = (
    "The email address cannot be accepted as it appears to have an invalid format. Please enter "
    "a well-formatted address or empty that field."
)
EMAIL_NO_CHANGE = "Please enter a different new email address."


class EmailChangeError(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class EmailChanger:
    """Change (or remove) a user's address after checking their password with the login
    throttle; a new address is unconfirmed and gets a confirmation mail when the wiki requires
    confirmation ($wgEmailAuthentication)."""

    def __init__(
        self,
        users: UserService,
        login: LoginService,
        confirmation: EmailConfirmation,
        *,
        require_confirmation: bool,
    ) -> None:
        self.users = users
        self.login = login
        self.confirmation = confirmation
        self.require_confirmation = require_confirmation

    def change(self, user_name: str, new_email: str, password: str, ip: str) -> bool:
        """Raises ``EmailChangeError``; True when a confirmation mail was queued."""
        new_email = new_email.strip()
        if new_email and not is_valid_email(new_email):
            raise EmailChangeError(INVALID_EMAIL)
        user = self.users.get_by_name(user_name)
        if user is None:
            raise EmailChangeError(f"no such user: {user_name}")
        if new_email == user.email:
            raise EmailChangeError(EMAIL_NO_CHANGE)
        outcome = self.login.main_login(user.name, password, ip)
        if not outcome.ok:
            assert outcome.message is not None
            raise EmailChangeError(outcome.message.text)
        self.users.set_email(user.id, new_email)
        if new_email and self.require_confirmation:
            self.confirmation.send(user.name)
            return True
        return False
