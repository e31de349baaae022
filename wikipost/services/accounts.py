"""Account creation (AuthManager::beginAccountCreation with the password provider, 1.39).

The checks run in AuthManager's order: the creator's ``createaccount`` right and a block that
prevents account creation, the name (taken, then not creatable), the address, the per-IP
throttle (``[users] account_creation_throttle``, ``$wgAccountCreationThrottle``; creators with
``noratelimit`` are exempt; every attempt that gets this far counts, as in 1.39), then the
passwords (equal, then the default password policy). The user row and its ``newusers`` log
entry are written in one transaction; an address is stored unconfirmed and a confirmation mail
goes out when ``[mail] email_authentication`` is on. Failures are :class:`CreationMessage`\\s:
MediaWiki's message key, text and the API code ``messagecode`` reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.mail.confirm import EmailConfirmation
from wikipost.mail.message import is_valid_email
from wikipost.services.blockinfo import formatted_time
from wikipost.services.blocks import Block, user_title
from wikipost.services.login import LoginThrottle, format_duration
from wikipost.services.logs import LogService
from wikipost.services.passwords import hash_password
from wikipost.services.usernames import creatable_name, normalize_name
from wikipost.services.users import UserService
from wikipost.settings import Settings

MAX_PASSWORD_LENGTH = 4096  # the default policy's MaximalPasswordLength
THROTTLE_KIND = "acctcreate"
# PasswordCannotMatchDefaults: user name and password pairs 1.39 refuses (lower case).
DEFAULT_LOGINS = {("useruser", "useruser"), ("useruser01", "useruser01"), ("wikiuser", "wikiuser")}
# PasswordNotInCommonList: 1.39 checks wikimedia/common-passwords' 100,000 entries; Wikipost ships
# the most common ones that the length rule lets through.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "12345678",
        "123456789",
        "1234567890",
        "12341234",
        "11111111",
        "00000000",
        "87654321",
        "88888888",
        "qwertyuiop",
        "qwerty123",
        "qwertyui",
        "1q2w3e4r",
        "1qaz2wsx",
        "zaq12wsx",
        "asdfghjkl",
        "iloveyou",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "superman",
        "starwars",
        "trustno1",
        "whatever",
        "computer",
        "abcd1234",
        "abc12345",
        "welcome1",
        "letmein1",
    }
)


@dataclass(frozen=True)
class CreationMessage:
    """Why a creation failed: the message key, its English wikitext and the API code
    (ApiMessage::getApiCode: ``noname`` is ``invaliduser``, ``badaccess-groups`` is
    ``permissiondenied`` …)."""

    key: str
    wikitext: str
    code: str = ""

    @property
    def api_code(self) -> str:
        return self.code or self.key


USER_EXISTS = CreationMessage(
    "userexists", "Username entered already in use.\nPlease choose a different name."
)
NO_NAME = CreationMessage("noname", "You have not specified a valid username.", "invaliduser")
BAD_RETYPE = CreationMessage("badretype", "The passwords you entered do not match.")
BAD_EMAIL = CreationMessage(
    "invalidemailaddress",
    "The email address cannot be accepted as it appears to have an invalid format.\n"
    "Please enter a well-formatted address or empty that field.",
)
NO_NAME_PASSWORD = CreationMessage(
    "password-substring-username-match", "Your password must not appear within your username."
)
DEFAULT_LOGIN = CreationMessage(
    "password-login-forbidden", "The use of this username and password has been forbidden."
)
NO_CREDENTIALS = CreationMessage(
    "authmanager-create-no-primary", "The supplied credentials could not be used for account creation."
)
COMMON_PASSWORD = CreationMessage(
    "passwordincommonlist",
    "The password entered is in a list of very commonly used passwords. Please choose a more "
    "unique password.",
)


@dataclass(frozen=True)
class CreationOutcome:
    """A created account (``user_name``, ``user_id``) or why not (``message``)."""

    user_name: str = ""
    user_id: int = 0
    message: CreationMessage | None = None

    @property
    def ok(self) -> bool:
        return self.message is None


@dataclass(frozen=True)
class NewAccount:
    """What the creation form (or action=createaccount) submits."""

    username: str | None
    password: str | None
    retype: str | None
    email: str = ""
    reason: str = ""  # the log entry's comment, for an account made by a logged-in user


def password_problems(name: str, password: str, min_length: int) -> list[CreationMessage]:
    """The default group's password policy (UserPasswordPolicy, 1.39) in its order."""
    problems: list[CreationMessage] = []
    if len(password) < min_length:
        plural = "1 character" if min_length == 1 else f"{min_length} characters"
        problems.append(CreationMessage("passwordtooshort", f"Passwords must be at least {plural}."))
    if password.lower() in name.lower():
        problems.append(NO_NAME_PASSWORD)
    if (name.lower(), password.lower()) in DEFAULT_LOGINS:
        problems.append(DEFAULT_LOGIN)
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(
            CreationMessage(
                "passwordtoolong", f"Passwords cannot be longer than {MAX_PASSWORD_LENGTH} characters."
            )
        )
    if password.lower() in COMMON_PASSWORDS:
        problems.append(COMMON_PASSWORD)
    return problems


