"""`wikipost` commands of the accounts domain: users, bot passwords, blocks, the demo admin."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from wikipost.cli.common import install, open_wiki
from wikipost.cli.groups import botpassword_app, user_app
from wikipost.services.blocks import parse_expiry
from wikipost.services.grants import GRANTABLE, UnknownGrantError

DEMO_GRANTS = ["basic", "highvolume", "sendemail", "editpage"]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    name: str,
    password: Annotated[str, typer.Option(help="The account's password.")],
    email: Annotated[str, typer.Option(help="Email address.")] = "",
    confirmed: Annotated[bool, typer.Option(help="Mark the address as confirmed.")] = False,
    group: Annotated[list[str] | None, typer.Option(help="Explicit group (repeatable).")] = None,
) -> None:
    """Create a user."""
    wiki = open_wiki(ctx)
    try:
        if wiki.users.get_by_name(name) is not None:
            raise _fail(f"user {name!r} already exists")
        try:
            user = wiki.users.create(name, password, email=email, confirmed=confirmed, groups=group or [])
        except ValueError as err:
            raise _fail(str(err)) from err
        typer.echo(f"created user {user.name} (id {user.id})")
    finally:
        wiki.close()


@user_app.command("set-password")
def user_set_password(ctx: typer.Context, name: str, password: str) -> None:
    """Set a user's password."""
    wiki = open_wiki(ctx)
    try:
        user = wiki.users.get_by_name(name)
        if user is None or user.is_system:
            raise _fail(f"no such user: {name}")
        wiki.users.set_password(user.id, password)
        typer.echo(f"password of {user.name} changed")
    finally:
        wiki.close()


@user_app.command("set-option")
def user_set_option(ctx: typer.Context, name: str, key: str, value: str) -> None:
    """Set a preference. email-blacklist takes user names separated by | or newlines."""
    wiki = open_wiki(ctx)
    try:
        user = wiki.users.get_by_name(name)
        if user is None:
            raise _fail(f"no such user: {name}")
        if key == "email-blacklist":
            names = [n for n in value.replace("|", "\n").split("\n") if n.strip()]
            missing = [n for n in names if wiki.users.get_by_name(n) is None]
            if missing:
                raise _fail(f"no such user: {', '.join(missing)}")
            value = "\n".join(str(i) for i in wiki.users.user_ids_for_names(names))
        wiki.users.set_option(user.id, key, value)
        typer.echo(f"{user.name}: {key} set")
    finally:
        wiki.close()


@botpassword_app.command("create")
def botpassword_create(
    ctx: typer.Context,
    name: str,
    appid: str,
    grants: Annotated[str, typer.Option(help="Comma-separated grants, e.g. basic,sendemail.")] = "basic",
    password: Annotated[str | None, typer.Option(help="Use this secret instead of a generated one.")] = None,
) -> None:
    """Create a bot password; prints the login name and the password (shown only once)."""
    wiki = open_wiki(ctx)
    try:
        user = wiki.users.get_by_name(name)
        if user is None or user.is_system:
            raise _fail(f"no such user: {name}")
        if password is not None and not re.fullmatch(r"[0-9a-w]{32,}", password):
            raise _fail(
                "a bot password must be at least 32 characters of 0-9 and a-w "
                "(MediaWiki tries nothing else as a bot password)"
            )
        try:
            secret = wiki.botpasswords.create(user.id, appid, grants.split(","), password)
        except UnknownGrantError as err:
            raise _fail(f"{err} (known: {', '.join(GRANTABLE)})") from err
        except ValueError as err:
            raise _fail(str(err)) from err
        typer.echo(f"login name: {user.name}@{appid.strip()}")
        typer.echo(f"password: {secret}")
    finally:
        wiki.close()


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""

    @app.command("block")
    def block(
        ctx: typer.Context,
        name: str,
        noemail: Annotated[bool, typer.Option("--noemail", help="Also block sending email.")] = False,
        reason: Annotated[str, typer.Option(help="Reason shown to the user.")] = "",
        expiry: Annotated[str, typer.Option(help='"infinite", "3 days" or an ISO time.')] = "infinite",
        by: Annotated[str | None, typer.Option(help="The blocking administrator.")] = None,
    ) -> None:
        """Block a user (sitewide)."""
        wiki = open_wiki(ctx)
        try:
            user = wiki.users.get_by_name(name)
            if user is None:
                raise _fail(f"no such user: {name}")
            try:
                until = parse_expiry(expiry, wiki.clock.now())
            except ValueError as err:
                raise _fail(str(err)) from err
            admin = (
                wiki.users.get_by_name(by)
                if by
                else wiki.users.get_or_create_system_user("Maintenance script")
            )
            if admin is None:
                raise _fail(f"no such user: {by}")
            wiki.users.block(
                user.id, by=admin, reason=reason, expiry=until, block_email=noemail, create_account=False
            )
            typer.echo(f"blocked {user.name}" + (" (email too)" if noemail else ""))
        finally:
            wiki.close()

    @app.command("unblock")
    def unblock(ctx: typer.Context, name: str) -> None:
        """Lift a user's block."""
        wiki = open_wiki(ctx)
        try:
            user = wiki.users.get_by_name(name)
            if user is None:
                raise _fail(f"no such user: {name}")
            done = wiki.users.unblock(user.id)
            typer.echo(f"unblocked {user.name}" if done else f"{user.name} was not blocked")
        finally:
            wiki.close()

    @app.command("demo-admin")
    def demo_admin(ctx: typer.Context) -> None:
        """While nobody has an account: create Admin with a bot password and print both, once
        (what ``init --demo-admin`` does; kept for stores installed without it)."""
        wiki = open_wiki(ctx)
        try:
            for line in install(wiki, None, None, demo=True):
                typer.echo(line)
        finally:
            wiki.close()
