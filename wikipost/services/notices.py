"""New-message notices ("You have new messages", 1.39's ``user_newtalk``).

An edit by someone else to a user's talk page sets the owner's notice; ``meta=userinfo&
uiprop=hasmsg`` reports it as ``messages``; the owner reading their talk page or calling
``action=clearhasmsg`` clears it. As in 1.39 (DerivedPageDataUpdater): only the talk page
itself counts (``User talk:Bob/Archive`` is not a user name), an edit to one's own talk page
does not, a null edit does not, and a minor edit by someone with ``nominornewtalk`` (bots) does
not. The flag is the ``newtalk`` column of ``users``; only registered users have one.

Everything runs inside the caller's transaction: an edit sets the notice in the transaction
that saves it, and a batch of mass-message deliveries sets all its recipients' notices with one
statement (:func:`set_for_recipients`).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, bindparam, select, update

from wikipost.actor import Actor
from wikipost.db import Database
from wikipost.db.schema.accounts import users
from wikipost.namespaces import USER_TALK
from wikipost.services.titles import Title

# Built once: deliveries run this for every batch.
_SET_FOR_NAMES = (
    update(users)
    .where(users.c.name.in_(bindparam("names", expanding=True)), users.c.newtalk.is_(False))
    .values(newtalk=True)
)
_CLEAR = update(users).where(users.c.id == bindparam("b_id"), users.c.newtalk.is_(True)).values(newtalk=False)
_HAS = select(users.c.newtalk).where(users.c.id == bindparam("b_id"))


def recipient(title: Title, editor: Actor, *, minor: bool) -> str | None:
    """Whose notice an edit of ``title`` by ``editor`` sets: the talk page owner's name, or None."""
    if title.namespace != USER_TALK or title.interwiki or "/" in title.dbkey:
        return None
    owner = title.text
    if owner == editor.name:
        return None
    if minor and editor.has_right("nominornewtalk"):
        return None
    return owner


def set_for_edit(conn: Connection, title: Title, editor: Actor, *, minor: bool) -> None:
    """After a saved (not null) edit of ``title``: set its owner's notice if the edit counts."""
    owner = recipient(title, editor, minor=minor)
    if owner is not None:
        conn.execute(_SET_FOR_NAMES, {"names": [owner]})


def set_for_recipients(conn: Connection, names: Collection[str]) -> None:
    """Set the notices of many users at once (names from :func:`recipient`); unknown names and
    users whose notice is already set are left alone."""
    if names:
        conn.execute(_SET_FOR_NAMES, {"names": sorted(set(names))})


def has_new_messages(conn: Connection, user_id: int) -> bool:
    return bool(user_id) and bool(conn.execute(_HAS, {"b_id": user_id}).scalar())


def clear(conn: Connection, user_id: int) -> None:
    """``action=clearhasmsg``: the user's notice goes (a no-op when it is not set)."""
    if user_id:
        conn.execute(_CLEAR, {"b_id": user_id})


def is_own_talk_page(actor: Actor, title: Title) -> bool:
    return actor.is_registered and title.namespace == USER_TALK and title.text == actor.name


def clear_for_page_view(db: Database, actor: Actor, title: Title, *, current: bool = True) -> bool:
    """Reading one's own talk page (its current revision) clears the notice, as the page view
    does in 1.39. Only writes when there is a notice to clear; whether one was cleared."""
    if not current or not is_own_talk_page(actor, title):
        return False
    with db.read() as conn:
        if not has_new_messages(conn, actor.id):
            return False
    with db.write() as conn:
        clear(conn, actor.id)
    return True
