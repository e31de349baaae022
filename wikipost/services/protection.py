"""Page protection, deletion, and the permission checks of an edit (pages.md §2.7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from wikipost.actor import Actor
from wikipost.api.errors import ApiMessage
from wikipost.clock import Clock, iso8601
from wikipost.db.schema.pages import (
    categorylinks,
    page_restrictions,
    pages,
    protected_titles,
    redirects,
    revisions,
    site_stats,
)
from wikipost.namespaces import MEDIAWIKI, USER, USER_TALK
from wikipost.services.titles import Title

if TYPE_CHECKING:
    from wikipost.services.pages import PageRecord, PageService
    from wikipost.services.users import UserService

LEVEL_RIGHTS = {"sysop": "editprotected", "autoconfirmed": "editsemiprotected"}
LEVEL_NAMES = {"sysop": "Allow only administrators", "autoconfirmed": "Allow only autoconfirmed users"}
GROUP_PAGES = {
    "user": "Users",
    "sysop": "Administrators",
    "bot": "Bots",
    "bureaucrat": "Bureaucrats",
    "autoconfirmed": "Autoconfirmed users",
    "interface-admin": "Interface administrators",
    "suppress": "Suppressors",
}
PROTECTED_TEXT = "This page has been protected to prevent editing or other actions."
INTERFACE_TEXT = (
    "This page provides interface text for the software on this wiki, and is protected to "
    "prevent abuse. To add or change translations for all wikis, please use "
    "[https://translatewiki.net/ translatewiki.net], the MediaWiki localisation project."
)


@dataclass(frozen=True)
class Restriction:
    type: str
    level: str
    expiry: int | None  # None: infinity


class ProtectionService:
    def __init__(
        self,
        clock: Clock,
        pages: PageService,
        users: UserService,
        permissions: dict[str, list[str]],
        site_name: str,
    ) -> None:
        self.clock = clock
        self.pages = pages
        self.users = users
        self.permissions = permissions
        self.site_name = site_name

    # --- reading ----------------------------------------------------------------------------

    def restrictions(self, conn: Connection, title: Title, page: PageRecord | None) -> list[Restriction]:
        now = self.clock.now()
        if page is not None:
            rows = conn.execute(
                select(page_restrictions)
                .where(page_restrictions.c.page_id == page.id)
                .order_by(page_restrictions.c.type)
            )
            found = [Restriction(r.type, r.level, r.expiry) for r in rows]
        else:
            row = conn.execute(
                select(protected_titles).where(
                    protected_titles.c.namespace == title.namespace, protected_titles.c.dbkey == title.dbkey
                )
            ).first()
            found = [Restriction("create", row.level, row.expiry)] if row else []
        order = {"edit": 0, "move": 1, "create": 2}
        return sorted(
            (r for r in found if r.expiry is None or r.expiry > now), key=lambda r: order.get(r.type, 9)
        )

    # --- the permission checks of an edit ---------------------------------------------------

    def group_list(self, right: str) -> str:
        groups = [g for g, rights in self.permissions.items() if right in rights]
        names = [
            "*" if g == "*" else f"[[{self.site_name}:{GROUP_PAGES.get(g, g)}|{GROUP_PAGES.get(g, g)}]]"
            for g in groups
        ]
        if len(names) == 1:
            return f"The action you have requested is limited to users in the group: {names[0]}."
        return (
            "The action you have requested is limited to users in one of the groups: "
            + ", ".join(names)
            + "."
        )

    def edit_errors(
        self, conn: Connection, actor: Actor, title: Title, page: PageRecord | None
    ) -> list[ApiMessage]:
        """Every reason ``actor`` may not edit (or create) ``title``, in 1.39's order."""
        errors: list[ApiMessage] = []
        if not actor.has_right("edit"):
            errors.append(ApiMessage("permissiondenied", self.group_list("edit")))
        if title.namespace == MEDIAWIKI and not actor.has_right("editinterface"):
            errors.append(ApiMessage("protectednamespace-interface", INTERFACE_TEXT))
        if self._other_users_script(actor, title):
            errors.append(
                ApiMessage(
                    "customjsprotected",
                    "You do not have permission to edit this JavaScript page because it contains "
                    "another user's personal settings.",
                )
            )
        for r in self.restrictions(conn, title, page):
            if r.type not in ("edit", "create"):
                continue
            right = LEVEL_RIGHTS.get(r.level, r.level)
            if not actor.has_right(right):
                errors.append(ApiMessage("protectedpage", PROTECTED_TEXT))
                break
        if page is None:
            needed = "createtalk" if title.is_talk else "createpage"
            if not actor.has_right(needed):
                if actor.is_anon:
                    errors.append(
                        ApiMessage(
                            "cantcreate-anon",
                            f"{self.site_name} has restricted the ability to create new pages. You "
                            "can go back and edit an existing page, or [[Special:UserLogin|log in "
                            "or create an account]].",
                        )
                    )
                else:
                    errors.append(ApiMessage("cantcreate", "You do not have permission to create new pages."))
        block = self.block_error(actor, title)
        if block is not None:
            errors.append(block)
        return errors

    def _other_users_script(self, actor: Actor, title: Title) -> bool:
        if title.namespace != USER or "/" not in title.dbkey:
            return False
        owner = title.dbkey.split("/", 1)[0]
        if owner == actor.name.replace(" ", "_"):
            return False
        if title.dbkey.endswith(".js"):
            return not actor.has_right("edituserjs")
        return False

    def block_error(self, actor: Actor, title: Title) -> ApiMessage | None:
        if actor.is_anon or actor.has_right("ipblock-exempt"):
            return None
        block = self.users.get_block(actor.id)
        if block is None or not block.sitewide:
            return None
        own_talk = title.namespace == USER_TALK and title.dbkey == actor.name.replace(" ", "_")
        if own_talk and block.allow_usertalk:
            return None
        stamp = datetime.fromtimestamp(block.timestamp, UTC)
        info: dict[str, Any] = {
            "blockid": block.id,
            "blockedby": block.by_name,
            "blockedbyid": block.by_user_id or 0,
            "blockreason": block.reason,
            "blockedtimestamp": iso8601(block.timestamp),
            "blockexpiry": "infinite" if block.expiry is None else iso8601(block.expiry),
            "blockpartial": False,
            "blocknocreate": False,
            "blockanononly": False,
            "blockedtimestampformatted": f"{stamp:%H:%M}, {stamp.day} {stamp:%B %Y}",
        }
        if block.create_account:
            info["blocknocreate"] = True
        return ApiMessage("blocked", "You have been blocked from editing.", {"blockinfo": info})

    # --- protect ----------------------------------------------------------------------------

    def protect(
        self,
        conn: Connection,
        *,
        title: Title,
        actor: Actor,
        page: PageRecord | None,
        wanted: list[Restriction],
        reason: str,
        cascade: bool = False,
    ) -> int:
        """Apply protections (level "" or "all" removes one) and log it; returns the log id, or
        0 when nothing changes (WikiPage::doUpdateRestrictions then neither logs nor adds a
        null revision)."""
        now = int(self.clock.now())
        active = [r for r in wanted if r.level not in ("", "all")]
        current = {r.type: r for r in self.restrictions(conn, title, page)}
        if all(
            (r.type not in current and r not in active)
            or (r in active and current.get(r.type) == r and not cascade)
            for r in wanted
        ):
            return 0
        if page is None:
            conn.execute(
                delete(protected_titles).where(
                    protected_titles.c.namespace == title.namespace, protected_titles.c.dbkey == title.dbkey
                )
            )
            for r in active:
                conn.execute(
                    insert(protected_titles).values(
                        namespace=title.namespace,
                        dbkey=title.dbkey,
                        level=r.level,
                        expiry=r.expiry,
                        user_id=actor.id,
                        reason=reason,
                        timestamp=now,
                    )
                )
        else:
            for r in wanted:
                conn.execute(
                    delete(page_restrictions).where(
                        page_restrictions.c.page_id == page.id, page_restrictions.c.type == r.type
                    )
                )
            for r in active:
                conn.execute(
                    insert(page_restrictions).values(
                        page_id=page.id, type=r.type, level=r.level, expiry=r.expiry, cascade=cascade
                    )
                )
        description = " ".join(
            f"[{r.type.capitalize()}={LEVEL_NAMES.get(r.level, r.level)}] "
            f"({'indefinite' if r.expiry is None else 'expires ' + iso8601(r.expiry)})"
            for r in active
        )
        action = "protect" if active else "unprotect"
        if page is not None:
            comment = (
                f'Protected "[[{title.prefixed_text}]]"'
                if active
                else f'Removed protection from "[[{title.prefixed_text}]]"'
            )
            if reason:
                comment += f": {reason}"
            if description:
                comment += f" ({description})"
            self._null_revision(conn, page, actor, comment, now)
        params: dict[str, Any] = {}
        if active:
            params = {
                "description": description,
                "cascade": cascade,
                "details": [
                    {"type": r.type, "level": r.level, "expiry": iso8601(r.expiry), "cascade": cascade}
                    for r in active
                ],
            }
        return self.pages.logs.log(
            conn,
            type="protect",
            action=action,
            actor=actor,
            title=title,
            comment=reason,
            params=params,
            page_id=page.id if page else 0,
        )

    def _null_revision(
        self, conn: Connection, page: PageRecord, actor: Actor, comment: str, now: int
    ) -> None:
        row = conn.execute(select(revisions).where(revisions.c.id == page.latest_rev_id)).first()
        assert row is not None
        rev_id = conn.execute(
            insert(revisions).values(
                page_id=page.id,
                parent_id=row.id,
                user_id=actor.id,
                user_name=actor.name,
                timestamp=now,
                minor=True,
                comment=comment,
                size=row.size,
                sha1=row.sha1,
                content_model=row.content_model,
                text=row.text,
                tags="",
                deleted=False,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(
            update(pages).where(pages.c.id == page.id).values(latest_rev_id=rev_id, is_new=False, touched=now)
        )

    # --- delete -----------------------------------------------------------------------------

    def delete(
        self, conn: Connection, *, page: PageRecord, actor: Actor, reason: str, tags: list[str] | None = None
    ) -> int:
        conn.execute(update(revisions).where(revisions.c.page_id == page.id).values(deleted=True))
        for table in (categorylinks, redirects, page_restrictions):
            conn.execute(delete(table).where(table.c.page_id == page.id))
        conn.execute(delete(pages).where(pages.c.id == page.id))
        conn.execute(
            update(site_stats)
            .where(site_stats.c.id == 1)
            .values(pages=site_stats.c.pages - 1, articles=site_stats.c.articles - int(page.is_article))
        )
        return self.pages.logs.log(
            conn,
            type="delete",
            action="delete",
            actor=actor,
            title=page.title,
            comment=reason,
            params={},
            tags=tags or (),
            page_id=page.id,
        )
