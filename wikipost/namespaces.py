"""The namespaces of a stock MediaWiki 1.39 (pages.md §1.1); Project takes the site name."""

from __future__ import annotations

from dataclasses import dataclass

MEDIA, SPECIAL, MAIN, TALK, USER, USER_TALK, PROJECT, PROJECT_TALK = -2, -1, 0, 1, 2, 3, 4, 5
FILE, FILE_TALK, MEDIAWIKI, MEDIAWIKI_TALK, TEMPLATE, TEMPLATE_TALK = 6, 7, 8, 9, 10, 11
HELP, HELP_TALK, CATEGORY, CATEGORY_TALK = 12, 13, 14, 15

CANONICAL: dict[int, str] = {
    MEDIA: "Media",
    SPECIAL: "Special",
    MAIN: "",
    TALK: "Talk",
    USER: "User",
    USER_TALK: "User talk",
    PROJECT: "Project",
    PROJECT_TALK: "Project talk",
    FILE: "File",
    FILE_TALK: "File talk",
    MEDIAWIKI: "MediaWiki",
    MEDIAWIKI_TALK: "MediaWiki talk",
    TEMPLATE: "Template",
    TEMPLATE_TALK: "Template talk",
    HELP: "Help",
    HELP_TALK: "Help talk",
    CATEGORY: "Category",
    CATEGORY_TALK: "Category talk",
}
ALIASES: dict[str, int] = {"Image": FILE, "Image talk": FILE_TALK}
NO_SUBPAGES = {MEDIA, SPECIAL, MAIN, FILE, CATEGORY}


@dataclass(frozen=True)
class Namespace:
    id: int
    name: str  # local name
    canonical: str

    @property
    def subpages(self) -> bool:
        return self.id not in NO_SUBPAGES

    @property
    def is_talk(self) -> bool:
        return self.id > 0 and self.id % 2 == 1

    @property
    def talk_id(self) -> int | None:
        return self.id | 1 if self.id >= 0 else None

    @property
    def subject_id(self) -> int:
        return self.id & ~1 if self.id >= 0 else self.id

    @property
    def content(self) -> bool:
        return self.id == MAIN

    @property
    def can_exist(self) -> bool:
        return self.id >= 0


class Namespaces:
    """The namespace table of one site, and prefix lookup (case-insensitive, ``_`` = space)."""

    def __init__(self, site_name: str) -> None:
        self.by_id: dict[int, Namespace] = {}
        for ns_id, canonical in CANONICAL.items():
            local = canonical
            if ns_id == PROJECT:
                local = site_name.replace("_", " ")
            elif ns_id == PROJECT_TALK:
                local = f"{site_name.replace('_', ' ')} talk"
            self.by_id[ns_id] = Namespace(ns_id, local, canonical)
        self._lookup: dict[str, int] = {}
        for ns in self.by_id.values():
            if ns.id != MAIN:
                self._lookup[_key(ns.canonical)] = ns.id
                self._lookup[_key(ns.name)] = ns.id
        for alias, ns_id in ALIASES.items():
            self._lookup[_key(alias)] = ns_id

    def get(self, ns_id: int) -> Namespace | None:
        return self.by_id.get(ns_id)

    def find(self, prefix: str) -> int | None:
        """The namespace id a prefix names, or None."""
        return self._lookup.get(_key(prefix))

    def name(self, ns_id: int) -> str:
        return self.by_id[ns_id].name

    def all(self) -> list[Namespace]:
        return [self.by_id[i] for i in sorted(self.by_id)]


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).lower()
