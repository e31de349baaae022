"""User preferences (``action=options``, the mail preferences emailuser reads).

action=options and Special:Preferences store through the same methods here, so a change made
either way is what ``list=users&usprop=emailable``, action=emailuser and the ``#t-emailuser``
link see at once. Email address changes (Special:ChangeEmail) are ``EmailChanger``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, insert, select

from wikipost.db import Database
from wikipost.db.schema.accounts import user_options
from wikipost.mail.message import is_valid_email
from wikipost.services.preference_options import (
    CHOICE,
    DEFAULT_OPTIONS,
    EMAIL_OPTIONS,
    INTEGER,
    LANGUAGE,
    MAX_SIGNATURE_CHARS,
    NOT_SETTABLE,
    NUMBER,
    OPTION_TABLE,
    OPTIONS_BY_NAME,
    SIGNATURE,
    TIMEZONE,
    UNREGISTERED,
    OptionSpec,
)

if TYPE_CHECKING:
    from wikipost.mail.confirm import EmailConfirmation
    from wikipost.services.login import LoginService
    from wikipost.services.users import UserRecord, UserService

# --- action=options validation (ApiOptions + the HTMLForm fields' validate()) ----------------
# The texts are 1.39's messages as the API prints them in plain text (<kbd>/<code> → quotes).
BAD_PREFERENCE = "not a valid preference."  # apiwarn-validationfailed-badpref
CANNOT_SET = "cannot be set by this module."  # apiwarn-validationfailed-cannotset
KEY_TOO_LONG = "key too long (no more than 255 bytes allowed)."  # …-keytoolong
BAD_KEY_CHARS = (  # apiwarn-validationfailed-badchars
    'invalid characters in key (only "a-z", "A-Z", "0-9", "_", and "-" are allowed).'
)
BAD_OPTION = "The value you specified is not a valid option."  # htmlform-select-badoption
NOT_AN_INTEGER = "The value you specified is not an integer."  # htmlform-int-invalid
NOT_A_NUMBER = "The value you specified is not a number."  # htmlform-float-invalid
BELOW_MINIMUM = "The value you specified is below the minimum of {}."  # htmlform-int-toolow
ABOVE_MAXIMUM = "The value you specified is above the maximum of {}."  # htmlform-int-toohigh
BAD_TIMEZONE = "The time zone or offset you specified is invalid."  # timezone-invalid
SIGNATURE_TOO_LONG = (  # badsiglength
    f"Your signature is too long.\nIt must not be more than {MAX_SIGNATURE_CHARS} characters long."
)
USERJS_KEY_BYTES = 255

_FLOAT = re.compile(r"^(([+-])?\d+(\.\d+)?([eE]([+-])?\d+)?)?$")
_INTEGER = re.compile(r"^(([+-])?\d+)?$")
_USERJS_KEY = re.compile(r"^[a-zA-Z0-9_-]*$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
_HOURS_MINUTES = re.compile(r"^([+-])?(\d{1,2}):(\d{1,2})$")
_HOURS = re.compile(r"^([+-])?\d{1,2}(\.\d+)?$")
_MAX_OFFSET_MINUTES = 14 * 60


def switched_off_options(*, enable_email: bool, enable_user_email: bool, mute_list: bool) -> frozenset[str]:
    """Preferences whose field the wiki's configuration removes ($wgEnableEmail,
    $wgEnableUserEmail, $wgEnableUserEmailMuteList)."""
    if not (enable_email and enable_user_email):
        return EMAIL_OPTIONS
    return frozenset() if mute_list else frozenset({"email-blacklist"})


def option_problem(
    name: str, value: str | None, *, rights: Collection[str], switched_off: Collection[str] = ()
) -> str | None:
    """Why 1.39's action=options would refuse ``name=value`` (the text after "Validation error
    for …:"), or None when it stores it. ``value`` None resets the option to its default."""
    spec = OPTIONS_BY_NAME.get(name)
    registered = (
        spec is not None
        and spec.kind != UNREGISTERED
        and name not in switched_off
        and (not spec.rights or any(right in rights for right in spec.rights))
    )
    if spec is not None and registered:
        return None if value is None else value_problem(spec, value)
    if name in NOT_SETTABLE:
        return CANNOT_SET
    if name.startswith("userjs-"):
        if len(name.encode()) > USERJS_KEY_BYTES:
            return KEY_TOO_LONG
        return None if _USERJS_KEY.match(name) else BAD_KEY_CHARS
    return BAD_PREFERENCE


