"""Who is making a request: a user (or an anonymous IP) and the rights it holds now."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    id: int
    name: str
    groups: tuple[str, ...] = ()  # explicit groups, sorted
    implicit_groups: tuple[str, ...] = ("*",)  # "*", "user", "autoconfirmed"
    rights: frozenset[str] = field(default_factory=frozenset)
    bot_app: str | None = None  # set for bot-password sessions
    grants: frozenset[str] | None = None  # bot-password grants, None for a main session

    @property
    def is_anon(self) -> bool:
        return self.id == 0

    @property
    def is_registered(self) -> bool:
        return self.id != 0

    @property
    def all_groups(self) -> tuple[str, ...]:
        return self.implicit_groups + tuple(g for g in self.groups if g not in self.implicit_groups)

    def has_right(self, right: str) -> bool:
        return right in self.rights


def anonymous(ip: str, rights: frozenset[str]) -> Actor:
    return Actor(id=0, name=ip, rights=rights)
