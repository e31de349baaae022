"""What every command module shares: opening the store, and printing times."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from wikipost.clock import iso8601

if TYPE_CHECKING:
    from wikipost.wiki import Wiki


def open_wiki(ctx: typer.Context) -> Wiki:
    """Settings from the global options plus a Wiki on a store migrated to the current schema."""
    from wikipost.db.migrate import ensure_current
    from wikipost.wiki import build_wiki

    wiki = build_wiki(ctx.obj.settings())
    ensure_current(wiki.db)
    return wiki


def install(
    wiki: Wiki,
    admin: str | None,
    password: str | None,
    *,
    email: str = "",
    confirmed: bool = False,
    demo: bool = False,
) -> list[str]:
    """``wikipost init``'s installation (services/installer.py); the lines to print.

    ``demo`` (what ``make run`` asks for): while nobody has an account, the administrator is
    ``Admin`` with a generated password, a confirmed address and the bot password ``Admin@demo``,
    all printed this once — on a new store made before the Main Page, so the ids are 1.39's.
    """
    from wikipost.services.botpasswords import generate_secret
    from wikipost.services.installer import AdminAccount, Installer

    installer = Installer(wiki.db, wiki.users, wiki.pages, wiki.titles)
    account = None
    if admin is not None and password is not None:
        account = AdminAccount(admin, password, email, confirmed)
    elif demo and not installer.has_accounts():
        account = AdminAccount("Admin", generate_secret()[:20], "admin@localhost", confirmed=True)
    try:
        done = installer.install(account)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    lines = []
    if done.admin is not None:
        lines.append(f"created administrator {done.admin.name} (user {done.admin.id})")
        if demo and account is not None:
            lines += _demo_lines(wiki, done.admin.id, account.password)
    if done.installer_user is not None:
        page = "and the Main Page" if done.main_page else "(the Main Page existed already)"
        lines.append(f"created {done.installer_user.name} (user {done.installer_user.id}) {page}")
    return lines


def _demo_lines(wiki: Wiki, admin_id: int, password: str) -> list[str]:
    """The demo administrator's bot password, and how to try both (printed once)."""
    from wikipost.cli.accounts import DEMO_GRANTS

    secret = wiki.botpasswords.create(admin_id, "demo", DEMO_GRANTS)
    site = wiki.settings.site
    return [
        f"Admin account: Admin / {password}  (email admin@localhost, confirmed)",
        f"Bot password:  Admin@demo / {secret}  (grants {', '.join(DEMO_GRANTS)})",
        f"Try: python -c \"import mwclient; s = mwclient.Site('{site.host}', "
        f"path='{site.script_path}/', scheme='http'); "
        f"s.login('Admin@demo', '{secret}'); print(s.username)\"   (API: {site.api_url})",
    ]


def when(ts: float | None) -> str:
    """A timestamp for a table cell: ISO 8601, or "-" when there is none."""
    return "-" if ts is None else iso8601(ts)
