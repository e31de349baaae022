"""The renderer's value types, in a module of their own so the helpers can share them without
importing the renderer. Callers import them from :mod:`wikipost.render`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkTarget:
    """What the caller needs to build a link."""

    prefixed_text: str  # "User talk:Bob" (as MediaWiki shows titles, spaces)
    prefixed_dbkey: str  # "User_talk:Bob"
    fragment: str  # "" or the text after '#'
    namespace: int


@dataclass(frozen=True)
class Section:
    """Like an entry of action=parse's prop=sections."""

    level: int
    line: str  # the heading text rendered to plain text
    number: str  # "1", "1.1", ...
    index: int  # counts from 1
    anchor: str


@dataclass(frozen=True)
class Rendered:
    html: str
    sections: list[Section]
    categories: list[str]  # category names (dbkey form, no "Category:" prefix), in order
