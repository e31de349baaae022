"""The log: writing entries (with their recent-changes rows) and reading them back.

Reading is shared by ``list=logevents`` and Special:Log: both filter with :func:`log_query`
(the same conditions, the same join to the current page), so the page and the API list the
same entries; each then pages through them its own way (``lecontinue`` / ``offset``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, insert, or_, select

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db.schema.pages import change_tags, logging, pages, recentchanges
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


@dataclass(frozen=True)
class LogFilter:
    """Which entries: every condition given must hold (list=logevents' filters)."""

    type: str | None = None
    action: str | None = None  # "type/action", or "type/*" for every action of a type
    user: str | None = None  # the performer's name
    title: Title | None = None  # the entry's target page
    namespace: int | None = None
    tag: str | None = None


def log_query(f: LogFilter) -> Select[Any]:
    """The entries ``f`` selects with ``current_page`` (the target page's id now, or NULL),
    unordered: the caller orders and pages."""
    q = select(logging, pages.c.id.label("current_page")).outerjoin(
        pages, and_(pages.c.namespace == logging.c.namespace, pages.c.dbkey == logging.c.dbkey)
    )
    if f.type:
        q = q.where(logging.c.type == f.type)
    if f.action:
        kind, _, action = f.action.partition("/")
        q = q.where(logging.c.type == kind)
        if action and action != "*":
            q = q.where(logging.c.action == action)
    if f.user:
        q = q.where(logging.c.user_name == f.user)
    if f.title is not None:
        q = q.where(logging.c.namespace == f.title.namespace, logging.c.dbkey == f.title.dbkey)
    if f.namespace is not None:
        q = q.where(logging.c.namespace == f.namespace)
    if f.tag:
        q = q.where(logging.c.id.in_(select(change_tags.c.log_id).where(change_tags.c.tag == f.tag)))
    return q


def decode_params(raw: str | None) -> dict[str, Any]:
    """An entry's params (a JSON object); {} when they are not one."""
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class LogPage:
    """One page of entries, newest first, and whether there are more either side of it."""

    rows: list[Row[Any]]
    has_older: bool
    has_newer: bool


class LogService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def read_page(
        self,
        conn: Connection,
        f: LogFilter,
        *,
        limit: int,
        offset: tuple[int, int] | None = None,
        newer: bool = False,
    ) -> LogPage:
        """Up to ``limit`` entries, newest first: the newest ones; with ``offset`` (timestamp,
        id) those strictly older than it, or with ``newer`` those strictly newer (MediaWiki's
        IndexPager offset and ``dir=prev``)."""
        ts, row_id = logging.c.timestamp, logging.c.id
        q = log_query(f)
        if offset is not None:
            at, from_id = offset
            if newer:
                q = q.where(or_(ts > at, and_(ts == at, row_id > from_id)))
            else:
                q = q.where(or_(ts < at, and_(ts == at, row_id < from_id)))
        order = [ts.asc(), row_id.asc()] if newer and offset is not None else [ts.desc(), row_id.desc()]
        rows = list(conn.execute(q.order_by(*order).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        if newer and offset is not None:
            rows.reverse()
            return LogPage(rows, has_older=True, has_newer=more)
        return LogPage(rows, has_older=more, has_newer=offset is not None)

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
