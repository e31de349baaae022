"""`wikipost` commands of the mail domain: the outbox (list, retry, drop), rate-limit counters,
confirmation mails."""

from __future__ import annotations

from typing import Annotated

import typer

from wikipost.cli.common import open_wiki, when
from wikipost.cli.groups import mail_app, ratelimit_app, user_app
from wikipost.mail.confirm import ConfirmationError
from wikipost.mail.outbox import DROPPABLE, STATUSES, OutboxRow


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
        list[int] | None, typer.Argument(help="Outbox ids of failed mail (see `mail list`).")
    ] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="Every failed mail.")] = False,
) -> None:
    """Queue failed mail again with fresh attempts (after an outage longer than the retries, or
    once a refused address is fixed). Name the mails, or pass --all-failed: a bare `retry` does
    nothing, so that no one requeues every failure by accident."""
    if bool(ids) == all_failed:
        typer.echo(
            "error: name the mails to retry (ids from `wikipost mail list --status failed`) "
            "or pass --all-failed, not both",
            err=True,
        )
        raise typer.Exit(2)
    wiki = open_wiki(ctx)
    try:
        if all_failed:
            count = wiki.outbox.requeue_failed()
            problems = 0
        else:
            assert ids is not None
            failed, problems = _select(wiki.outbox.get(ids), ids, ("failed",), "retried")
            count = wiki.outbox.requeue_failed(failed) if failed else 0
        if count:
            wiki.wake()
        typer.echo(f"{count} failed mail(s) queued again")
    finally:
        wiki.close()
    if problems:
        raise typer.Exit(1)


@mail_app.command("drop")
def mail_drop(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(help="Outbox ids of queued or failed mail.")],
) -> None:
    """Never send these mails: they stay in the outbox as `dropped`, with their last error.
    Mail that was sent, or is being sent right now, cannot be dropped."""
    wiki = open_wiki(ctx)
    try:
        droppable, problems = _select(wiki.outbox.get(ids), ids, DROPPABLE, "dropped")
        dropped = wiki.outbox.drop(droppable)
        for mail_id in sorted(set(droppable) - set(dropped)):  # claimed or changed meanwhile
            typer.echo(f"error: mail {mail_id} changed state meanwhile: not dropped", err=True)
            problems += 1
        typer.echo(f"{len(dropped)} mail(s) dropped")
    finally:
        wiki.close()
    if problems:
        raise typer.Exit(1)


def _select(
    rows: list[OutboxRow], ids: list[int], states: tuple[str, ...], verb: str
) -> tuple[list[int], int]:
    """The ids among ``rows`` in one of ``states``; the others are reported. (ids, problems)."""
    found = {row.id: row for row in rows}
    chosen: list[int] = []
    problems = 0
    for mail_id in dict.fromkeys(ids):
        row = found.get(mail_id)
        if row is None:
            typer.echo(f"error: no mail {mail_id} in the outbox", err=True)
            problems += 1
        elif row.status == "dropped" and verb == "dropped":
            typer.echo(f"mail {mail_id} is dropped already")
        elif row.status not in states:
            typer.echo(f"error: mail {mail_id} is {row.status}: not {verb}", err=True)
            problems += 1
        else:
            chosen.append(mail_id)
    return chosen, problems


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
