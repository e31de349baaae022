"""What every command module shares: opening the store, and printing times."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from wikipost.clock import iso8601

if TYPE_CHECKING:
    from wikipost.wiki import Wiki


def open_wiki(ctx: typer.Context) -> Wiki:
    """Settings from the global options plus a Wiki on a store migrated to the current schema."""
    from wikipost.db.migrate import ensure_current
    from wikipost.wiki import build_wiki

    wiki = build_wiki(ctx.obj.settings())
    ensure_current(wiki.db)
    return wiki


def when(ts: float | None) -> str:
    """A timestamp for a table cell: ISO 8601, or "-" when there is none."""
    return "-" if ts is None else iso8601(ts)
