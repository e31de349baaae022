"""The log (list=logevents) and the log rows of recent changes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db.schema.pages import change_tags, logging, recentchanges
from wikipost.services.titles import Title

LOG_TYPES = (
    "block",
    "contentmodel",
    "create",
    "delete",
    "import",
    "managetags",
    "massmessage",
    "merge",
    "move",
    "newusers",
    "patrol",
    "protect",
    "rights",
    "suppress",
    "tag",
    "upload",
)


class LogService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def log(
        self,
        conn: Connection,
        *,
        type: str,
        action: str,
        actor: Actor,
        title: Title,
        comment: str,
        params: dict[str, Any],
        tags: Sequence[str] = (),
        page_id: int = 0,
        bot: bool | None = None,
    ) -> int:
        """Write a log entry and its recent-changes row; returns the log id."""
        now = int(self.clock.now())
        tag_text = "|".join(dict.fromkeys(tags))
        params_text = json.dumps(params, ensure_ascii=False)
        log_id = conn.execute(
            insert(logging).values(
                type=type,
                action=action,
                timestamp=now,
                user_id=actor.id,
                user_name=actor.name,
                namespace=title.namespace,
                dbkey=title.dbkey,
                page_id=page_id,
                comment=comment,
                params=params_text,
                tags=tag_text,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        rc_id = conn.execute(
            insert(recentchanges).values(
                timestamp=now,
                type="log",
                user_id=actor.id,
                user_name=actor.name,
                namespace=title.namespace,
                dbkey=title.dbkey,
                page_id=page_id,
                comment=comment,
                bot=actor.has_right("bot") if bot is None else bot,
                patrolled=2 if actor.has_right("autopatrol") else 0,
                log_id=log_id,
                log_type=type,
                log_action=action,
                log_params=params_text,
                tags=tag_text,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        for tag in dict.fromkeys(tags):
            conn.execute(insert(change_tags).values(tag=tag, log_id=log_id, rc_id=rc_id))
        return int(log_id)

    def last_deletion(self, conn: Connection, title: Title, since: float) -> bool:
        row = conn.execute(
            select(logging.c.id)
            .where(
                logging.c.namespace == title.namespace,
                logging.c.dbkey == title.dbkey,
                logging.c.type == "delete",
                logging.c.action == "delete",
                logging.c.timestamp >= int(since),
            )
            .limit(1)
        ).first()
        return row is not None
