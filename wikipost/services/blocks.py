"""Blocks: one per user, sitewide or not, with an expiry and the email flag.

``block``/``unblock`` are the bare store operations (the CLI and test fixtures use them);
``place_block``/``lift_block`` are what an administrator does through Special:Block and
Special:Unblock: 1.39's checks and messages, the row and its ``block`` log entry written in one
transaction so a block never exists without its log line (or the other way round).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select

from wikipost.actor import Actor
from wikipost.clock import Clock, iso8601
from wikipost.db import Database
from wikipost.db.schema.accounts import blocks
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


class BlockError(ValueError):
    """A block or unblock refused; ``text`` is 1.39's message. ``needs_confirm``: the form
    should offer the confirmation checkbox (reblock, blocking oneself)."""

    def __init__(self, text: str, *, needs_confirm: bool = False) -> None:
        super().__init__(text)
        self.text = text
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


@dataclass(frozen=True)
class BlockOutcome:
    block: Block
    user_name: str
    action: str  # "block" or "reblock"
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
    )


class BlocksMixin:
    """Part of UserService: the block in force, placing and lifting blocks."""

    db: Database
    clock: Clock

    def get_by_name(self, name: str) -> UserRecord | None:  # provided by UserService
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
            )

    def unblock(self, user_id: int) -> bool:
        with self.db.write() as conn:
            return bool(conn.execute(delete(blocks).where(blocks.c.user_id == user_id)).rowcount)

    # --- what an administrator does (Special:Block, Special:Unblock) --------------------------

    def _check_performer(self, performer: Actor, target_id: int, *, unblocking: bool) -> None:
        """SpecialBlock::checkUnblockSelf: a blocked administrator may not (un)block others,
        and may lift their own block only with ``unblockself``."""
        own = self.get_block(performer.id) if performer.is_registered else None
        if own is None or not own.sitewide:
            return
        if target_id == performer.id and unblocking:
            if not performer.has_right("unblockself"):
                raise BlockError(NO_UNBLOCK_SELF)
            return
        raise BlockError(PERFORMER_BLOCKED)

    def place_block(self, performer: Actor, request: BlockRequest) -> BlockOutcome:
        """Block a user as ``performer`` (who holds ``block``): the checks, then the block row
        and its ``block``/``reblock`` log entry in one transaction."""
        target = self.get_by_name(request.target) if request.target.strip() else None
        if target is None:
            raise BlockError(NO_SUCH_USER.format(name=request.target.strip()))
        self._check_performer(performer, target.id, unblocking=False)
        raw_expiry = request.expiry.strip()
        if not raw_expiry or len(raw_expiry) > MAX_EXPIRY_LENGTH:
            raise BlockError(EXPIRY_INVALID)
        try:
            expiry = parse_expiry(raw_expiry, self.clock.now())
        except ValueError:
            raise BlockError(EXPIRY_INVALID) from None
        if expiry is not None and expiry <= self.clock.now():
            raise BlockError(EXPIRY_OLD)
        if request.block_email and not performer.has_right("blockemail"):
            raise BlockError(CANT_BLOCK_EMAIL)
        if target.id == performer.id and not request.confirmed:
            raise BlockError(BLOCKING_SELF, needs_confirm=True)
        params: dict[str, Any] = {
            "duration": "infinity" if expiry is None else raw_expiry,
            "flags": block_log_flags(request),
            "sitewide": True,
        }
        if expiry is not None:
            params["expiry"] = iso8601(expiry)
        with self.db.write() as conn:
            existing = self._block_in_force(conn, target.id)
            if existing is not None and not request.confirmed:
                raise BlockError(ALREADY_BLOCKED.format(name=target.name), needs_confirm=True)
            block = self._write_block(
                conn,
                target.id,
                by_user_id=performer.id or None,
                by_name=performer.name,
                reason=request.reason,
                expiry=expiry,
                sitewide=True,
                block_email=request.block_email,
                create_account=request.create_account,
                allow_usertalk=not request.disable_usertalk,
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
            )
        return BlockOutcome(block, target.name, action, log_id)

    def lift_block(self, performer: Actor, target_name: str, reason: str = "") -> tuple[str, int]:
        """Unblock a user as ``performer``: the row goes and an ``unblock`` log entry is written,
        together. Returns the user's canonical name and the log id."""
        target = self.get_by_name(target_name) if target_name.strip() else None
        if target is None:
            raise BlockError(NO_SUCH_USER.format(name=target_name.strip()))
        self._check_performer(performer, target.id, unblocking=True)
        with self.db.write() as conn:
            if self._block_in_force(conn, target.id) is None:
                raise BlockError(CANT_UNBLOCK)
            conn.execute(delete(blocks).where(blocks.c.user_id == target.id))
            log_id = LogService(self.clock).log(
                conn,
                type="block",
                action="unblock",
                actor=performer,
                title=user_title(target.name),
                comment=reason,
                params={},
            )
        return target.name, log_id
