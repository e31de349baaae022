"""`wikipost` commands of the massmessage domain."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""
