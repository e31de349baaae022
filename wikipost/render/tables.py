"""Wiki tables (``{| … |}``).

mwparserfromhell gives a table as a Tag with row Tags (``|-``) and cell Tags (``|``, ``||``,
``!``, ``!!``); it has no caption node, so ``|+`` arrives as a cell whose first attribute or
text starts with ``+``. Cells before the first ``|-`` go into an implicit first row, as in
MediaWiki. Content outside any cell is rendered before the table, where browsers would move it
anyway. Attributes go through the same allowlist as HTML tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeGuard

from mwparserfromhell.nodes import Comment, Node, Tag, Text

from wikipost.render.context import Ctx
from wikipost.render.lines import Item, tag_name
from wikipost.render.sanitizer import Attrs, sanitize_attributes
from wikipost.render.writer import HtmlWriter

_CELL_MARKUP = {"|", "||", "!", "!!"}


@dataclass
class _Cell:
    tag: str  # "td", "th" or "caption"
    attrs: Attrs
    contents: list[Item]


@dataclass
class _Row:
    attrs: Attrs
    cells: list[_Cell] = field(default_factory=list)


@dataclass
class _Table:
    captions: list[_Cell] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)
    strays: list[Node] = field(default_factory=list)


def render_table(ctx: Ctx, node: Tag, w: HtmlWriter) -> None:
    table = _structure(node)
    if table.strays:
        ctx.inline(table.strays, w, trim=True)
    w.open("table", sanitize_attributes("table", node.attributes))
    w.newline()
    for caption in table.captions:
        _cell(ctx, caption, w)
    for row in table.rows:
        w.open("tr", row.attrs)
        w.newline()
        for cell in row.cells:
            _cell(ctx, cell, w)
        w.close("tr")
        w.newline()
    w.close("table")
    w.newline()


def _cell(ctx: Ctx, cell: _Cell, w: HtmlWriter) -> None:
    w.open(cell.tag, cell.attrs)
    if "\n" in "".join(str(item) for item in cell.contents).strip():
        ctx.blocks(cell.contents, w, trim=True)
    else:
        ctx.inline(cell.contents, w, trim=True)
    w.close(cell.tag)
    w.newline()


def _structure(node: Tag) -> _Table:
    table = _Table()
    for child in node.contents.nodes:
        if _ignorable(child):
            continue
        if isinstance(child, Tag) and child.wiki_markup == "|-":
            table.rows.append(_row(child, table))
        elif _is_cell(child):
            caption = _caption(child)
            if caption is not None:
                table.captions.append(caption)
                continue
            if not table.rows:
                table.rows.append(_Row([]))
            table.rows[-1].cells.append(_plain_cell(child))
        else:
            table.strays.append(child)
    return table


def _row(node: Tag, table: _Table) -> _Row:
    row = _Row(sanitize_attributes("tr", node.attributes))
    for child in node.contents.nodes:
        if _ignorable(child):
            continue
        if _is_cell(child):
            row.cells.append(_plain_cell(child))
        else:
            table.strays.append(child)
    return row


def _ignorable(node: Node) -> bool:
    return isinstance(node, Comment) or (isinstance(node, Text) and not node.value.strip())


def _is_cell(node: Node) -> TypeGuard[Tag]:
    return isinstance(node, Tag) and node.wiki_markup in _CELL_MARKUP and tag_name(node) in ("td", "th")


def _plain_cell(node: Tag) -> _Cell:
    name = tag_name(node)
    return _Cell(name, sanitize_attributes(name, node.attributes), list(node.contents.nodes))


def _caption(node: Tag) -> _Cell | None:
    """A ``|+`` line, which mwparserfromhell reads as a cell starting with ``+``."""
    if node.wiki_markup != "|" or tag_name(node) != "td":
        return None
    attributes = node.attributes
    contents: list[Item] = list(node.contents.nodes)
    if attributes and str(attributes[0].name).startswith("+"):
        return _Cell("caption", sanitize_attributes("caption", attributes[1:]), contents)
    if not attributes and contents and isinstance(contents[0], Text) and contents[0].value.startswith("+"):
        return _Cell("caption", [], [contents[0].value[1:], *contents[1:]])
    return None
