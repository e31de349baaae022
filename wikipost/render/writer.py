"""The only place that writes HTML markup.

:class:`HtmlWriter` emits tags whose names come from the sanitizer's allowlist and attributes
whose names the caller takes from an allowlist; every value and every piece of text is escaped
here. It also keeps the stack of open elements, so whatever the wikitext leaves open (an
unclosed ``<b>``, a ``'''`` with no partner) is closed where its scope ends and the output is
always well-formed. Scopes nest: a paragraph, a list item, a tag's contents; ``close`` never
reaches below the innermost scope.

Internal links are kept as :class:`PendingLink` parts until the whole page has been walked, so
that page existence is looked up once for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from wikipost.render.escaping import escape_attr, escape_text
from wikipost.render.model import LinkTarget
from wikipost.render.sanitizer import ALLOWED_TAGS, BLOCK_TAGS, VOID_TAGS

Attrs = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class PendingLink:
    """An internal link whose colour (blue or red) is decided after the page is walked."""

    target: LinkTarget
    label_html: str


Part = str | PendingLink


def format_attrs(attrs: Attrs) -> str:
    return "".join(f' {name}="{escape_attr(value)}"' for name, value in attrs)


def anchor_html(attrs: Attrs, label_html: str) -> str:
    """An ``<a>`` element: our own links only (wikitext can never write ``<a>``). The caller
    builds or checks ``href`` (external URLs: against the scheme allowlist)."""
    return f"<a{format_attrs(attrs)}>{label_html}</a>"


def _checked(name: str) -> str:
    if name not in ALLOWED_TAGS:
        raise ValueError(f"tag {name!r} is not in the renderer's allowlist")
    return name


class HtmlWriter:
    def __init__(self) -> None:
        self.parts: list[Part] = []
        self.stack: list[str] = []
        self._floors: list[int] = [0]

    # -- content ---------------------------------------------------------------------------

    def text(self, text: str) -> None:
        """Text from the wikitext: escaped, valid character references kept."""
        if text:
            self.parts.append(escape_text(text))

    def newline(self) -> None:
        self.parts.append("\n")

    def link(self, link: PendingLink) -> None:
        self.parts.append(link)

    def anchor(self, attrs: Attrs, label_html: str) -> None:
        self.parts.append(anchor_html(attrs, label_html))

    def extend(self, other: HtmlWriter) -> None:
        """Append what another (finished) writer produced, e.g. a heading's title."""
        other.close_all()
        self.parts.extend(other.parts)

    # -- elements --------------------------------------------------------------------------

    def open(self, name: str, attrs: Attrs = ()) -> None:
        self.parts.append(f"<{_checked(name)}{format_attrs(attrs)}>")
        if name not in VOID_TAGS:
            self.stack.append(name)

    def void(self, name: str, attrs: Attrs = ()) -> None:
        if name not in VOID_TAGS:
            raise ValueError(f"{name!r} is not a void element")
        self.open(name, attrs)

    def close(self, name: str) -> bool:
        """Close the innermost open ``name`` in the current scope (and anything inside it)."""
        for depth in range(len(self.stack) - 1, self._floors[-1] - 1, -1):
            if self.stack[depth] == name:
                self._close_to(depth)
                return True
        return False

    def close_from(self, depth: int) -> None:
        """Close the element at ``depth`` and everything inside it, if it is in the current scope."""
        if depth >= self._floors[-1]:
            self._close_to(depth)

    def is_open(self, name: str, depth: int) -> bool:
        return depth < len(self.stack) and self.stack[depth] == name

    def close_inline_tail(self) -> None:
        """Close inline elements left open at the top of the current scope."""
        while len(self.stack) > self._floors[-1] and self.stack[-1] not in BLOCK_TAGS:
            self._close_to(len(self.stack) - 1)

    def close_all(self) -> None:
        self._close_to(0)

    def _close_to(self, depth: int) -> None:
        while len(self.stack) > depth:
            self.parts.append(f"</{self.stack.pop()}>")

    # -- scopes ----------------------------------------------------------------------------

    def push_scope(self) -> None:
        self._floors.append(len(self.stack))

    def pop_scope(self) -> None:
        self._close_to(self._floors.pop())

    @contextmanager
    def scope(self) -> Iterator[None]:
        self.push_scope()
        try:
            yield
        finally:
            self.pop_scope()

    # -- results ---------------------------------------------------------------------------

    def pending_links(self) -> list[PendingLink]:
        return [part for part in self.parts if isinstance(part, PendingLink)]

    def html(self, link_html: Callable[[PendingLink], str]) -> str:
        """The finished HTML, with each pending link written by ``link_html``."""
        self.close_all()
        return "".join(part if isinstance(part, str) else link_html(part) for part in self.parts)