def combined(problems: list[CreationMessage]) -> CreationMessage:
    """Status::getMessage: one message as it is, several as a bulleted list (a raw message)."""
    if len(problems) == 1:
        return problems[0]
    text = "\n".join(f"* {p.wikitext}" for p in problems)
    return CreationMessage("rawmessage", text)


def blocked_message(block: Block, target: str, ip: str) -> CreationMessage:
    """``blockedtext`` (API code ``blocked``) for a creator whose block prevents account
    creation: PermissionManager's answer for the ``createaccount`` right."""
    by = f"[[User:{block.by_name}|{block.by_name}]]" if block.by_name else "MediaWiki default"
    expiry = "infinite" if block.expiry is None else formatted_time(block.expiry)
    text = (
        "<strong>Your username or IP address has been blocked.</strong>\n\n"
        f"The block was made by {by}.\nThe reason given is <em>{block.reason}</em>.\n\n"
        f"* Start of block: {formatted_time(block.timestamp)}\n* Expiration of block: {expiry}\n"
        f"* Intended blockee: {target}\n\n"
        f"You can contact {by} or another [[Project:Administrators|administrator]] to discuss "
        'the block.\nYou cannot use the "Email this user" feature unless a valid email address is '
        "specified in your [[Special:Preferences|account preferences]] and you have not been "
        f"blocked from using it.\nYour current IP address is {ip}, and the block ID is #{block.id}.\n"
        "Please include all above details in any queries you make."
    )
    return CreationMessage("blockedtext", text, "blocked")


def throttled_message(count: int, seconds: int) -> CreationMessage:
    accounts = "1 account" if count == 1 else f"{count} accounts"
    return CreationMessage(
        "acct_creation_throttle_hit",
        f"Visitors to this wiki using your IP address have created {accounts} in the last "
        f"{format_duration(seconds)}, which is the maximum allowed in this time period.\n"
        "As a result, visitors using this IP address cannot create any more accounts at the moment.",
    )


class AccountService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        users: UserService,
        confirmation: EmailConfirmation,
        permission_text: str,
    ) -> None:
        """``permission_text``: the ``badaccess-groups`` text for the ``createaccount`` right
        (which groups hold it), shown to creators without it."""
        self.db = db
        self.settings = settings
        self.clock = clock
        self.users = users
        self.confirmation = confirmation
        self.permission_text = permission_text
        self.conditions = [(int(c[0]), int(c[1])) for c in settings.users.account_creation_throttle]
        # Throttler, as for logins, counting per IP address with its own conditions.
        throttle_settings = settings.replace(users={"password_attempt_throttle": self.conditions})
        self.throttle = LoginThrottle(db, throttle_settings, clock)

    def create(self, creator: Actor, ip: str, request: NewAccount) -> CreationOutcome:
        """Create the account ``request`` asks for on behalf of ``creator`` from ``ip``."""
        refused = self._refusal(creator, ip, request)
        if refused is not None:
            return CreationOutcome(message=refused)
        name = creatable_name(request.username or "")
        assert name is not None and request.password is not None
        password_hash = hash_password(request.password)
        try:
            with self.db.write() as conn:
                user_id = self.users.insert_user(conn, name, password_hash, email=request.email)
                anonymous = creator.is_anon
                LogService(self.clock).log(
                    conn,
                    type="newusers",
                    action="create" if anonymous else "create2",
                    actor=Actor(id=user_id, name=name) if anonymous else creator,
                    title=user_title(name),
                    comment="" if anonymous else request.reason,
                    params={"userid": user_id},
                )
        except IntegrityError:  # a concurrent creation took the name
            return CreationOutcome(message=USER_EXISTS)
        mail = self.settings.mail
        if request.email and mail.enable_email and mail.email_authentication:
            self.confirmation.send(name)
        return CreationOutcome(user_name=name, user_id=user_id)

    def _refusal(self, creator: Actor, ip: str, request: NewAccount) -> CreationMessage | None:
        if not request.username:
            return NO_NAME
        if not creator.has_right("createaccount"):
            return CreationMessage("badaccess-groups", self.permission_text, "permissiondenied")
        block = self.users.get_block(creator.id) if creator.is_registered else None
        if block is not None and block.create_account:
            return blocked_message(block, creator.name, ip)
        raw = request.username or ""
        canonical = normalize_name(raw)
        if canonical is not None and self.users.get_by_name(canonical) is not None:
            return USER_EXISTS
        name = creatable_name(raw)
        if name is None:
            return NO_NAME
        if request.email and not is_valid_email(request.email):
            return BAD_EMAIL
        if not creator.has_right("noratelimit"):
            wait = self.throttle.increase(THROTTLE_KIND, "", ip)
            if wait is not None:
                count = next((c for c, s in self.conditions if s == wait), 0)
                return throttled_message(count, wait)
        if request.password is None or request.retype is None:
            return NO_CREDENTIALS
        if request.password != request.retype:
            return BAD_RETYPE
        problems = password_problems(name, request.password, self.settings.users.min_password_length)
        return combined(problems) if problems else None
