"""Internal and external links.

Internal links go through the caller's title parser; an invalid title leaves the whole
``[[…]]`` as escaped text. The link itself is written later (see
:class:`~wikipost.render.writer.PendingLink`): blue or red depends on one batched existence
lookup. External links are made only for the schemes in :data:`URL_SCHEMES`; anything else
(``javascript:``, ``data:``…) stays escaped text. Links are not nested: a link inside a link's
label is shown as its source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from mwparserfromhell.nodes import Comment, ExternalLink, HTMLEntity, Text, Wikilink
from mwparserfromhell.wikicode import Wikicode

from wikipost.render.context import Ctx
from wikipost.render.escaping import anchor_encode, decode_entities, escape_attr, escape_text
from wikipost.render.model import LinkTarget
from wikipost.render.writer import HtmlWriter, PendingLink, anchor_html

URL_SCHEMES = ("http://", "https://", "mailto:", "ftp://", "//")
CATEGORY = 14
SPECIAL = -1
_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f\"<>]")


def plain_source(code: Wikicode) -> str | None:
    """The text of a link target, comments dropped; None if it holds other markup (templates…)."""
    out: list[str] = []
    for node in code.nodes:
        if isinstance(node, Text | HTMLEntity):
            out.append(str(node))
        elif not isinstance(node, Comment):
            return None
    return "".join(out)


def safe_url(url: str) -> bool:
    return url.lower().startswith(URL_SCHEMES) and not _UNSAFE_URL.search(url)


class Links:
    """Link state of one render: title cache, categories, external link numbering."""

    def __init__(self, parse_title: Callable[[str], LinkTarget | None]) -> None:
        self._parse_title = parse_title
        self._titles: dict[str, LinkTarget | None] = {}
        self.categories: list[str] = []
        self._autonumber = 0
        self._depth = 0  # > 0 while rendering a link's label

    def parse_title(self, text: str) -> LinkTarget | None:
        if text not in self._titles:
            self._titles[text] = self._parse_title(text) if text.strip() else None
        return self._titles[text]

    # -- internal --------------------------------------------------------------------------

    def _target(self, node: Wikilink) -> tuple[str, bool, LinkTarget | None] | None:
        """(link text without a leading colon, had a colon, target) — None for a source-only link."""
        source = plain_source(node.title)
        if self._depth or source is None:
            return None
        source = source.strip()
        colon = source.startswith(":")
        text = source[1:].lstrip() if colon else source
        target = None if text.startswith("#") else self.parse_title(text)
        return text, colon, target

    def is_category_link(self, node: Wikilink) -> bool:
        parsed = self._target(node)
        return (
            parsed is not None and not parsed[1] and parsed[2] is not None and parsed[2].namespace == CATEGORY
        )

    def wikilink(self, ctx: Ctx, node: Wikilink, w: HtmlWriter, trail: str) -> None:
        parsed = self._target(node)
        if parsed is None:
            w.text(str(node) + trail)
            return
        text, colon, target = parsed
        if text.startswith("#"):
            self._fragment_link(ctx, node, text, w, trail)
        elif target is None or not target.prefixed_dbkey:
            w.text(str(node) + trail)
        elif target.namespace == CATEGORY and not colon:
            self._add_category(target)
            w.text(trail)
        else:
            w.link(PendingLink(target, self._label(ctx, node, text, trail)))

    def _fragment_link(self, ctx: Ctx, node: Wikilink, text: str, w: HtmlWriter, trail: str) -> None:
        w.anchor(
            [("href", "#" + anchor_encode(decode_entities(text[1:])))], self._label(ctx, node, text, trail)
        )

    def _label(self, ctx: Ctx, node: Wikilink, default: str, trail: str) -> str:
        if node.text is None or not str(node.text).strip():  # [[Foo|]]: the pipe trick is not applied
            return escape_text(default + trail)
        return self._render_label(ctx, node.text, trail)

    def _render_label(self, ctx: Ctx, code: Wikicode, trail: str) -> str:
        label = HtmlWriter()
        self._depth += 1
        try:
            ctx.inline(code.nodes, label)
        finally:
            self._depth -= 1
        label.text(trail)
        return label.html(lambda link: escape_text(link.target.prefixed_text))

    def _add_category(self, target: LinkTarget) -> None:
        name = target.prefixed_dbkey.split(":", 1)[1] if ":" in target.prefixed_dbkey else ""
        if name and name not in self.categories:
            self.categories.append(name)

    # -- external --------------------------------------------------------------------------

    def external_link(self, ctx: Ctx, node: ExternalLink, w: HtmlWriter) -> None:
        source = plain_source(node.url)
        url = decode_entities(source) if source is not None else ""
        if self._depth or not safe_url(url):
            w.text(str(node))
            return
        if node.brackets and node.title is not None and str(node.title).strip():
            self._external(w, url, "external text", self._render_label(ctx, node.title, ""))
        elif node.brackets:
            self._autonumber += 1
            self._external(w, url, "external autonumber", f"[{self._autonumber}]")
        else:
            self._external(w, url, "external free", escape_attr(url))

    @staticmethod
    def _external(w: HtmlWriter, url: str, css_class: str, label_html: str) -> None:
        w.anchor([("rel", "nofollow"), ("class", css_class), ("href", url)], label_html)


def resolve_links(
    links: Iterable[PendingLink],
    *,
    article_url: Callable[[str], str],
    edit_url: Callable[[str], str],
    existing: Callable[[list[str]], set[str]],
) -> Callable[[PendingLink], str]:
    """One existence lookup for all links; returns the function that writes each ``<a>``."""
    keys = list(
        dict.fromkeys(link.target.prefixed_dbkey for link in links if link.target.namespace != SPECIAL)
    )
    found = existing(keys) if keys else set()

    def write(link: PendingLink) -> str:
        target = link.target
        if target.namespace == SPECIAL or target.prefixed_dbkey in found:
            href = article_url(target.prefixed_dbkey)
            if target.fragment:
                href += "#" + anchor_encode(target.fragment)
            return anchor_html([("href", href), ("title", target.prefixed_text)], link.label_html)
        title = f"{target.prefixed_text} (page does not exist)"
        attrs = [("href", edit_url(target.prefixed_dbkey)), ("class", "new"), ("title", title)]
        return anchor_html(attrs, link.label_html)

    return write
