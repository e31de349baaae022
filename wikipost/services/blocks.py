"""Blocks: one per user, sitewide or not, with an expiry and the email flag.

``block``/``unblock`` are the bare store operations (the CLI and test fixtures use them);
``place_block``/``lift_block`` are what an administrator does through Special:Block and
Special:Unblock: 1.39's checks and messages, the row and its ``block`` log entry written in one
transaction so a block never exists without its log line (or the other way round).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, delete, insert, or_, select

from wikipost.actor import Actor
from wikipost.clock import Clock, iso8601
from wikipost.db import Database
from wikipost.db.schema.accounts import blocks, users
from wikipost.namespaces import CANONICAL, USER
from wikipost.services.logs import LogService
from wikipost.services.titles import Title

if TYPE_CHECKING:
    from wikipost.services.users import UserRecord

INFINITE = ("infinite", "infinity", "indefinite", "never", "")
_UNITS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
    "month": 2592000,
    "year": 31536000,
}
_RELATIVE = re.compile(r"^\s*(\d+)\s*([a-z]+?)s?\s*$")
_ABSOLUTE = ("%Y-%m-%dT%H:%M:%SZ", "%Y%m%d%H%M%S", "%Y-%m-%d")
MAX_EXPIRY_LENGTH = 50  # SpecialBlock refuses longer expiry input

# 1.39's messages (en), plain text.
NO_SUCH_USER = 'There is no user by the name "{name}". Check your spelling.'
EXPIRY_INVALID = "Expiry time invalid."
EXPIRY_OLD = "Expiry time is in the past."
ALREADY_BLOCKED = '"{name}" is already blocked.'
NEED_REBLOCK = "{name} is already blocked. Do you want to change the settings?"
BLOCKING_SELF = "You are about to block yourself! Are you sure you want to do that?"
PERFORMER_BLOCKED = "You cannot block or unblock other users because you are yourself blocked."
NO_UNBLOCK_SELF = "You are not allowed to unblock yourself."
CANT_BLOCK_EMAIL = "You don't have permission to block other users from sending email."
CANT_UNBLOCK = "The block you specified was not found. It may have been unblocked already."


def parse_expiry(text: str, now: float) -> int | None:
    """``infinite`` (and its synonyms) → None; ``3 days``; or an ISO 8601 / YYYYmmddHHMMSS time.

    One parser for every way a block is placed (``wikipost block --expiry``, Special:Block),
    so the same words mean the same time everywhere. Raises ValueError on anything else.
    """
    value = text.strip().lower()
    if value in INFINITE:
        return None
    match = _RELATIVE.match(value)
    if match and match.group(2) in _UNITS:
        return int(now) + int(match.group(1)) * _UNITS[match.group(2)]
    for fmt in _ABSOLUTE:
        try:
            return int(datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC).timestamp())
        except ValueError:
            continue
    raise ValueError(f"unrecognised expiry: {text!r}")


@dataclass(frozen=True)
class Block:
    id: int
    user_id: int
    by_user_id: int | None
    by_name: str
    reason: str
    timestamp: int
    expiry: int | None  # None: infinite
    sitewide: bool
    block_email: bool
    create_account: bool
    allow_usertalk: bool
    autoblock: bool = False


class BlockError(ValueError):
    """A block or unblock refused; ``text`` is 1.39's message and ``code`` the API code it maps
    to (ApiMessage's map: ``ipb_already_blocked`` → ``alreadyblocked`` …). ``needs_confirm``: the
    form should offer the confirmation checkbox (reblock, blocking oneself)."""

    def __init__(self, text: str, *, code: str = "", needs_confirm: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.code = code
        self.needs_confirm = needs_confirm


@dataclass(frozen=True)
class BlockRequest:
    """What Special:Block submits (its option names in 1.39's sense: True means "prevent")."""

    target: str
    expiry: str
    reason: str = ""
    create_account: bool = True  # wpCreateAccount: prevent account creation (nocreate)
    block_email: bool = False  # wpDisableEmail: prevent sending email (noemail)
    disable_usertalk: bool = False  # wpDisableUTEdit (nousertalk)
    autoblock: bool = True  # wpAutoBlock (recorded: this wiki has no IP blocks to apply it to)
    hardblock: bool = False  # wpHardBlock (only meaningful for IP targets)
    confirmed: bool = False  # wpConfirm: reblock an already-blocked user / block oneself
    # action=block: blocking oneself needs no confirmation (only Special:Block asks for one);
    # ``confirmed`` is then the API's ``reblock``.
    self_without_confirm: bool = False
    tags: tuple[str, ...] = ()  # change tags of the log entry


@dataclass(frozen=True)
class BlockOutcome:
    block: Block
    user_name: str
    action: str  # "block" or "reblock"
    log_id: int


@dataclass(frozen=True)
class UnblockOutcome:
    block: Block  # the block that was lifted
    user_name: str
    user_id: int
    log_id: int


def block_log_flags(request: BlockRequest) -> list[str]:
    """SpecialBlock::blockLogFlags for a user target, in its order."""
    flags: list[str] = []
    if request.create_account:
        flags.append("nocreate")
    if not request.autoblock:
        flags.append("noautoblock")
    if request.block_email:
        flags.append("noemail")
    if request.disable_usertalk:
        flags.append("nousertalk")
    return flags


def user_title(name: str) -> Title:
    """``User:Name``, the title block log entries are about."""
    return Title(USER, name.replace(" ", "_"), CANONICAL[USER])


def _row_to_block(row: Any) -> Block:
    return Block(
        row.id,
        row.user_id,
        row.by_user_id,
        row.by_name,
        row.reason,
        row.timestamp,
        row.expiry,
        bool(row.sitewide),
        bool(row.block_email),
        bool(row.create_account),
        bool(row.allow_usertalk),
        bool(row.autoblock),
    )


class BlocksMixin:
    """Part of UserService: the block in force, placing and lifting blocks."""

    db: Database
    clock: Clock

    def get_by_name(self, name: str) -> UserRecord | None:  # provided by UserService
        raise NotImplementedError

    def get_by_id(self, user_id: int) -> UserRecord | None:  # provided by UserService
        raise NotImplementedError

    # --- blocks -----------------------------------------------------------------------------

    def _block_in_force(self, conn: Connection, user_id: int) -> Block | None:
        row = conn.execute(select(blocks).where(blocks.c.user_id == user_id)).first()
        if row is None or (row.expiry is not None and row.expiry <= self.clock.now()):
            return None
        return _row_to_block(row)

    def get_block(self, user_id: int) -> Block | None:
        """The user's block in force now, or None."""
        with self.db.read() as conn:
            return self._block_in_force(conn, user_id)

    def _write_block(self, conn: Connection, user_id: int, **values: Any) -> Block:
        conn.execute(delete(blocks).where(blocks.c.user_id == user_id))
        conn.execute(insert(blocks).values(user_id=user_id, timestamp=int(self.clock.now()), **values))
        row = conn.execute(select(blocks).where(blocks.c.user_id == user_id)).first()
        return _row_to_block(row)

    def block(
        self,
        user_id: int,
        *,
        by: UserRecord | None = None,
        reason: str = "",
        expiry: int | None = None,
        block_email: bool = False,
        sitewide: bool = True,
        create_account: bool = True,
        allow_usertalk: bool = True,
        autoblock: bool = False,
    ) -> Block:
        """Store a block as given (no checks, no log entry)."""
        with self.db.write() as conn:
            return self._write_block(
                conn,
                user_id,
                by_user_id=by.id if by else None,
                by_name=by.name if by else "",
                reason=reason,
                expiry=expiry,
                sitewide=sitewide,
                block_email=block_email,
                create_account=create_account,
                allow_usertalk=allow_usertalk,
                autoblock=autoblock,
            )

    def unblock(self, user_id: int) -> bool:
        with self.db.write() as conn:
            return bool(conn.execute(delete(blocks).where(blocks.c.user_id == user_id)).rowcount)

    # --- what an administrator does (Special:Block, Special:Unblock, action=block/unblock) ----

    def _check_performer(self, performer: Actor, target_id: int | None) -> None:
        """BlockPermissionChecker::checkBlockPermissions: a sitewide-blocked administrator may
        not block or unblock others, except the one who blocked them, and may change their own
        block only with ``unblockself``. ``target_id`` None: no such user."""
        own = self.get_block(performer.id) if performer.is_registered else None
        if own is None or not own.sitewide:
            return
        if target_id == performer.id:
            if not performer.has_right("unblockself"):
                raise BlockError(NO_UNBLOCK_SELF, code="ipbnounblockself")
            return
        if target_id is not None and target_id == own.by_user_id:
            return
        raise BlockError(PERFORMER_BLOCKED, code="ipbblocked")

    def place_block(self, performer: Actor, request: BlockRequest) -> BlockOutcome:
        """Block a user as ``performer`` (who holds ``block``): BlockUser::placeBlock's checks in
        its order, then the block row and its ``block``/``reblock`` log entry in one transaction."""
        name = request.target.strip()
        target = self.get_by_name(name) if name else None
        self._check_performer(performer, target.id if target is not None else None)
        if target is None:
            raise BlockError(NO_SUCH_USER.format(name=name), code="nosuchuser")
        raw_expiry = request.expiry.strip()
        if not raw_expiry or len(raw_expiry) > MAX_EXPIRY_LENGTH:
            raise BlockError(EXPIRY_INVALID, code="invalidexpiry")
        try:
            expiry = parse_expiry(raw_expiry, self.clock.now())
        except ValueError:
            raise BlockError(EXPIRY_INVALID, code="invalidexpiry") from None
        if expiry is not None and expiry <= self.clock.now():
            raise BlockError(EXPIRY_OLD, code="ipb_expiry_old")
        if request.block_email and not performer.has_right("blockemail"):
            raise BlockError(CANT_BLOCK_EMAIL, code="cantblock-email")
        if target.id == performer.id and not (request.confirmed or request.self_without_confirm):
            raise BlockError(BLOCKING_SELF, code="ipb-blockingself", needs_confirm=True)
        params: dict[str, Any] = {
            "duration": "infinity" if expiry is None else raw_expiry,
            "flags": block_log_flags(request),
            "sitewide": True,
        }
        if expiry is not None:
            params["expiry"] = iso8601(expiry)
        settings = {
            "reason": request.reason,
            "expiry": expiry,
            "sitewide": True,
            "block_email": request.block_email,
            "create_account": request.create_account,
            "allow_usertalk": not request.disable_usertalk,
            "autoblock": request.autoblock,
        }
        already = ALREADY_BLOCKED.format(name=target.name)
        with self.db.write() as conn:
            existing = self._block_in_force(conn, target.id)
            if existing is not None and not request.confirmed:
                raise BlockError(already, code="alreadyblocked", needs_confirm=True)
            if existing is not None and _same_settings(existing, settings):
                raise BlockError(already, code="alreadyblocked")
            block = self._write_block(
                conn, target.id, by_user_id=performer.id or None, by_name=performer.name, **settings
            )
            action = "reblock" if existing is not None else "block"
            log_id = LogService(self.clock).log(
                conn,
                type="block",
                action=action,
                actor=performer,
                title=user_title(target.name),
                comment=request.reason,
                params=params,
                tags=request.tags,
            )
        return BlockOutcome(block, target.name, action, log_id)

    def lift_block(self, performer: Actor, target_name: str, reason: str = "") -> tuple[str, int]:
        """Unblock a user as ``performer`` (Special:Unblock): see :meth:`remove_block`. Returns
        the user's canonical name and the log id."""
        outcome = self.remove_block(performer, target_name=target_name, reason=reason)
        return outcome.user_name, outcome.log_id

    def remove_block(
        self,
        performer: Actor,
        *,
        target_name: str | None = None,
        block_id: int | None = None,
        reason: str = "",
        tags: Sequence[str] = (),
    ) -> UnblockOutcome:
        """Lift the block on ``target_name`` or the block ``block_id`` (UnblockUser): the row
        goes and an ``unblock`` log entry is written, together."""
        if block_id is not None:
            with self.db.read() as conn:
                row = conn.execute(select(blocks.c.user_id).where(blocks.c.id == block_id)).first()
            target = self.get_by_id(row.user_id) if row is not None else None
            self._check_performer(performer, target.id if target is not None else None)
            if target is None:
                raise BlockError(CANT_UNBLOCK, code="cantunblock")
        else:
            name = (target_name or "").strip()
            target = self.get_by_name(name) if name else None
            self._check_performer(performer, target.id if target is not None else None)
            if target is None:
                raise BlockError(NO_SUCH_USER.format(name=name), code="nosuchuser")
        with self.db.write() as conn:
            block = self._block_in_force(conn, target.id)
            if block is None or (block_id is not None and block.id != block_id):
                raise BlockError(CANT_UNBLOCK, code="cantunblock")
            conn.execute(delete(blocks).where(blocks.c.id == block.id))
            log_id = LogService(self.clock).log(
                conn,
                type="block",
                action="unblock",
                actor=performer,
                title=user_title(target.name),
                comment=reason,
                params={},
                tags=tags,
            )
        return UnblockOutcome(block, target.name, target.id, log_id)


def _same_settings(block: Block, settings: dict[str, Any]) -> bool:
    """DatabaseBlock::equals for two blocks of one user: a reblock that changes nothing is
    refused as ``alreadyblocked``."""
    return all(getattr(block, key) == value for key, value in settings.items())


def blocks_in_force(now: float) -> Select[Any]:
    """Every block not yet expired with its target's name (list=blocks), unordered."""
    return (
        select(blocks, users.c.name.label("user_name"))
        .join(users, users.c.id == blocks.c.user_id)
        .where(or_(blocks.c.expiry.is_(None), blocks.c.expiry > int(now)))
    )
