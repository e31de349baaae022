"""The watchlist, as far as action=edit's ``watched`` result needs it (pages.md §2.5)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from wikipost.actor import Actor
from wikipost.db.schema.pages import watchlist
from wikipost.services.titles import Title


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


def apply_watch(
    conn: Connection, actor: Actor, title: Title, mode: str, watch: bool = False, unwatch: bool = False
) -> bool:
    """Apply ``watchlist=`` after an edit; returns whether the page is watched afterwards.

    Default preferences (watchdefault, watchcreations) watch every edit of a non-bot user;
    members of ``bot`` get ``nochange``. Anonymous users report watched without a list.
    """
    if watch:
        mode = "watch"
    elif unwatch:
        mode = "unwatch"
    if mode == "preferences":
        mode = "nochange" if "bot" in actor.groups else "watch"
    if actor.is_anon:
        return mode != "unwatch"
    subject = title.subject_page()
    watched = is_watched(conn, actor.id, title)
    if mode == "watch" and not watched:
        conn.execute(
            insert(watchlist).values(user_id=actor.id, namespace=subject.namespace, dbkey=subject.dbkey)
        )
        return True
    if mode == "unwatch":
        if watched:
            conn.execute(
                delete(watchlist).where(
                    watchlist.c.user_id == actor.id,
                    watchlist.c.namespace == subject.namespace,
                    watchlist.c.dbkey == subject.dbkey,
                )
            )
        return False
    return watched or mode == "watch"
