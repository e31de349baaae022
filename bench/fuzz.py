"""The property tests (tests/properties/) as a longer fuzzing run, with the count printed.

CI runs each property with a fixed budget and derandomised cases (the same every run, about a
minute in all). This runs the same properties ``--scale`` times longer with fresh random cases,
then prints how many cases each property ran, the total and the time:

    .venv/bin/python bench/fuzz.py [--scale 10] [--seed N] [pytest args…]

A failure prints hypothesis's shrunk example and a ``@reproduce_failure`` blob; ``--seed``
replays a run (hypothesis's ``--hypothesis-seed``). Exits with pytest's status.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.properties.budget import BUDGET_KEY, Budget  # noqa: E402


class FuzzRun:
    """A pytest plugin that hands the properties a larger, random budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[BUDGET_KEY] = self.budget


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10.0, help="times the CI budget (default 10)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed, to replay a run")
    args, pytest_args = parser.parse_known_args(argv)
    budget = Budget(scale=args.scale, derandomize=False)
    extra = [f"--hypothesis-seed={args.seed}"] if args.seed is not None else []
    started = time.monotonic()
    status = pytest.main(
        [str(ROOT / "tests" / "properties"), "-q", "-p", "no:cacheprovider", *extra, *pytest_args],
        plugins=[FuzzRun(budget)],
    )
    elapsed = time.monotonic() - started
    print(f"\nfuzz: {budget.total} cases in {elapsed:.0f} s (scale {args.scale:g})")
    for name, count in sorted(budget.counts.items()):
        print(f"  {name:<18} {count:>8}")
    return int(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
