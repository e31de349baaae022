"""Shape a fresh store like the wiki the transcripts were captured on (fixtures README).

Each step uses the ``wikipost`` CLI; a step whose command fails falls back to the services
in-process (and is reported as such), and a step that cannot be done at all is reported (the
records that depend on it will simply not match).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.live import LiveServer

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


# In user-id order: id 2 was MediaWiki's installer account ("MediaWiki default").
USERS = [
    UserSpec(
        "Admin", "admin-anchor-pass", "admin@anchor.test", True, ("sysop", "bureaucrat", "interface-admin")
    ),
    UserSpec("MediaWiki default", ""),
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
# MediaWiki 1.39's installer writes page 1 / revision 1 as "MediaWiki default" (755 bytes).
MAIN_PAGE = (
    "<strong>MediaWiki has been installed.</strong>\n\n"
    "Consult the [https://www.mediawiki.org/wiki/Special:MyLanguage/Help:Contents User's Guide] "
    "for information on using the wiki software.\n\n"
    "== Getting started ==\n"
    "* [https://www.mediawiki.org/wiki/Special:MyLanguage/Manual:Configuration_settings "
    "Configuration settings list]\n"
    "* [https://www.mediawiki.org/wiki/Special:MyLanguage/Manual:FAQ MediaWiki FAQ]\n"
    "* [https://lists.wikimedia.org/postorius/lists/mediawiki-announce.lists.wikimedia.org/ "
    "MediaWiki release mailing list]\n"
    "* [https://www.mediawiki.org/wiki/Special:MyLanguage/Localisation#Translation_resources "
    "Localise MediaWiki for your language]\n"
    "* [https://www.mediawiki.org/wiki/Special:MyLanguage/Manual:Combating_spam "
    "Learn how to combat spam on your wiki]"
)


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


def shape_wiki(server: LiveServer) -> SetupReport:
    """Users, preferences, bot passwords and Frank's block; Gina mutes Alice by user id."""
    report = SetupReport()
    with server.open_wiki() as wiki:
        users = wiki.users
        for spec in USERS:
            step = f"user {spec.name}"
            if spec.name == "MediaWiki default":
                installer = users.get_or_create_system_user(spec.name)
                _main_page(wiki, users.actor_for(installer), report)
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


def _block_frank(server: LiveServer, wiki: object, report: SetupReport) -> None:
    if _cli_ok(server, "block", "Frank", "--noemail", "--reason", FRANK_BLOCK_REASON, "--by", "Admin"):
        report.via_cli.append("block Frank")
        return
    users = wiki.users  # type: ignore[attr-defined]
    frank, admin = users.get_by_name("Frank"), users.get_by_name("Admin")
    if frank is None:
        report.failed.append("block Frank: no such user")
        return
    users.block(frank.id, by=admin, reason=FRANK_BLOCK_REASON, block_email=True)
    report.in_process.append("block Frank")


def _main_page(wiki: object, actor: object, report: SetupReport) -> None:
    try:
        pages = wiki.pages  # type: ignore[attr-defined]
        title = wiki.titles.parse("Main Page")  # type: ignore[attr-defined]
        with wiki.db.write() as conn:  # type: ignore[attr-defined]
            pages.save(conn, title=title, actor=actor, text=MAIN_PAGE, summary="", auto_summary=False)
        report.in_process.append("Main Page")
    except Exception as err:  # noqa: BLE001 - reported; page ids will be off by one
        report.failed.append(f"Main Page: {type(err).__name__}: {err}")
