"""Change tags: the software-defined ones (always known) and those an administrator defines
with action=managetags (pages.md §2.12); listing them with their use counts (list=tags), and
adding or removing them on existing changes (action=tag, ChangeTags::updateTags in 1.39)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from wikipost.actor import Actor
from wikipost.db.schema.pages import change_tag_defs, change_tags, logging, recentchanges, revisions
from wikipost.services.titles import Title

# Tags the software applies itself (1.39 core + MassMessage); never applicable by hand.
SOFTWARE_TAGS = (
    "massmessage-delivery",
    "mw-contentmodelchange",
    "mw-new-redirect",
    "mw-removed-redirect",
    "mw-changed-redirect-target",
    "mw-blank",
    "mw-replace",
    "mw-rollback",
    "mw-undo",
    "mw-manual-revert",
    "mw-reverted",
    "mw-server-side-upload",
)


class ChangeTags:
    def ensure(self, conn: Connection, name: str) -> None:
        """Make sure a software tag is defined (and active)."""
        row = conn.execute(select(change_tag_defs.c.name).where(change_tag_defs.c.name == name)).first()
        if row is None:  # two workers may get here at once: the second one's insert does nothing
            from sqlalchemy.dialects import postgresql, sqlite

            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            values = {"name": name, "active": True, "source": "software"}
            conn.execute(dialect.insert(change_tag_defs).values(**values).on_conflict_do_nothing())

    def defined(self, conn: Connection, name: str) -> bool:
        if name in SOFTWARE_TAGS:
            return True
        return (
            conn.execute(select(change_tag_defs.c.name).where(change_tag_defs.c.name == name)).first()
            is not None
        )

    def applicable(self, conn: Connection) -> set[str]:
        """Tags users may apply with tags= (defined by an administrator and active)."""
        rows = conn.execute(
            select(change_tag_defs.c.name).where(
                change_tag_defs.c.source == "manual", change_tag_defs.c.active.is_(True)
            )
        )
        return {r.name for r in rows} - set(SOFTWARE_TAGS)

    def create(self, conn: Connection, name: str) -> None:
        conn.execute(insert(change_tag_defs).values(name=name, active=True, source="manual"))

    def set_active(self, conn: Connection, name: str, active: bool) -> None:
        conn.execute(update(change_tag_defs).where(change_tag_defs.c.name == name).values(active=active))

    def get(self, conn: Connection, name: str) -> tuple[bool, str] | None:
        """(active, source) of a defined tag, or None."""
        if name in SOFTWARE_TAGS:
            return True, "software"
        row = conn.execute(select(change_tag_defs).where(change_tag_defs.c.name == name)).first()
        return (bool(row.active), row.source) if row else None


# --- listing (list=tags) -----------------------------------------------------------------------

# The English messages of the software tags: ``tag-<name>`` (shown on change lists) and
# ``tag-<name>-description`` (wikitext), as 1.39 core and MassMessage define them.
TAG_MESSAGES: dict[str, tuple[str, str]] = {
    "massmessage-delivery": ("MassMessage delivery", "Message delivered by MassMessage"),
    "mw-contentmodelchange": (
        "content model change",
        "Edits that [https://www.mediawiki.org/wiki/Special:MyLanguage/Help:ChangeContentModel "
        "change the content model] of a page",
    ),
    "mw-new-redirect": ("New redirect", "Edits that create a new redirect or change a page to a redirect"),
    "mw-removed-redirect": ("Removed redirect", "Edits that change an existing redirect to a non-redirect"),
    "mw-changed-redirect-target": ("Redirect target changed", "Edits that change the target of a redirect"),
    "mw-blank": ("Blanking", "Edits that blank a page"),
    "mw-replace": ("Replaced", "Edits that remove more than 90% of the content of a page"),
    "mw-rollback": ("Rollback", "Edits that roll back previous edits using the rollback link"),
    "mw-undo": ("Undo", "Edits that undo previous edits using the undo link"),
    "mw-manual-revert": ("Manual revert", "Edits that manually restore the page to a previous state"),
    "mw-reverted": ("Reverted", "Edits that were later reverted"),
    "mw-server-side-upload": ("Server-side upload", "Uploads made via a server-side maintenance script"),
}


@dataclass(frozen=True)
class TagInfo:
    """One row of list=tags (ApiQueryTags)."""

    name: str
    displayname: str  # HTML: the tag-<name> message, or the escaped name when there is none
    description: str  # the tag-<name>-description message's text, "" when there is none
    hitcount: int
    software: bool  # defined by the software
    manual: bool  # defined by an administrator and active (explicitly defined)

    @property
    def defined(self) -> bool:
        return self.software or self.manual

    @property
    def active(self) -> bool:
        return self.manual or self.software  # every software tag is active in 1.39's defaults


def hitcounts(conn: Connection) -> dict[str, int]:
    """How many changes carry each tag (ChangeTags::tagUsageStatistics)."""
    rows = conn.execute(select(change_tags.c.tag, func.count().label("n")).group_by(change_tags.c.tag)).all()
    return {r.tag: int(r.n) for r in rows}


def list_tags(conn: Connection, applicable: set[str]) -> list[TagInfo]:
    """Every tag list=tags shows, by name: software tags, administrator-defined active ones
    (``applicable``) and any other tag some change carries."""
    counts = hitcounts(conn)
    names = sorted(set(SOFTWARE_TAGS) | applicable | {n for n, c in counts.items() if c > 0})
    out = []
    for name in names:
        display, description = TAG_MESSAGES.get(name, (html.escape(name, quote=False), ""))
        out.append(
            TagInfo(
                name, display, description, counts.get(name, 0), name in SOFTWARE_TAGS, name in applicable
            )
        )
    return out


# --- adding and removing tags on changes (action=tag) --------------------------------------------


@dataclass(frozen=True)
class TagChange:
    """Which change a tag update is about, with its related ids filled in."""

    rc_id: int | None
    rev_id: int | None
    log_id: int | None


@dataclass(frozen=True)
class TagUpdate:
    added: list[str]
    removed: list[str]
    initial: list[str]


def resolve_change(
    conn: Connection, *, rc_id: int | None, rev_id: int | None, log_id: int | None
) -> TagChange:
    """The recent change, revision and log entry that are one change (ChangeTags::updateTags)."""
    if rc_id is None:
        if log_id is not None:
            rc_id = conn.execute(select(recentchanges.c.id).where(recentchanges.c.log_id == log_id)).scalar()
        elif rev_id is not None:
            rc_id = conn.execute(
                select(recentchanges.c.id).where(
                    recentchanges.c.rev_id == rev_id, recentchanges.c.type != "log"
                )
            ).scalar()
    elif log_id is None and rev_id is None:
        row = conn.execute(
            select(recentchanges.c.log_id, recentchanges.c.rev_id).where(recentchanges.c.id == rc_id)
        ).first()
        if row is not None:
            log_id = row.log_id or None
            rev_id = row.rev_id or None
    return TagChange(rc_id, rev_id, log_id)


def _tag_rows(change: TagChange) -> Any:
    conds = []
    if change.rc_id is not None:
        conds.append(change_tags.c.rc_id == change.rc_id)
    if change.rev_id is not None:
        conds.append(change_tags.c.rev_id == change.rev_id)
    if change.log_id is not None:
        conds.append(change_tags.c.log_id == change.log_id)
    return or_(*conds) if conds else change_tags.c.id.is_(None)


def tags_of(conn: Connection, change: TagChange) -> list[str]:
    """The change's tags, in the order they were added."""
    rows = conn.execute(select(change_tags.c.tag).where(_tag_rows(change)).order_by(change_tags.c.id))
    return list(dict.fromkeys(r.tag for r in rows))


