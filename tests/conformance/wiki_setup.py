"""Shape a fresh store like the wiki the transcripts were captured on (fixtures README).

``wikipost init --admin Admin …`` installs it as 1.39's installer did (Admin user 1, "MediaWiki
default" user 2 with the Main Page, page 1); the other steps use the ``wikipost`` CLI too. A step
whose command fails falls back to the services in-process (and is reported as such), and a step
that cannot be done at all is reported (the records that depend on it will simply not match).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.live import LiveServer
from wikipost.services.installer import ADMIN_GROUPS, INSTALLER_USER, MAIN_PAGE_TEXT
from wikipost.wiki import Wiki

SERVER = "http://127.0.0.1:8081"  # the captured wiki's $wgServer; texts and URLs name it


@dataclass(frozen=True)
class UserSpec:
    name: str
    password: str
    email: str = ""
    confirmed: bool = False
    groups: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BotPasswordSpec:
    user: str
    app: str
    password: str
    grants: tuple[str, ...]


# In user-id order: Admin is the installer's administrator (user 1), id 2 its system user.
USERS = [
    UserSpec("Admin", "admin-anchor-pass", "admin@anchor.test", True, ADMIN_GROUPS),
    UserSpec(INSTALLER_USER, ""),
    UserSpec("Alice", "alice-anchor-pass", "alice@anchor.test", True),
    UserSpec("Bob", "bob-anchor-pass", "bob@anchor.test", True),
    UserSpec("Carol", "carol-anchor-pass"),
    UserSpec("Dave", "dave-anchor-pass", "dave@anchor.test", False),
    UserSpec("Erin", "erin-anchor-pass", "erin@anchor.test", True, options=(("disablemail", "1"),)),
    UserSpec("Frank", "frank-anchor-pass", "frank@anchor.test", True),
    UserSpec("Gina", "gina-anchor-pass", "gina@anchor.test", True),
]
BOT_PASSWORDS = [
    BotPasswordSpec(
        "Alice",
        "anchor",
        "alicebotpass0123456789abcdefghij",
        ("basic", "highvolume", "sendemail", "editpage"),
    ),
    BotPasswordSpec("Bob", "nomail", "bobbotpass0123456789abcdefghijkl", ("basic",)),
]
FRANK_BLOCK_REASON = "Anchor test: blocked from sending email"


@dataclass
class SetupReport:
    via_cli: list[str] = field(default_factory=list)
    in_process: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        if self.in_process:
            out.append("set up in-process (no CLI command for it): " + ", ".join(self.in_process))
        if self.failed:
            out.append("SET-UP STEPS THAT FAILED: " + "; ".join(self.failed))
        return out


def _cli_ok(server: LiveServer, *args: str) -> bool:
    return server.cli(*args, check=False).returncode == 0


def install_wiki(server: LiveServer) -> SetupReport:
    """``wikipost init`` with the captured wiki's administrator, before the server starts."""
    report = SetupReport()
    admin = USERS[0]
    if _cli_ok(
        server,
        "init",
        "--admin",
        admin.name,
        "--password",
        admin.password,
        "--email",
        admin.email,
        "--confirmed",
    ):
        report.via_cli.append("init (Admin, MediaWiki default, Main Page)")
    else:
        report.failed.append("wikipost init --admin failed: user and page ids will be off")
    return report


def shape_wiki(server: LiveServer, report: SetupReport | None = None) -> SetupReport:
    """Users, preferences, bot passwords and Frank's block; Gina mutes Alice by user id."""
    report = report or SetupReport()
    with server.open_wiki() as wiki:
        users = wiki.users
        _check_installation(wiki, report)
        for spec in USERS:
            step = f"user {spec.name}"
            if users.get_by_name(spec.name) is not None or spec.name == INSTALLER_USER:  # init's
                continue
            args = ["user", "create", spec.name, "--password", spec.password]
            if spec.email:
                args += ["--email", spec.email]
            if spec.confirmed:
                args.append("--confirmed")
            for group in spec.groups:
                args += ["--group", group]
            if _cli_ok(server, *args):
                report.via_cli.append(step)
            else:
                try:
                    users.create(
                        spec.name,
                        spec.password,
                        email=spec.email,
                        confirmed=spec.confirmed,
                        groups=spec.groups,
                    )
                    report.in_process.append(step)
                except Exception as err:  # noqa: BLE001 - reported, the run goes on
                    report.failed.append(f"{step}: {err}")
        # Gina mutes Alice: the CLI takes user names, the stored preference holds user ids.
        options = {spec.name: list(spec.options) for spec in USERS}
        options["Gina"] = [("email-blacklist", "Alice")]
        for name, pairs in options.items():
            for key, value in pairs:
                step = f"option {name} {key}"
                if _cli_ok(server, "user", "set-option", name, key, value):
                    report.via_cli.append(step)
                    continue
                user = users.get_by_name(name)
                if user is None:
                    report.failed.append(f"{step}: no such user")
                    continue
                if key == "email-blacklist":
                    value = "\n".join(str(u.id) for u in map(users.get_by_name, value.split("|")) if u)
                users.set_option(user.id, key, value)
                report.in_process.append(step)
        for bp in BOT_PASSWORDS:
            step = f"bot password {bp.user}@{bp.app}"
            if _cli_ok(
                server,
                "botpassword",
                "create",
                bp.user,
                bp.app,
                "--grants",
                ",".join(bp.grants),
                "--password",
                bp.password,
            ):
                report.via_cli.append(step)
            else:
                report.failed.append(f"{step}: `wikipost botpassword create` unavailable or failed")
        _block_frank(server, wiki, report)
    return report


def _block_frank(server: LiveServer, wiki: Wiki, report: SetupReport) -> None:
    if _cli_ok(server, "block", "Frank", "--noemail", "--reason", FRANK_BLOCK_REASON, "--by", "Admin"):
        report.via_cli.append("block Frank")
        return
    users = wiki.users
    frank, admin = users.get_by_name("Frank"), users.get_by_name("Admin")
    if frank is None:
        report.failed.append("block Frank: no such user")
        return
    users.block(frank.id, by=admin, reason=FRANK_BLOCK_REASON, block_email=True)
    report.in_process.append("block Frank")


def _check_installation(wiki: Wiki, report: SetupReport) -> None:
    """The ids the transcripts show: Admin 1, MediaWiki default 2, the Main Page page 1 (755 bytes)."""
    admin, installer = wiki.users.get_by_name("Admin"), wiki.users.get_by_name(INSTALLER_USER)
    if (admin and admin.id, installer and installer.id) != (1, 2):
        report.failed.append(f"installation: Admin and {INSTALLER_USER} are not users 1 and 2")
    with wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, wiki.titles.parse("Main Page"))
        text = wiki.pages.get_text(conn, page) if page is not None else None
    if page is None or page.id != 1 or text != MAIN_PAGE_TEXT:
        report.failed.append("installation: the Main Page is not page 1 with the installer's text")
