"""Block structure: paragraphs, lists, indented ``<pre>``, headings, rules and tables, decided
line by line as MediaWiki does.

Blank lines separate paragraphs; consecutive text lines share one ``<p>`` with their newlines
kept. A line holding an HTML block element (``<div>``, ``<blockquote>``…) is not wrapped in a
paragraph, and a block element it leaves open stays open — later paragraphs go inside it —
until its closing tag or the end of the container.
"""

from __future__ import annotations

from collections.abc import Sequence

from mwparserfromhell.nodes import Tag, Wikilink

from wikipost.render.context import Ctx
from wikipost.render.lines import (
    Item,
    Line,
    first_significant,
    has_block_tag,
    is_blank,
    is_heading_line,
    is_invisible,
    list_prefix,
    lstrip_line,
    rstrip_line,
    split_lines,
    trim_lines,
    wiki_markup,
)
from wikipost.render.writer import HtmlWriter

_LIST_TAG = {"*": "ul", "#": "ol", ";": "dl", ":": "dl"}
_ITEM_TAG = {"*": "li", "#": "li", ";": "dt", ":": "dd"}


def render_blocks(ctx: Ctx, nodes: Sequence[Item], w: HtmlWriter, *, trim: bool = False) -> None:
    lines = split_lines(nodes)
    if trim:
        lines = trim_lines(lines)
    with w.scope():
        blocks = _Blocks(ctx, w)
        for line in lines:
            blocks.feed(line)
        blocks.finish()


class _Blocks:
    def __init__(self, ctx: Ctx, w: HtmlWriter) -> None:
        self.ctx = ctx
        self.w = w
        self.open_block: str | None = None  # "p" or "pre" while one is open
        self.lists: list[str] = []  # the marker of the open item at each list depth

    def feed(self, line: Line) -> None:
        if is_invisible(line, self.ctx.is_category_link):
            for item in line:
                if isinstance(item, Wikilink):
                    self.ctx.wikilink(item, self.w, "")  # records the category, writes nothing
            return
        if is_blank(line):
            self._end_block()
            self._end_lists()
            return
        prefix, rest = list_prefix(line)
        if prefix:
            self._end_block()
            self._list_item(prefix, rest)
            return
        self._end_lists()
        self._non_list_line(line)

    def finish(self) -> None:
        self._end_block()
        self._end_lists()

    def _non_list_line(self, line: Line) -> None:
        heading = is_heading_line(line)
        n, first = first_significant(line)
        markup = wiki_markup(first)
        if heading is not None:
            self._end_block()
            self.ctx.heading(heading, self.w)
        elif markup in ("----", "{|") and isinstance(first, Tag):
            self._end_block()
            if markup == "----":
                self.w.void("hr")
                self.w.newline()
            else:
                self.ctx.table(first, self.w)
            if not is_blank(line[n + 1 :]):
                self._text_or_bare_line(lstrip_line(line[n + 1 :]))
        elif not has_block_tag(line) and isinstance(line[0], str) and line[0].startswith(" "):
            self._pre_line([line[0][1:], *line[1:]])
        else:
            self._text_or_bare_line(line)

    def _text_or_bare_line(self, line: Line) -> None:
        if has_block_tag(line):  # not in a paragraph, as MediaWiki does
            self._end_block()
            self.ctx.inline_line(line, self.w)
            self.w.close_inline_tail()
            self.w.newline()
        else:
            self._text_line(line)

    # -- paragraphs and <pre> --------------------------------------------------------------

    def _text_line(self, line: Line) -> None:
        self._continue_block("p")
        self.ctx.inline_line(line, self.w)

    def _pre_line(self, line: Line) -> None:
        self._continue_block("pre")
        self.ctx.inline_line(line, self.w)

    def _continue_block(self, name: str) -> None:
        if self.open_block == name:
            self.w.newline()
            return
        self._end_block()
        self.w.open(name)
        self.w.push_scope()
        self.open_block = name

    def _end_block(self) -> None:
        if self.open_block is not None:
            self.w.pop_scope()
            self.w.close(self.open_block)
            self.w.newline()
            self.open_block = None

    # -- lists -----------------------------------------------------------------------------

    def _list_item(self, prefix: str, rest: Line) -> None:
        common = 0
        while common < min(len(prefix), len(self.lists)) and _same_list(prefix[common], self.lists[common]):
            common += 1
        while len(self.lists) > common:
            self._close_level()
        if common == len(prefix):
            self._next_item(prefix[-1])
        else:
            if common and self.lists[-1] != prefix[common - 1]:
                self._next_item(prefix[common - 1])
            for marker in prefix[common:]:
                self._open_level(marker)
        self._item_content(lstrip_line(rest))

    def _item_content(self, rest: Line) -> None:
        """The text of an item; on a ``;`` line, a ``:`` starts the definition."""
        split = None
        if self.lists[-1] == ";":
            split = next((n for n, item in enumerate(rest) if wiki_markup(item) == ":"), None)
        with self.w.scope():
            self.ctx.inline_line(rest if split is None else rstrip_line(rest[:split]), self.w)
        if split is not None:
            self._next_item(":")
            with self.w.scope():
                self.ctx.inline_line(lstrip_line(rest[split + 1 :]), self.w)

    def _open_level(self, marker: str) -> None:
        self.w.open(_LIST_TAG[marker])
        self.w.open(_ITEM_TAG[marker])
        self.lists.append(marker)

    def _next_item(self, marker: str) -> None:
        self.w.close(_ITEM_TAG[self.lists[-1]])
        self.w.newline()
        self.w.open(_ITEM_TAG[marker])
        self.lists[-1] = marker

    def _close_level(self) -> None:
        marker = self.lists.pop()
        self.w.close(_ITEM_TAG[marker])
        self.w.close(_LIST_TAG[marker])
        if not self.lists:
            self.w.newline()

    def _end_lists(self) -> None:
        while self.lists:
            self._close_level()


def _same_list(a: str, b: str) -> bool:
    return a == b or (a in ";:" and b in ";:")
