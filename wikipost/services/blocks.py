"""Blocks: one per user, sitewide or not, with an expiry and the email flag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.accounts import blocks

if TYPE_CHECKING:
    from wikipost.services.users import UserRecord


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


class BlocksMixin:
    """Part of UserService: the block in force, placing and lifting blocks."""

    db: Database
    clock: Clock

    # --- blocks -----------------------------------------------------------------------------

    def get_block(self, user_id: int) -> Block | None:
        """The user's block in force now, or None."""
        with self.db.read() as conn:
            row = conn.execute(select(blocks).where(blocks.c.user_id == user_id)).first()
        if row is None:
            return None
        if row.expiry is not None and row.expiry <= self.clock.now():
            return None
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
        with self.db.write() as conn:
            conn.execute(delete(blocks).where(blocks.c.user_id == user_id))
            conn.execute(
                insert(blocks).values(
                    user_id=user_id,
                    by_user_id=by.id if by else None,
                    by_name=by.name if by else "",
                    reason=reason,
                    timestamp=int(self.clock.now()),
                    expiry=expiry,
                    sitewide=sitewide,
                    block_email=block_email,
                    create_account=create_account,
                    allow_usertalk=allow_usertalk,
                )
            )
        block = self.get_block(user_id)
        assert block is not None
        return block

    def unblock(self, user_id: int) -> bool:
        with self.db.write() as conn:
            return bool(conn.execute(delete(blocks).where(blocks.c.user_id == user_id)).rowcount)
