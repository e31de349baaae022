"""Group changes (UserGroupManager and UserrightsPage::doSaveUserGroups, MediaWiki 1.39).

Who may change which group: the ``userrights`` right allows every group; otherwise the
performer's effective groups each contribute what ``[users] add_groups``/``remove_groups``
(and ``groups_add_to_self``/``groups_remove_from_self`` for their own account) give them — all
empty by default, as ``$wgAddGroups``/``$wgRemoveGroups`` are in 1.39. Requests for groups the
performer may not change are dropped silently, as 1.39 does; the memberships and the ``rights``
log entry are written in one transaction, the entry only when something changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from wikipost.actor import Actor
from wikipost.clock import Clock, iso8601
from wikipost.db import Database
from wikipost.services.blocks import parse_expiry, user_title
from wikipost.services.logs import LogService
from wikipost.services.users import UserRecord, UserService
from wikipost.settings import Settings

IMPLICIT_GROUPS = ("*", "user", "autoconfirmed")
INFINITE = ("infinite", "indefinite", "infinity", "never")
CHANGE_KINDS = ("add", "remove", "add-self", "remove-self")


def all_groups(permissions: dict[str, list[str]]) -> list[str]:
    """UserGroupManager::listAllGroups: the groups a user can be put in, in declaration order."""
    return [g for g in permissions if g not in IMPLICIT_GROUPS]


def group_expiry(text: str, now: float) -> int | None:
    """UserrightsPage::expiryToTimestamp: None for an infinite membership; ValueError when the
    text is not a time."""
    if text.strip().lower() in INFINITE:
        return None
    return parse_expiry(text, now)


def format_expiry(expiry: int | None) -> str:
    """ApiResult::formatExpiry with its default: ``infinity`` or an ISO 8601 time."""
    return "infinity" if expiry is None else iso8601(expiry)


@dataclass(frozen=True)
class GroupChange:
    """What a change did: the groups added (or whose expiry changed) and removed, in the
    order asked for, and the ``rights`` log entry (None when nothing changed)."""

    added: list[str]
    removed: list[str]
    log_id: int | None


class UserRightsService:
    def __init__(self, db: Database, settings: Settings, clock: Clock, users: UserService) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.users = users

    def all_groups(self) -> list[str]:
        return all_groups(self.settings.permissions)

    def changeable_groups(self, actor: Actor) -> dict[str, list[str]]:
        """UserGroupManager::getGroupsChangeableBy: ``add``, ``remove``, ``add-self``,
        ``remove-self``."""
        everything = self.all_groups()
        if actor.has_right("userrights"):
            return {"add": everything, "remove": everything, "add-self": [], "remove-self": []}
        config = self.settings.users
        tables = {
            "add": config.add_groups,
            "remove": config.remove_groups,
            "add-self": config.groups_add_to_self,
            "remove-self": config.groups_remove_from_self,
        }
        out: dict[str, list[str]] = {kind: [] for kind in CHANGE_KINDS}
        if actor.is_anon:
            return out
        for group in self.users.effective_groups(actor):
            for kind in CHANGE_KINDS:
                for changeable in tables[kind].get(group, []):
                    if changeable in everything and changeable not in out[kind]:
                        out[kind].append(changeable)
        return out

    def change_groups(
        self,
        performer: Actor,
        target: UserRecord,
        add: Sequence[str],
        remove: Sequence[str],
        expiries: dict[str, int | None],
        reason: str = "",
        tags: Sequence[str] = (),
    ) -> GroupChange:
        """doSaveUserGroups: remove, then add (or renew) what ``performer`` may change; an
        ``add`` group already held is changed only when ``expiries`` names it."""
        changeable = self.changeable_groups(performer)
        is_self = performer.id == target.id
        addable = changeable["add"] + (changeable["add-self"] if is_self else [])
        removable = changeable["remove"] + (changeable["remove-self"] if is_self else [])
        with self.db.write() as conn:
            old = dict(self.users.group_memberships(target.id, conn))
            removing = [g for g in dict.fromkeys(remove) if g in removable and g in old]
            # UserGroupManager::addUserToGroup reports (and writes) only real changes.
            adding = [
                g
                for g in dict.fromkeys(add)
                if g in addable
                and self._worth_adding(g, old, expiries, removable)
                and (g not in old or old[g] != expiries.get(g))
            ]
            for group in removing:
                self.users.delete_group_membership(conn, target.id, group)
            for group in adding:
                self.users.write_group_membership(conn, target.id, group, expiries.get(group))
            log_id = None
            if removing or adding:
                # 1.39's order: the old groups less the removed ones, then the new ones.
                kept = {g: e for g, e in old.items() if g not in removing}
                new = {**kept, **{g: expiries.get(g) for g in adding}}
                log_id = self._log(conn, performer, target, old, new, reason, tags)
        return GroupChange(adding, removing, log_id)

    @staticmethod
    def _worth_adding(
        group: str, old: dict[str, int | None], expiries: dict[str, int | None], removable: list[str]
    ) -> bool:
        """A new group, or a new expiry for a held one; one the performer could not remove may
        not have its expiry brought forward (T156784)."""
        if group in expiries and group not in removable and group in old:
            current, wanted = old[group], expiries[group]
            if wanted is not None and (current is None or current > wanted):
                return False
        return group not in old or group in expiries

    def _log(
        self,
        conn: Connection,
        performer: Actor,
        target: UserRecord,
        old: dict[str, int | None],
        new: dict[str, int | None],
        reason: str,
        tags: Sequence[str],
    ) -> int:
        """The ``rights/rights`` entry, its params as list=logevents shows them (RightsLogFormatter):
        old and new groups with each membership's expiry."""
        params = {
            "oldgroups": list(old),
            "newgroups": list(new),
            "oldmetadata": [{"group": g, "expiry": format_expiry(e)} for g, e in old.items()],
            "newmetadata": [{"group": g, "expiry": format_expiry(e)} for g, e in new.items()],
        }
        return LogService(self.clock).log(
            conn,
            type="rights",
            action="rights",
            actor=performer,
            title=user_title(target.name),
            comment=reason,
            params=params,
            tags=tags,
        )
