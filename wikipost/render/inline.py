"""Inline rendering: text, bold/italic, HTML tags written in the wikitext, and the dispatch of
every other node kind.

Text is escaped on its way into the writer. HTML tags in the wikitext become elements only when
the sanitizer allows the tag; attributes are filtered there too. Everything else — disallowed
tags, templates, template parameters, markup out of place — is shown as its escaped source.
mwparserfromhell leaves tags it cannot pair (an unclosed ``<small>``, a stray ``</div>``) in
the text; those are recognised here, opened in the current scope and closed at its end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import mwparserfromhell
from mwparserfromhell.nodes import Comment, ExternalLink, Heading, HTMLEntity, Node, Tag, Text, Wikilink

from wikipost.render.context import Ctx
from wikipost.render.lines import Item, Line, contains_block_tag, split_lines, tag_name, trim_lines
from wikipost.render.quotes import Quote, QuoteState, tokenize
from wikipost.render.sanitizer import (
    ALLOWED_TAGS,
    BLOCK_TAGS,
    UNPAIRED_BLOCK_TAGS,
    VOID_TAGS,
    Attrs,
    sanitize_attributes,
)
from wikipost.render.writer import HtmlWriter

_RAW_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)([^<>]*)>")
_LINK_TRAIL = re.compile(r"[a-z]+")


def render_inline(ctx: Ctx, nodes: Sequence[Item], w: HtmlWriter, *, trim: bool = False) -> None:
    lines = split_lines(nodes)
    if trim:
        lines = trim_lines(lines)
    with w.scope():
        for n, line in enumerate(lines):
            if n:
                w.newline()
            render_line(ctx, line, w)


def render_line(ctx: Ctx, line: Line, w: HtmlWriter) -> None:
    tokens = tokenize(line)
    quotes = QuoteState(w)
    for n, token in enumerate(tokens):
        if isinstance(token, Quote):
            quotes.apply(token)
        elif isinstance(token, str):
            render_text(token, w)
        elif isinstance(token, Wikilink):
            ctx.wikilink(token, w, _take_trail(tokens, n + 1))
        else:
            render_node(ctx, token, w)
    quotes.finish()


def _take_trail(tokens: list[Item | Quote], index: int) -> str:
    """Letters right after a link join its label, like ``[[Foo]]s``."""
    following = tokens[index] if index < len(tokens) else None
    if not isinstance(following, str):
        return ""
    m = _LINK_TRAIL.match(following)
    if not m:
        return ""
    tokens[index] = following[m.end() :]
    return m.group(0)


def render_node(ctx: Ctx, node: Node, w: HtmlWriter) -> None:
    if isinstance(node, Text):
        render_text(node.value, w)
    elif isinstance(node, Comment):
        return
    elif isinstance(node, HTMLEntity):
        w.text(str(node))
    elif isinstance(node, Wikilink):
        ctx.wikilink(node, w, "")
    elif isinstance(node, ExternalLink):
        ctx.external_link(node, w)
    elif isinstance(node, Heading):
        # Not on a line of its own, so MediaWiki would not read it as a heading.
        w.text("=" * node.level)
        ctx.inline(node.title.nodes, w)
        w.text("=" * node.level)
    elif isinstance(node, Tag):
        render_tag(ctx, node, w)
    else:  # templates, template parameters: not expanded, shown as written
        w.text(str(node))


# -- text with tags mwparserfromhell could not pair ------------------------------------------


def render_text(text: str, w: HtmlWriter) -> None:
    if "<" not in text:
        w.text(text)
        return
    pos = 0
    for m in _RAW_TAG.finditer(text):
        w.text(text[pos : m.start()])
        if not _raw_tag(m, w):
            w.text(m.group(0))
        pos = m.end()
    w.text(text[pos:])


def _raw_tag(m: re.Match[str], w: HtmlWriter) -> bool:
    """Emit an allowed tag found in text; False when it must be shown as text instead."""
    closing, name, rest = m.group(1) == "/", m.group(2).lower(), m.group(3)
    if name not in ALLOWED_TAGS or (name in BLOCK_TAGS and name not in UNPAIRED_BLOCK_TAGS):
        return False
    if rest and not rest[0].isspace() and rest != "/":
        return False
    if closing:
        if rest.strip():
            return False
        if name == "br":  # MediaWiki reads </br> as <br>
            w.void("br")
            return True
        return w.close(name)
    self_closing = rest.rstrip().endswith("/")
    attrs = _parse_attributes(name, rest.rstrip()[:-1] if self_closing else rest)
    if attrs is None:
        return False
    if name in VOID_TAGS:
        w.void(name, attrs)
    else:
        w.open(name, attrs)
        if self_closing:
            w.close(name)
    return True


def _parse_attributes(name: str, text: str) -> Attrs | None:
    """Attributes of a tag found in text, parsed by mwparserfromhell and sanitised."""
    if not text.strip():
        return []
    nodes = mwparserfromhell.parse(f"<{name}{text} />", skip_style_tags=True).nodes
    if len(nodes) == 1 and isinstance(nodes[0], Tag):
        return sanitize_attributes(name, nodes[0].attributes)
    return None


# -- tag nodes ---------------------------------------------------------------------------------


def render_tag(ctx: Ctx, node: Tag, w: HtmlWriter) -> None:
    if node.wiki_markup:
        if node.wiki_markup == "{|":
            ctx.table(node, w)
        else:  # list markers, ----, table parts out of place
            w.text(str(node))
        return
    name = tag_name(node)
    if name == "nowiki":
        w.text(str(node.contents))
    elif name == "pre":
        w.open("pre", sanitize_attributes(name, node.attributes))
        w.text(str(node.contents))
        w.close("pre")
    elif node.invalid:  # a closing tag alone
        if name == "br":
            w.void("br")
        else:
            w.text(str(node))
    elif name not in ALLOWED_TAGS:
        w.text(str(node))
    else:
        _allowed_tag(ctx, name, node, w)


def _allowed_tag(ctx: Ctx, name: str, node: Tag, w: HtmlWriter) -> None:
    attrs = sanitize_attributes(name, node.attributes)
    contents = node.contents
    if name in VOID_TAGS:
        w.void(name, attrs)
    elif name == "p" and contains_block_tag(contents):
        # A browser would end the <p> at the first block element; leave it out instead.
        ctx.blocks(contents.nodes, w, trim=True)
    else:
        w.open(name, attrs)
        if name in BLOCK_TAGS and name != "p" and "\n" in str(contents):
            ctx.blocks(contents.nodes, w, trim=True)
        else:
            ctx.inline(contents.nodes, w)
        w.close(name)
