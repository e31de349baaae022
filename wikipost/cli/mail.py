"""`wikipost` commands of the mail domain: the outbox (list, retry), rate-limit counters,
confirmation mails."""

from __future__ import annotations

from typing import Annotated

import typer

from wikipost.cli.common import open_wiki, when
from wikipost.cli.groups import mail_app, ratelimit_app, user_app
from wikipost.mail.confirm import ConfirmationError
from wikipost.mail.outbox import STATUSES


@mail_app.command("list")
def mail_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="Only mail in this state: " + ", ".join(STATUSES))
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many (oldest first).")] = 1000,
) -> None:
    """Show the outbox: each mail's state, attempts, recipients, subject and last error."""
    if status is not None and status not in STATUSES:
        typer.echo(f"error: --status must be one of {', '.join(STATUSES)}", err=True)
        raise typer.Exit(2)
    wiki = open_wiki(ctx)
    try:
        rows = wiki.outbox.list(status, limit)
        for row in rows:
            line = (
                f"{row.id}\t{row.status}\t{row.attempts}\t{when(row.created)}\t"
                f"{','.join(row.recipients)}\t{row.kind}\t{row.subject!r}\t{row.message_id}"
            )
            if row.last_error:
                line += f"\t{row.last_error}"
            typer.echo(line)
        counts = wiki.outbox.counts()
        typer.echo(f"# {len(rows)} shown; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    finally:
        wiki.close()


@mail_app.command("retry")
def mail_retry(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(help="Outbox ids (see `mail list`); none: every failed mail.")
    ] = None,
) -> None:
    """Queue failed mail again with fresh attempts (after an outage longer than the retries)."""
    wiki = open_wiki(ctx)
    try:
        count = wiki.outbox.requeue_failed(ids or None)
        wiki.wake()
        typer.echo(f"{count} failed mail(s) queued again")
    finally:
        wiki.close()


@ratelimit_app.command("reset")
def ratelimit_reset(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Only this user's counters.")] = None,
) -> None:
    """Clear rate-limit counters (all, or one user's). Needs shared storage (redis://) to
    reach a running server's counters; memory:// counters live inside the server process."""
    wiki = open_wiki(ctx)
    try:
        if user is None:
            wiki.ratelimiter.reset()
            typer.echo("all rate-limit counters cleared")
        else:
            record = wiki.users.get_by_name(user)
            if record is None:
                typer.echo(f"error: no such user: {user}", err=True)
                raise typer.Exit(1)
            wiki.ratelimiter.reset(user_id=record.id)
            typer.echo(f"rate-limit counters of {record.name} cleared")
        if wiki.settings.ratelimits.storage.startswith("memory"):
            typer.echo("note: storage is memory://; a running server keeps its own counters", err=True)
    finally:
        wiki.close()


@user_app.command("send-confirmation")
def user_send_confirmation(ctx: typer.Context, name: str) -> None:
    """Mail NAME a link to Special:ConfirmEmail that confirms their address (valid 7 days)."""
    wiki = open_wiki(ctx)
    try:
        canonical = wiki.users.normalize_name(name) or name
        try:
            message_id = wiki.email_confirmation.send(canonical)
        except ConfirmationError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from err
        typer.echo(f"confirmation mail queued for {canonical}: {message_id}")
    finally:
        wiki.close()


def register(app: typer.Typer) -> None:
    """The commands above attach to the shared groups (cli/groups.py) when imported."""