def value_problem(spec: OptionSpec, value: str) -> str | None:
    """The field's own validation of a submitted value (HTMLFormField::validate and kin)."""
    if spec.kind == CHOICE:
        return None if value in spec.values else BAD_OPTION
    if spec.kind in (INTEGER, NUMBER):
        return _number_problem(spec, value.strip())
    if spec.kind == SIGNATURE:
        return SIGNATURE_TOO_LONG if len(value) > MAX_SIGNATURE_CHARS else None
    if spec.kind == TIMEZONE:
        return None if is_valid_time_correction(value) else BAD_TIMEZONE
    if spec.kind == LANGUAGE:
        return None if _LANGUAGE_CODE.match(value) else BAD_OPTION
    return None  # TOGGLE and TEXT: 1.39 accepts any value


def _number_problem(spec: OptionSpec, value: str) -> str | None:
    """HTMLFloatField (then HTMLIntField's integer check): the number, then its bounds. An empty
    value passes the pattern but is below any minimum, as PHP 8 compares them."""
    if not _FLOAT.match(value):
        return NOT_A_NUMBER
    number = float(value) if value else None
    if spec.minimum is not None and (number is None or number < spec.minimum):
        return BELOW_MINIMUM.format(_php_number(spec.minimum))
    if spec.maximum is not None and number is not None and number > spec.maximum:
        return ABOVE_MAXIMUM.format(_php_number(spec.maximum))
    if spec.kind == INTEGER and not _INTEGER.match(value):
        return NOT_AN_INTEGER
    return None


def _php_number(number: float) -> str:
    """A bound as PHP prints a number into a message (14 significant digits)."""
    return str(int(number)) if float(number).is_integer() else f"{number:.14g}"


def is_valid_time_correction(value: str) -> bool:
    """UserTimeCorrection::isValid: ``System|N``, ``Offset|N``, ``ZoneInfo|N|Area/City`` (a
    known zone), or the legacy ``[+-]HH:MM`` / hours forms, within ±14 hours."""
    kind, _, rest = value.partition("|")
    if kind == "System":
        return True
    if kind == "Offset":
        minutes = rest.strip()
        return (
            bool(minutes) and _INTEGER.match(minutes) is not None and abs(int(minutes)) <= _MAX_OFFSET_MINUTES
        )
    if kind == "ZoneInfo":
        _, _, zone = rest.partition("|")
        return _is_known_zone(zone)
    match = _HOURS_MINUTES.match(value)
    if match:
        return int(match.group(2)) * 60 + int(match.group(3)) <= _MAX_OFFSET_MINUTES
    return _HOURS.match(value) is not None and abs(float(value)) * 60 <= _MAX_OFFSET_MINUTES


def _is_known_zone(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(zone)


def options_with_defaults(stored: Mapping[str, str]) -> dict[str, str | int | float | bool]:
    """UserOptionsManager::getOptions: 1.39's typed defaults in their order, each replaced in
    place by the stored string when set; stored options without a default follow by name (the
    order of user_properties' primary key)."""
    out: dict[str, str | int | float | bool] = {
        spec.name: spec.default for spec in OPTION_TABLE if spec.default is not None
    }
    extra = sorted(name for name in stored if name not in out)
    for name, value in stored.items():
        if name in out:
            out[name] = value
    for name in extra:
        out[name] = stored[name]
    return out


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
