"""Section numbers and heading anchors, as action=parse reports them.

Numbers follow the nesting of heading levels, not the levels themselves: ``==A==`` then
``====B====`` makes B section 1.1, and a later ``===C===`` is its sibling 1.2. Anchors are the
heading's text with whitespace as ``_``; a repeated anchor gets ``_2``, ``_3``…
"""

from __future__ import annotations

from wikipost.render.escaping import anchor_encode
from wikipost.render.model import Section


class Sections:
    def __init__(self) -> None:
        self.sections: list[Section] = []
        self._levels: list[int] = []  # the heading level at each depth of the numbering
        self._counts: list[int] = []
        self._anchors: set[str] = set()
        self._next_suffix: dict[str, int] = {}  # per base anchor, so repeats stay linear

    def add(self, level: int, line: str) -> Section:
        section = Section(
            level=level,
            line=line,
            number=self._number(level),
            index=len(self.sections) + 1,
            anchor=self._anchor(line),
        )
        self.sections.append(section)
        return section

    def _number(self, level: int) -> str:
        if self._levels and level > self._levels[-1]:
            self._levels.append(level)
            self._counts.append(1)
        else:
            while len(self._levels) > 1 and self._levels[-2] >= level:
                self._levels.pop()
                self._counts.pop()
            if self._levels:
                self._levels[-1] = level
                self._counts[-1] += 1
            else:
                self._levels.append(level)
                self._counts.append(1)
        return ".".join(str(count) for count in self._counts)

    def _anchor(self, line: str) -> str:
        base = anchor_encode(line) or "section"
        anchor = base
        while anchor in self._anchors:
            n = self._next_suffix.get(base, 2)
            self._next_suffix[base] = n + 1
            anchor = f"{base}_{n}"
        self._anchors.add(anchor)
        return anchor
