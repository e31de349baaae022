"""``wikipost`` commands for operators: ``--version``, ``check`` (the configuration and what it
names), ``backup`` and ``restore`` of the embedded store (wikipost/services/backup.py)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from wikipost import MEDIAWIKI_VERSION, __version__


def version_line() -> str:
    """What ``wikipost --version`` and ``python -m wikipost --version`` print."""
    return f"wikipost {__version__} (MediaWiki {MEDIAWIKI_VERSION} Action API)"


def show_version(value: bool) -> None:
    """The eager ``--version`` option: answers before any command or configuration is read."""
    if value:
        typer.echo(version_line())
        raise typer.Exit()


def ensure_can_listen(host: str, port: int) -> None:
    """Exit with one line now if ``host:port`` cannot be listened on (another server has it).

    Checked before ``serve`` starts its worker process and uvicorn, which would report it as a
    log line after the "serving" banner. (A server that takes the port in between still makes
    uvicorn fail; it then says so itself.)
    """
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            sock.bind(address)
    except OSError as err:
        reason = err.strerror or str(err)
        if "in use" in reason.lower():
            reason += " (another server listens there: stop it or choose another --port)"
        typer.echo(f"error: cannot listen on {host}:{port}: {reason}", err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add the operator commands to the main app."""

    @app.command("check")
    def check(ctx: typer.Context) -> None:
        """Check the configuration file — unknown keys, wrong types — and reach the database,
        Redis and SMTP server it names; print every problem at once (exit 1 if there is one)."""
        from wikipost.services.configcheck import check_configuration

        report = check_configuration(ctx.obj.config, ctx.obj.data_dir)
        for line in report.ok:
            typer.echo(f"ok: {line}")
        for problem in report.problems:
            typer.echo(f"error: {problem}", err=True)
        if report.problems:
            typer.echo(f"{len(report.problems)} problem(s) found", err=True)
            raise typer.Exit(1)
        typer.echo("configuration ok")

    @app.command("backup")
    def backup(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="The backup file to write (one SQLite file).")],
        force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    ) -> None:
        """Copy the embedded store into FILE while the wiki runs (SQLite's online backup: one
        consistent snapshot), with the data dir's secret key. PostgreSQL: pg_dump (README)."""
        from wikipost.services.backup import BackupError
        from wikipost.services.backup import backup as make_backup

        try:
            summary = make_backup(ctx.obj.settings(), file, force=force)
        except BackupError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"backup written to {file}: {summary.describe()}")

    @app.command("restore")
    def restore(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="A file `wikipost backup` wrote.")],
        force: Annotated[
            bool,
            typer.Option("--force", help="Replace the data dir's store (kept as <store>.before-restore)."),
        ] = False,
    ) -> None:
        """Install a backup as the data dir's store, after checking it (integrity, a Wikipost
        schema); an older schema is migrated. An existing store is replaced only with --force,
        and only while no server has it open."""
        from wikipost.services.backup import BackupError
        from wikipost.services.backup import restore as restore_backup

        try:
            done = restore_backup(ctx.obj.settings(), file, force=force)
        except BackupError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None
        if done.replaced is not None:
            typer.echo(f"the previous store was kept as {done.replaced}")
        if done.migrated_from is not None:
            typer.echo(f"migrated the backup's schema {done.migrated_from} to {done.summary.revision}")
        if done.secret_key_file is not None:
            typer.echo(f"secret key restored to {done.secret_key_file}")
        typer.echo(f"restored {file} into {done.store}: {done.summary.describe()}")
