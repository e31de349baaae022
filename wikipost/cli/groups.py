"""The command groups several domains add to (``wikipost user …``, ``wikipost mail …``)."""

from __future__ import annotations

import typer

user_app = typer.Typer(help="Create and change users.", no_args_is_help=True)
botpassword_app = typer.Typer(help="Bot passwords.", no_args_is_help=True)
mail_app = typer.Typer(help="The mail outbox.", no_args_is_help=True)
ratelimit_app = typer.Typer(help="Rate-limit counters.", no_args_is_help=True)
massmessage_app = typer.Typer(help="Mass-message sends and their delivery.", no_args_is_help=True)

GROUPS: dict[str, typer.Typer] = {
    "user": user_app,
    "botpassword": botpassword_app,
    "mail": mail_app,
    "ratelimit": ratelimit_app,
    "massmessage": massmessage_app,
}
