"""Wikitext to HTML, safe by construction.

mwparserfromhell parses; we walk its tree and write HTML through one writer that escapes every
string from the wikitext and only emits tags and attributes from an allowlist (see
:mod:`wikipost.render.sanitizer`). Nothing is sanitised after the fact, and nothing the renderer
does not understand is dropped: it is shown as escaped source. Templates are not expanded.

The output follows MediaWiki 1.39's parser output closely enough for a wiki user to recognise
it (``mw-parser-output``, ``mw-headline`` spans, red links with ``class="new"``, ``external
text`` links). Page existence for all internal links is looked up once per render.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import mwparserfromhell
from mwparserfromhell.nodes import ExternalLink, Heading, Tag, Wikilink

from wikipost.render.blocks import render_blocks
from wikipost.render.inline import render_inline, render_line
from wikipost.render.lines import Item, Line
from wikipost.render.links import Links, resolve_links
from wikipost.render.model import LinkTarget, Rendered, Section
from wikipost.render.sections import Sections
from wikipost.render.tables import render_table
from wikipost.render.writer import HtmlWriter

__all__ = ["LinkTarget", "Rendered", "Renderer", "Section"]

# Nested tags, tables and labels deeper than this are shown as source: real pages stay far below
# it, and it keeps the recursion well inside Python's stack limit.
MAX_NESTING = 24
_TAG = re.compile(r"<[^>]*>")
_WHITESPACE = re.compile(r"\s+")


class Renderer:
    """Renders wikitext with the caller's title parser, URLs and page-existence lookup.

    ``parse_title(text)`` gives the target of a ``[[…]]`` link or None for an invalid title;
    ``article_url(prefixed_dbkey)`` and ``edit_url(prefixed_dbkey)`` give the URLs of existing
    and missing pages; ``existing(prefixed_dbkeys)`` returns the subset that exists and is
    called at most once per render (not at all when the text has no internal links).
    """

    def __init__(
        self,
        *,
        parse_title: Callable[[str], LinkTarget | None],
        article_url: Callable[[str], str],
        edit_url: Callable[[str], str],
        existing: Callable[[list[str]], set[str]],
    ) -> None:
        self._parse_title = parse_title
        self._article_url = article_url
        self._edit_url = edit_url
        self._existing = existing

    def render(self, text: str) -> Rendered:
        code = mwparserfromhell.parse(text.replace("\r\n", "\n").replace("\r", "\n"), skip_style_tags=True)
        job = _Job(self._parse_title)
        w = HtmlWriter()
        w.open("div", [("class", "mw-parser-output")])
        job.blocks(code.nodes, w)
        w.close("div")
        write_link = resolve_links(
            w.pending_links(),
            article_url=self._article_url,
            edit_url=self._edit_url,
            existing=self._existing,
        )
        return Rendered(
            html=w.html(write_link),
            sections=list(job.sections.sections),
            categories=list(job.links.categories),
        )


class _Job:
    """The state of one render; implements :class:`wikipost.render.context.Ctx`."""

    def __init__(self, parse_title: Callable[[str], LinkTarget | None]) -> None:
        self.links = Links(parse_title)
        self.sections = Sections()
        self._depth = 0

    def blocks(self, nodes: Sequence[Item], w: HtmlWriter, *, trim: bool = False) -> None:
        with self._nested(nodes, w) as ok:
            if ok:
                render_blocks(self, nodes, w, trim=trim)

    def inline(self, nodes: Sequence[Item], w: HtmlWriter, *, trim: bool = False) -> None:
        with self._nested(nodes, w) as ok:
            if ok:
                render_inline(self, nodes, w, trim=trim)

    @contextmanager
    def _nested(self, nodes: Sequence[Item], w: HtmlWriter) -> Iterator[bool]:
        """Count nesting (every recursion passes here); too deep, the rest is shown as source."""
        if self._depth >= MAX_NESTING:
            w.text("".join(str(node) for node in nodes))
            yield False
            return
        self._depth += 1
        try:
            yield True
        finally:
            self._depth -= 1

    def inline_line(self, line: Line, w: HtmlWriter) -> None:
        render_line(self, line, w)

    def table(self, node: Tag, w: HtmlWriter) -> None:
        render_table(self, node, w)

    def wikilink(self, node: Wikilink, w: HtmlWriter, trail: str) -> None:
        self.links.wikilink(self, node, w, trail)

    def is_category_link(self, node: Wikilink) -> bool:
        return self.links.is_category_link(node)

    def external_link(self, node: ExternalLink, w: HtmlWriter) -> None:
        self.links.external_link(self, node, w)

    def heading(self, node: Heading, w: HtmlWriter) -> None:
        title = HtmlWriter()
        self.inline(node.title.nodes, title, trim=True)
        section = self.sections.add(node.level, _plain_text(title))
        tag = f"h{node.level}"
        w.open(tag)
        w.open("span", [("class", "mw-headline"), ("id", section.anchor)])
        w.extend(title)
        w.close("span")
        w.close(tag)
        w.newline()


def _plain_text(w: HtmlWriter) -> str:
    """What a rendered heading says, without markup (links reduced to their labels)."""
    markup = w.html(lambda link: link.label_html)
    return _WHITESPACE.sub(" ", html.unescape(_TAG.sub("", markup))).strip()
