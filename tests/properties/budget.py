"""How many cases each property runs, and how many it did: CI's budget or ``make fuzz``'s.

The properties build their hypothesis settings from a :class:`Budget` found in pytest's stash
(``BUDGET_KEY``). CI gets the default (scale 1, derandomised: the same cases every run, about a
minute in all); ``bench/fuzz.py`` puts a larger scale there, with random cases, and prints the
counts afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings


@dataclass
class Budget:
    scale: float = 1.0
    derandomize: bool = True
    counts: dict[str, int] = field(default_factory=dict)

    def settings(self, examples: int) -> settings:
        """Hypothesis settings for a property whose CI budget is ``examples`` cases."""
        return settings(
            max_examples=max(1, int(examples * self.scale)),
            derandomize=self.derandomize,
            database=None,
            deadline=None,
            print_blob=True,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.filter_too_much,
            ],
        )

    def count(self, name: str) -> None:
        """One more case run by the property ``name`` (shrinking steps included)."""
        self.counts[name] = self.counts.get(name, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        parts = ", ".join(f"{name} {n}" for name, n in sorted(self.counts.items()))
        return f"properties: {self.total} generated cases ({parts})"


BUDGET_KEY = pytest.StashKey[Budget]()
