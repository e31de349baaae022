"""Cutting a node list into lines, and questions about one line.

MediaWiki's block structure (paragraphs, lists, indented ``<pre>``, headings) is decided line by
line, while mwparserfromhell gives a tree of inline nodes. We split the top-level nodes of a
container at the newlines inside its Text nodes; a node that itself spans lines (a table, a
multi-line ``<div>``) stays whole in the line it starts on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from mwparserfromhell.nodes import Comment, ExternalLink, Heading, Node, Tag, Text, Wikilink
from mwparserfromhell.wikicode import Wikicode

from wikipost.render.sanitizer import ALLOWED_TAGS, BLOCK_TAGS, UNPAIRED_BLOCK_TAGS

Item = str | Node
Line = list[Item]

# Behaviour switches MediaWiki removes from the text.
_SWITCHES = re.compile(
    r"__(?:NOTOC|FORCETOC|TOC|NOEDITSECTION|NEWSECTIONLINK|NONEWSECTIONLINK|NOGALLERY|HIDDENCAT"
    r"|EXPECTUNUSEDCATEGORY|NOCONTENTCONVERT|NOCC|NOTITLECONVERT|NOTC|INDEX|NOINDEX|STATICREDIRECT"
    r"|DISAMBIG|ARCHIVEDTALK|NOTALK)__"
)
_ANY_BLOCK_TAG = re.compile(rf"<(?:{'|'.join(sorted(BLOCK_TAGS))})(?![A-Za-z0-9])", re.IGNORECASE)
_RAW_BLOCK_TAG = re.compile(rf"</?(?:{'|'.join(sorted(UNPAIRED_BLOCK_TAGS))})(?![A-Za-z0-9])", re.IGNORECASE)
LIST_MARKUP = {"*", "#", ";", ":"}


def split_lines(nodes: Iterable[Item]) -> list[Line]:
    lines: list[Line] = [[]]
    for node in nodes:
        if isinstance(node, Text | str):
            pieces = _SWITCHES.sub("", str(node)).split("\n")
            for n, piece in enumerate(pieces):
                if n:
                    lines.append([])
                if piece:
                    lines[-1].append(piece)
        else:
            lines[-1].append(node)
    return lines


def trim_lines(lines: list[Line]) -> list[Line]:
    """Drop leading and trailing blank lines and the outer whitespace (a cell's or a title's)."""
    while lines and is_blank(lines[0]):
        lines.pop(0)
    while lines and is_blank(lines[-1]):
        lines.pop()
    if lines:
        lines[0] = lstrip_line(lines[0])
        lines[-1] = rstrip_line(lines[-1])
    return lines


def lstrip_line(line: Line) -> Line:
    """The line without leading whitespace (and comments before it, which render as nothing)."""
    n = 0
    while n < len(line) and (is_space(line[n]) or isinstance(line[n], Comment)):
        n += 1
    first = line[n] if n < len(line) else None
    if isinstance(first, str):
        return [first.lstrip(), *line[n + 1 :]]
    return line[n:]


def rstrip_line(line: Line) -> Line:
    n = len(line)
    while n and (is_space(line[n - 1]) or isinstance(line[n - 1], Comment)):
        n -= 1
    last = line[n - 1] if n else None
    if isinstance(last, str):
        return [*line[: n - 1], last.rstrip()]
    return line[:n]


def is_space(item: Item) -> bool:
    return isinstance(item, str) and not item.strip()


def is_blank(line: Line) -> bool:
    return all(is_space(item) for item in line)


def is_invisible(line: Line, is_category: Callable[[Wikilink], bool]) -> bool:
    """A line holding only comments and category links disappears with its newline, as in
    MediaWiki (a blank line, by contrast, ends a paragraph)."""
    found = False
    for item in line:
        if isinstance(item, Wikilink) and is_category(item) or isinstance(item, Comment):
            found = True
        elif not is_space(item):
            return False
    return found


def first_significant(line: Line) -> tuple[int, Item | None]:
    for n, item in enumerate(line):
        if not is_space(item) and not isinstance(item, Comment):
            return n, item
    return len(line), None


def wiki_markup(item: Item | None) -> str | None:
    return item.wiki_markup if isinstance(item, Tag) else None


def list_prefix(line: Line) -> tuple[str, Line]:
    """The list markers starting a line (``*#:;`` Tag nodes) and the rest of the line."""
    prefix = ""
    n = 0
    while n < len(line) and wiki_markup(line[n]) in LIST_MARKUP:
        prefix += str(wiki_markup(line[n]))
        n += 1
    return prefix, line[n:]


def is_heading_line(line: Line) -> Heading | None:
    """The heading a line consists of (besides whitespace and comments), if it is one."""
    n, first = first_significant(line)
    if isinstance(first, Heading) and first_significant(line[n + 1 :])[1] is None:
        return first
    return None


def tag_name(tag: Tag) -> str:
    return str(tag.tag).strip().lower()


def _has_block_tag(item: Item) -> bool:
    if isinstance(item, str):
        return "<" in item and _RAW_BLOCK_TAG.search(item) is not None
    if isinstance(item, Tag) and not item.wiki_markup and tag_name(item) in BLOCK_TAGS:
        return True
    inner = _rendered_inner(item)
    return inner is not None and contains_block_tag(inner)


def contains_block_tag(code: Wikicode) -> bool:
    """Whether wikitext may render a block element (a cheap over-estimate: it reads the source)."""
    return _ANY_BLOCK_TAG.search(str(code)) is not None


def _rendered_inner(node: Node) -> Wikicode | None:
    """The wikitext inside a node that is rendered as markup (not shown as source)."""
    if isinstance(node, Tag):
        return node.contents if not node.wiki_markup and tag_name(node) in ALLOWED_TAGS else None
    if isinstance(node, Wikilink):
        return node.text
    if isinstance(node, ExternalLink):
        return node.title
    if isinstance(node, Heading):
        return node.title
    return None


def has_block_tag(line: Line) -> bool:
    """Whether a line holds an HTML block element, so MediaWiki would not wrap it in ``<p>``."""
    return any(_has_block_tag(item) for item in line)
