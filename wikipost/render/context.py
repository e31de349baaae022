"""The interface the rendering helpers use to call back into one render job.

Blocks contain inline text, inline tags may contain blocks, tables contain both: the helper
modules are mutually recursive. They talk to each other through this protocol, implemented by
the per-render job in :mod:`wikipost.render.wikitext_html`, instead of importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mwparserfromhell.nodes import ExternalLink, Heading, Tag, Wikilink

from wikipost.render.lines import Item, Line
from wikipost.render.writer import HtmlWriter


class Ctx(Protocol):
    def blocks(self, nodes: Sequence[Item], w: HtmlWriter, *, trim: bool = False) -> None:
        """Render a container's contents with paragraphs, lists, headings, tables."""

    def inline(self, nodes: Sequence[Item], w: HtmlWriter, *, trim: bool = False) -> None:
        """Render contents as inline text in a scope of their own (newlines kept)."""

    def inline_line(self, line: Line, w: HtmlWriter) -> None:
        """Render one line's items in the current scope (bold/italic closed at its end)."""

    def heading(self, node: Heading, w: HtmlWriter) -> None: ...

    def table(self, node: Tag, w: HtmlWriter) -> None: ...

    def wikilink(self, node: Wikilink, w: HtmlWriter, trail: str) -> None: ...

    def is_category_link(self, node: Wikilink) -> bool:
        """Whether a link only puts the page in a category (and so renders as nothing)."""

    def external_link(self, node: ExternalLink, w: HtmlWriter) -> None: ...
