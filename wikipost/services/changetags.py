"""Change tags: the software-defined ones (always known) and those an administrator defines
with action=managetags (pages.md §2.12)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from wikipost.db.schema.pages import change_tag_defs

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
        if row is None:
            conn.execute(insert(change_tag_defs).values(name=name, active=True, source="software"))

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
