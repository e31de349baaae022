"""`wikipost massmessage …`: the progress of mass-message sends, and cancelling one."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wikipost.cli.common import open_wiki, when
from wikipost.cli.groups import massmessage_app
from wikipost.services.massmessage import CancelError, SendStatus
from wikipost.wiki import Wiki


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{k or 'error'} {v}" for k, v in sorted(counts.items())) or "0"


def describe(status: SendStatus) -> str:
    skipped = sum(status.skipped.values())
    failed = sum(status.failed.values())
    cancelled_by = ""
    if status.status == "cancelled":
        cancelled_by = f", cancelled by {status.cancelled_by or 'the command line'}"
    return (
        f"send {status.id} by {status.sender} to {status.spamlist} at {when(status.created_at)}"
        f" — {status.subject!r}\n  {status.status}: {status.total} targets, "
        f"{status.pending} queued, {status.delivered} delivered, "
        f"{skipped} skipped ({_reasons(status.skipped)}), "
        f"{failed} failed ({_reasons(status.failed)}), {status.cancelled} cancelled"
        + (f", finished {when(status.finished_at)}" if status.finished_at else "")
        + cancelled_by
    )


@massmessage_app.command("status")
def status_command(
    ctx: typer.Context,
    send_id: Annotated[int | None, typer.Argument(help="A send's id; the recent sends if omitted.")] = None,
    watch: Annotated[bool, typer.Option(help="With an id: follow the delivery live until it ends.")] = True,
    limit: Annotated[int, typer.Option(help="How many recent sends to list.")] = 20,
) -> None:
    """Per send: targets queued, delivered, skipped (by reason) and failed (by error)."""
    wiki = open_wiki(ctx)
    try:
        if send_id is None:
            ids = wiki.massmessage.recent_sends(limit)
            if not ids:
                typer.echo("no sends")
            for i in ids:
                status = wiki.massmessage.status(i)
                if status is not None:
                    typer.echo(describe(status))
            return
        status = wiki.massmessage.status(send_id)
        if status is None:
            typer.echo(f"error: no send {send_id}", err=True)
            raise typer.Exit(1)
        if watch and status.pending:
            status = follow(wiki, status)
        typer.echo(describe(status))
    finally:
        wiki.close()


@massmessage_app.command("cancel")
def cancel_command(
    ctx: typer.Context,
    send_id: Annotated[int, typer.Argument(help="The id of the send to cancel.")],
) -> None:
    """Stop a send: messages not yet delivered will not be (those delivered stay)."""
    wiki = open_wiki(ctx)
    try:
        try:
            status = wiki.massmessage.cancel(send_id, None)
        except CancelError as err:
            typer.echo(f"error: {err.text}", err=True)
            raise typer.Exit(1) from None
        typer.echo(describe(status))
    finally:
        wiki.close()


def follow(wiki: Wiki, status: SendStatus, poll: float = 0.5) -> SendStatus:
    """A live progress bar until nothing of the send is queued any more."""
    console = Console(stderr=True)
    with Progress(
        TextColumn(f"send {status.id}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("deliver", total=status.total, completed=status.done, detail="")
        while True:
            current = wiki.massmessage.status(status.id)
            if current is None:
                return status
            status = current
            progress.update(
                task,
                completed=status.done,
                detail=(
                    f"{status.delivered} delivered, {sum(status.skipped.values())} skipped, "
                    f"{sum(status.failed.values())} failed"
                ),
            )
            if not status.pending:
                return status
            time.sleep(poll)


def register(app: typer.Typer) -> None:
    """Commands are declared on the shared ``massmessage`` group (cli/groups.py)."""
