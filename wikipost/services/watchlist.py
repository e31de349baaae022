"""The watchlist: which pages a user watches, and what ``watchlist=`` on an edit, a protection or
a deletion does to it (ApiWatchlistTrait and WatchlistManager in 1.39).

A row names the *subject* page (``watchlist`` table): watching a page watches its talk page too,
as MediaWiki's two rows do, so a row stands for both and ``list=watchlistraw`` lists both.
No notification timestamps are kept (see :func:`raw_items`): the store has no column for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, insert, literal, or_, select, union_all

from wikipost.actor import Actor
from wikipost.db.schema.accounts import user_options
from wikipost.db.schema.pages import pages, revisions, watchlist
from wikipost.services.titles import Title

WATCHLIST_MODES = ("watch", "unwatch", "preferences", "nochange")
# 1.39's $wgDefaultUserOptions for the watch preferences that ``preferences`` reads.
WATCH_OPTION_DEFAULTS = {
    "watchcreations": "1",
    "watchdefault": "1",
    "watchdeletion": "0",
    "watchmoves": "0",
    "watchuploads": "1",
    "watchrollback": "0",
}


def is_watchable(title: Title) -> bool:
    """WatchlistManager::isWatchable: a page that can exist on this wiki."""
    return title.can_exist and bool(title.dbkey)


def is_watched(conn: Connection, user_id: int, title: Title) -> bool:
    subject = title.subject_page()
    return (
        conn.execute(
            select(watchlist.c.user_id).where(
                watchlist.c.user_id == user_id,
                watchlist.c.namespace == subject.namespace,
                watchlist.c.dbkey == subject.dbkey,
            )
        ).first()
        is not None
    )


def add(conn: Connection, user_id: int, title: Title) -> None:
    """Watch ``title`` (and its talk page); nothing happens when it is watched already."""
    if not is_watched(conn, user_id, title):
        subject = title.subject_page()
        conn.execute(
            insert(watchlist).values(user_id=user_id, namespace=subject.namespace, dbkey=subject.dbkey)
        )


def remove(conn: Connection, user_id: int, title: Title) -> None:
    subject = title.subject_page()
    conn.execute(
        delete(watchlist).where(
            watchlist.c.user_id == user_id,
            watchlist.c.namespace == subject.namespace,
            watchlist.c.dbkey == subject.dbkey,
        )
    )


def _bool_option(conn: Connection, user_id: int, name: str) -> bool:
    value = conn.execute(
        select(user_options.c.value).where(user_options.c.user_id == user_id, user_options.c.name == name)
    ).scalar()
    if value is None:
        value = WATCH_OPTION_DEFAULTS.get(name, "0")
    return str(value) not in ("", "0")


def _created_by_this_edit(conn: Connection, actor: Actor, title: Title) -> bool:
    """After ``actor``'s edit: whether it created the page (the latest revision is the actor's
    and has no parent). Before the page exists, the edit is about to create it."""
    row = conn.execute(
        select(revisions.c.parent_id, revisions.c.user_id)
        .join(pages, pages.c.latest_rev_id == revisions.c.id)
        .where(pages.c.namespace == title.namespace, pages.c.dbkey == title.dbkey)
    ).first()
    return row is None or (row.parent_id == 0 and row.user_id == actor.id)


def watch_value(
    conn: Connection, actor: Actor, title: Title, mode: str, *, user_option: str | None = None
) -> bool:
    """Whether the page should be watched after the action (getWatchlistValue).

    ``preferences`` keeps a watched page watched; a bot changes nothing (no huge watchlists for
    bot accounts); otherwise the preference ``user_option`` decides (``watchdefault`` for a
    protection, ``watchdeletion`` for a deletion), or for an edit ``watchdefault``, or
    ``watchcreations`` when the edit created the page.
    """
    watched = actor.is_registered and is_watched(conn, actor.id, title)
    if mode == "watch":
        return True
    if mode == "unwatch":
        return False
    if mode != "preferences" or watched:
        return watched
    if "bot" in actor.groups:
        return watched
    if actor.is_anon:  # an anonymous user has the default preferences
        name = user_option or "watchdefault"
        return WATCH_OPTION_DEFAULTS.get(name, "0") == "1"
    if user_option is not None:
        return _bool_option(conn, actor.id, user_option)
    if _bool_option(conn, actor.id, "watchdefault"):
        return True
    return _bool_option(conn, actor.id, "watchcreations") and _created_by_this_edit(conn, actor, title)


def set_watch(conn: Connection, actor: Actor, title: Title, value: bool) -> None:
    """WatchlistManager::setWatch: change the stored state when it differs. Anonymous users have
    no watchlist, and a session without ``editmywatchlist`` (a bot password without that grant)
    cannot change it; the action goes on either way."""
    if actor.is_anon or not actor.has_right("editmywatchlist") or not is_watchable(title):
        return
    if value:
        add(conn, actor.id, title)
    elif is_watched(conn, actor.id, title):
        remove(conn, actor.id, title)


def apply_watch(
    conn: Connection,
    actor: Actor,
    title: Title,
    mode: str,
    watch: bool = False,
    unwatch: bool = False,
    *,
    user_option: str | None = None,
) -> bool:
    """``watchlist=`` (and the deprecated ``watch``/``unwatch`` booleans) of an action on
    ``title``: applied, and whether the page is watched afterwards, as the action reports it.

    Edits pass no ``user_option``; ``action=protect`` passes ``"watchdefault"`` and
    ``action=delete`` ``"watchdeletion"``, as ApiProtect and ApiDelete do.
    """
    if watch:
        mode = "watch"
    elif unwatch:
        mode = "unwatch"
    value = watch_value(conn, actor, title, mode, user_option=user_option)
    set_watch(conn, actor, title, value)
    return value


# --- reading a user's watchlist ------------------------------------------------------------------


@dataclass(frozen=True)
class RawItem:
    """One page of a watchlist as list=watchlistraw lists it (subject and talk pages apart)."""

    namespace: int
    dbkey: str


def raw_items(
    conn: Connection,
    user_id: int,
    *,
    namespaces: Iterable[int] | None = None,
    start: tuple[int, str] | None = None,
    from_title: tuple[int, str] | None = None,
    to_title: tuple[int, str] | None = None,
    descending: bool = False,
    limit: int | None = None,
) -> list[RawItem]:
    """The user's watched pages, subject and talk page each, ordered by (namespace, dbkey).

    ``start`` is a continuation point (included), ``from_title``/``to_title`` bound the range
    (included), whatever the direction. Notification timestamps are not kept, so every item is
    "not changed" (``wrshow=changed`` finds nothing).
    """
    subject = select(watchlist.c.namespace.label("ns"), watchlist.c.dbkey.label("dbkey")).where(
        watchlist.c.user_id == user_id
    )
    talk = select((watchlist.c.namespace + literal(1)).label("ns"), watchlist.c.dbkey.label("dbkey")).where(
        watchlist.c.user_id == user_id, watchlist.c.namespace >= 0
    )
    both = union_all(subject, talk).subquery("watched")
    q: Select[Any] = select(both.c.ns, both.c.dbkey)
    if namespaces is not None:
        q = q.where(both.c.ns.in_(list(namespaces)))

    def at_or_after(point: tuple[int, str]) -> Any:
        return or_(both.c.ns > point[0], and_(both.c.ns == point[0], both.c.dbkey >= point[1]))

    def at_or_before(point: tuple[int, str]) -> Any:
        return or_(both.c.ns < point[0], and_(both.c.ns == point[0], both.c.dbkey <= point[1]))

    if from_title is not None:
        q = q.where(at_or_before(from_title) if descending else at_or_after(from_title))
    if to_title is not None:
        q = q.where(at_or_after(to_title) if descending else at_or_before(to_title))
    if start is not None:
        q = q.where(at_or_before(start) if descending else at_or_after(start))
    order = [both.c.ns.desc(), both.c.dbkey.desc()] if descending else [both.c.ns, both.c.dbkey]
    q = q.order_by(*order)
    if limit is not None:
        q = q.limit(limit)
    return [RawItem(int(r.ns), str(r.dbkey)) for r in conn.execute(q)]


def watched_join_condition(namespace: Any, dbkey: Any) -> Any:
    """A condition on a table's (namespace, dbkey) columns matching the rows of ``watchlist``
    that watch it: its subject row, whether the page is the subject or the talk page."""
    return and_(
        watchlist.c.dbkey == dbkey,
        or_(watchlist.c.namespace == namespace, watchlist.c.namespace + 1 == namespace),
    )