def update_tags(conn: Connection, change: TagChange, add: list[str], remove: list[str]) -> TagUpdate:
    """Add and remove tags on one change (all its rows: recent change, revision, log entry);
    the tags really added and removed, and those it had before."""
    before = tags_of(conn, change)
    added = [t for t in dict.fromkeys(add) if t not in before]
    after = before + added
    removed = [t for t in dict.fromkeys(remove) if t in after]
    after = [t for t in after if t not in removed]
    if sorted(before) == sorted(after):
        return TagUpdate([], [], before)
    for tag in added:
        conn.execute(
            insert(change_tags).values(
                tag=tag, rc_id=change.rc_id, rev_id=change.rev_id, log_id=change.log_id
            )
        )
    if removed:
        conn.execute(delete(change_tags).where(_tag_rows(change), change_tags.c.tag.in_(removed)))
    _store_tag_text(conn, change, after)
    return TagUpdate(added, removed, before)


def add_to_log_entry(conn: Connection, log_id: int, tags: list[str]) -> None:
    """``tags=`` of action=tag: tags on the tag/update log entry itself."""
    for tag in dict.fromkeys(tags):
        conn.execute(insert(change_tags).values(tag=tag, log_id=log_id))
    conn.execute(update(logging).where(logging.c.id == log_id).values(tags="|".join(dict.fromkeys(tags))))


def _store_tag_text(conn: Connection, change: TagChange, tags: list[str]) -> None:
    """The ``tags`` columns that prop=revisions, list=recentchanges and list=logevents show."""
    text = "|".join(tags)
    if change.rc_id is not None:
        conn.execute(update(recentchanges).where(recentchanges.c.id == change.rc_id).values(tags=text))
    if change.rev_id is not None:
        conn.execute(update(revisions).where(revisions.c.id == change.rev_id).values(tags=text))
    if change.log_id is not None:
        conn.execute(update(logging).where(logging.c.id == change.log_id).values(tags=text))


def log_tag_update(
    conn: Connection,
    *,
    now: int,
    actor: Actor,
    target: Title,
    page_id: int,
    change: TagChange,
    result: TagUpdate,
    reason: str,
) -> int:
    """The ``tag/update`` log entry. 1.39 publishes it to UDP only, never to recent changes,
    so this writes the log row alone (LogService always adds a recent change)."""
    params = {
        "revid": change.rev_id,
        "logid": change.log_id,
        "tagsAdded": result.added,
        "tagsAddedCount": len(result.added),
        "tagsRemoved": result.removed,
        "tagsRemovedCount": len(result.removed),
        "initialTags": result.initial,
    }
    log_id = conn.execute(
        insert(logging).values(
            type="tag",
            action="update",
            timestamp=now,
            user_id=actor.id,
            user_name=actor.name,
            namespace=target.namespace,
            dbkey=target.dbkey,
            page_id=page_id,
            comment=reason,
            params=json.dumps(params, ensure_ascii=False),
            tags="",
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    return int(log_id)
