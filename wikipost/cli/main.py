"""``wikipost``: set up the store, serve the API, administer users, mail and jobs.

Each command builds Settings from the global options, calls a service and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wikipost.cli.common import install, open_wiki
from wikipost.cli.errors import WikipostTyper
from wikipost.cli.ops import ensure_can_listen, show_version
from wikipost.settings import Settings, SettingsError, describe_settings, load_settings

# WikipostTyper: a bad configuration, database URL or port is one line, not a traceback.
app = WikipostTyper(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_show_locals=False
)


class State:
    def __init__(self) -> None:
        self.data_dir: Path = Path("var")
        self.config: Path | None = None

    def settings(self) -> Settings:
        try:
            return load_settings(self.config, self.data_dir)
        except SettingsError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(2) from err


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[Path, typer.Option(envvar="WIKIPOST_DATA_DIR", help="Data directory.")] = Path("var"),
    config: Annotated[
        Path | None, typer.Option(envvar="WIKIPOST_CONFIG", help="TOML configuration file.")
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    state = State()
    state.data_dir = data_dir
    state.config = config
    ctx.obj = state


@app.command()
def init(
    ctx: typer.Context,
    admin: Annotated[
        str | None, typer.Option(help="Create this administrator first (user 1 of a new store).")
    ] = None,
    password: Annotated[str | None, typer.Option(help="The administrator's password.")] = None,
    email: Annotated[str, typer.Option(help="The administrator's email address.")] = "",
    confirmed: Annotated[bool, typer.Option(help="Mark the administrator's address confirmed.")] = False,
    demo_admin: Annotated[
        bool,
        typer.Option(
            "--demo-admin",
            help="On an empty store: an administrator Admin with a bot password, printed once.",
        ),
    ] = False,
) -> None:
    """Create or migrate the store and install the wiki as MediaWiki 1.39's installer does
    (idempotent): the administrator when asked for, then "MediaWiki default" and the Main Page."""
    if (admin is None) != (password is None) or (admin is not None and demo_admin):
        typer.echo("error: --admin and --password go together, and not with --demo-admin", err=True)
        raise typer.Exit(2)
    wiki = open_wiki(ctx)
    try:
        settings = wiki.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _ensure_secret_key(settings)
        typer.echo(f"store ready: {settings.database_url}")
        for line in install(wiki, admin, password, email=email, confirmed=confirmed, demo=demo_admin):
            typer.echo(line)
    finally:
        wiki.close()


def _ensure_secret_key(settings: Settings) -> None:
    """Without a configured ``[site] secret_key``, write one to the data dir (Special:RunJobs)."""
    from wikipost.services.runjobs import ensure_secret_key

    written = ensure_secret_key(settings)
    if written is not None:
        typer.echo(f"secret key written to {written}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the Action API at http://HOST:PORT<script_path>/api.php."""
    import uvicorn

    settings: Settings = ctx.obj.settings()
    _refuse_cluster_problems(settings, processes=workers)
    if settings.jobs.runner not in ("process", "thread", "none"):
        typer.echo('error: [jobs] runner must be "process", "thread" or "none"', err=True)
        raise typer.Exit(2)
    ensure_can_listen(host, port)
    wiki = open_wiki(ctx)
    wiki.close()
    typer.echo(f"serving the wiki on http://{host}:{port}/ (API: {settings.site.script_path}/api.php)")
    import os

    from wikipost.worker_process import WorkerProcess

    os.environ["WIKIPOST_DATA_DIR"] = str(settings.data_dir)
    if ctx.obj.config:
        os.environ["WIKIPOST_CONFIG"] = str(ctx.obj.config)
    worker = None
    if settings.jobs.runner in ("process", "none"):
        os.environ["WIKIPOST_WORKER_PROCESS"] = "1"  # the app leaves background work to a worker
    if settings.jobs.runner == "process":  # "none": `wikipost worker` processes do it
        worker = WorkerProcess()
        worker.start()
    proxies = settings.cluster.trusted_proxies
    try:
        uvicorn.run(
            "wikipost.serve:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            # Behind a balancer ([cluster] trusted_proxies): the client is X-Forwarded-For's.
            proxy_headers=bool(proxies),
            forwarded_allow_ips=",".join(proxies) if proxies else None,
            access_log=False,
            http="wikipost.httpserver:CoalescingHttpToolsProtocol",
        )
    finally:
        if worker is not None:
            worker.stop()


jobs_app = typer.Typer(help="The background queue: mail outbox and jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run")
def jobs_run(ctx: typer.Context) -> None:
    """Process everything that is due (mail and jobs) now, then exit.

    Work another worker (serve's) has claimed is waited for, so that when this returns,
    everything queued before it started is done.
    """
    import time

    wiki = open_wiki(ctx)
    done = 0
    deadline = time.monotonic() + wiki.settings.jobs.lease_seconds + 5
    while True:
        done += wiki.drain()
        if not wiki.unfinished() or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    typer.echo(f"processed {done} item(s)")
    wiki.close()


@jobs_app.command("work")
def jobs_work(
    ctx: typer.Context,
    parent_pid: Annotated[
        int | None, typer.Option(help="Exit when this process (serve) is gone.", hidden=True)
    ] = None,
) -> None:
    """Process mail and jobs as they come, until SIGTERM or Ctrl-C (serve starts one)."""
    from wikipost.worker_process import run_worker

    wiki = open_wiki(ctx)
    try:
        run_worker(wiki, parent_pid)
    finally:
        wiki.close()


@app.command("worker")
def worker_command(ctx: typer.Context) -> None:
    """The background worker (mail and jobs) in the foreground until SIGTERM or Ctrl-C: what the
    nodes of a cluster (`[jobs] runner = "none"`) leave their background work to; run any number,
    on any machine that reaches the store."""
    _refuse_cluster_problems(ctx.obj.settings())
    jobs_work(ctx, parent_pid=None)


def _refuse_cluster_problems(settings: Settings, *, processes: int = 1) -> None:
    """Exit 2 with one line per setting that would hold shared state in one process or machine."""
    from wikipost.cluster_rules import cluster_problems

    problems = cluster_problems(settings, processes=processes)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(2)


@app.command("settings")
def show_settings() -> None:
    """List every setting with its default and help."""
    for section, key, default, help_text in describe_settings():
        typer.echo(f"[{section}] {key} = {default!r}\n    {help_text}")


def _register_commands() -> None:
    """Each domain adds its commands from its own file (cli/<domain>.py)."""
    from wikipost.cli import accounts, mail, massmessage, ops
    from wikipost.cli.groups import GROUPS

    for name, group in GROUPS.items():
        app.add_typer(group, name=name)
    for module in (accounts, mail, massmessage, ops):
        module.register(app)


_register_commands()
