"""The ``blockinfo`` fields of a block (ApiBlockInfoTrait::getBlockDetails, MediaWiki 1.39).

Used by meta=userinfo, list=users and the ``blocked`` errors of other modules. Booleans are
plain result booleans (absent in formatversion 1 when false). No field says whether email is
blocked, as in 1.39.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from wikipost.clock import iso8601
from wikipost.services.login import format_duration
from wikipost.services.users import Block


def formatted_time(ts: float | int) -> str:
    """The user-facing date form of the default English preferences: ``19:40, 24 November 2026``."""
    when = datetime.fromtimestamp(int(ts), UTC)
    return f"{when:%H:%M}, {when.day} {when:%B %Y}"


def relative_time(ts: float | int, now: float) -> str:
    """Language::getRelativeTimestamp: ``in 2 days`` or ``3 hours ago``."""
    diff = int(ts) - int(now)
    text = format_duration(abs(diff))
    return f"in {text}" if diff >= 0 else f"{text} ago"


def block_details(block: Block, now: float) -> dict[str, Any]:
    vals: dict[str, Any] = {
        "blockid": block.id,
        "blockedby": block.by_name,
        "blockedbyid": block.by_user_id or 0,
        "blockreason": block.reason,
        "blockedtimestamp": iso8601(block.timestamp),
        "blockexpiry": "infinite" if block.expiry is None else iso8601(block.expiry),
        "blockpartial": not block.sitewide,
        "blocknocreate": block.create_account,
        "blockanononly": False,
        "blockedtimestampformatted": formatted_time(block.timestamp),
    }
    if block.expiry is not None:
        vals["blockexpiryformatted"] = formatted_time(block.expiry)
        vals["blockexpiryrelative"] = relative_time(block.expiry, now)
    return vals
