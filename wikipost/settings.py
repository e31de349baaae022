"""Every setting, declared once with its default and help, loaded from one TOML file.

Precedence: defaults, then the TOML file (``--config`` / ``WIKIPOST_CONFIG``), then a few
environment variables (``WIKIPOST_DATABASE_URL``). The result is a frozen :class:`Settings`
passed explicitly to whatever needs it; nothing reads a global.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class SettingsError(ValueError):
    """A configuration value is missing, unknown or of the wrong type; the message names the key."""


def setting(default: Any, help: str) -> Any:
    if isinstance(default, dict | list):
        value = default
        return field(default_factory=lambda: _copy(value), metadata={"help": help})
    return field(default=default, metadata={"help": help})


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


@dataclass(frozen=True)
class SiteSettings:
    name: str = setting("Wikipost", "Site name ($wgSitename); used in mail From and footers.")
    server: str = setting("http://127.0.0.1:8080", "Canonical server URL ($wgServer), no path.")
    script_path: str = setting("/w", "Path of api.php and index.php ($wgScriptPath).")
    wiki_id: str = setting("wikipost", "Wiki id (database name); also the cookie prefix.")
    password_sender: str = setting("wiki@localhost", "Address mail is sent from ($wgPasswordSender).")
    language: str = setting("en", "Content language code.")
    read_only: str = setting("", "When not empty the wiki is read-only and this is the reason.")
    show_hostnames: bool = setting(False, "Add servedby to responses ($wgShowHostnames).")
    cross_site_ajax_domains: list[str] = setting([], "Origins allowed for CORS ($wgCrossSiteAJAXdomains).")
    max_body_bytes: int = setting(16 * 1024 * 1024, "Largest request body accepted, in bytes.")
    allow_user_js: bool = setting(
        False, "Run each logged-in user's User:NAME/common.js on every page ($wgAllowUserJs)."
    )
    clock_offset: float = setting(
        0.0,
        "Seconds added to the system clock, for every process of the wiki: run it as if on "
        "another day (replays of captured transcripts, whose signatures carry the capture's date). "
        "Normally 0.",
    )
    secret_key: str = setting(
        "",
        "Key that signs Special:RunJobs requests ($wgSecretKey). Empty: the key `wikipost init` "
        "wrote to <data dir>/secret_key.",
    )

    @property
    def api_url(self) -> str:
        return f"{self.server}{self.script_path}/api.php"

    @property
    def index_url(self) -> str:
        return f"{self.server}{self.script_path}/index.php"

    @property
    def host(self) -> str:
        """host[:port] of the server URL: the name of the local site for MassMessage."""
        return urlsplit(self.server).netloc


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = setting("", "SQLAlchemy URL; empty means SQLite under the data dir.")


@dataclass(frozen=True)
class MailSettings:
    backend: str = setting("maildir", 'Mail backend: "maildir", "smtp" or "memory".')
    smtp_host: str = setting("127.0.0.1", "SMTP server host.")
    smtp_port: int = setting(25, "SMTP server port.")
    smtp_user: str = setting("", "SMTP AUTH user name (empty: no AUTH).")
    smtp_password: str = setting("", "SMTP AUTH password.")
    smtp_tls: str = setting("", 'TLS mode: "" (none), "starttls" or "tls".')
    smtp_timeout: float = setting(30.0, "Seconds before an SMTP operation times out.")
    enable_user_email: bool = setting(True, "Allow users to email each other ($wgEnableUserEmail).")
    enable_email: bool = setting(True, "Allow the wiki to send any mail ($wgEnableEmail).")
    user_email_use_reply_to: bool = setting(True, "From is the site, Reply-To the sender.")
    email_authentication: bool = setting(True, "Require a confirmed address ($wgEmailAuthentication).")
    delivery: str = setting("outbox", '"outbox" (durable, background) or "sync" (1.39 behaviour).')
    maildir: str = setting("", "Maildir path; empty means <data dir>/maildir.")
    max_attempts: int = setting(8, "Delivery attempts before a mail is marked failed.")
    retry_base_seconds: float = setting(5.0, "First retry delay; doubles on each attempt.")
    dedupe_seconds: int = setting(600, "Window in which an identical emailuser request sends nothing new.")
    dkim_selector: str = setting(
        "", "DKIM selector (the DNS name <selector>._domainkey.<domain>); empty: mail is not signed."
    )
    dkim_domain: str = setting("", "DKIM signing domain (d=); empty: the domain of [site] password_sender.")
    dkim_private_key_file: str = setting("", "PEM file of the DKIM RSA private key (with dkim_selector).")

    def __post_init__(self) -> None:
        """A DKIM configuration that cannot sign is refused when the settings load, naming the
        key file (wikipost/mail/dkimsign.py), rather than failing every mail later."""
        if not (self.dkim_selector or self.dkim_domain or self.dkim_private_key_file):
            return
        from wikipost.mail.dkimsign import check_dkim_settings

        try:
            check_dkim_settings(self.dkim_selector, self.dkim_domain, self.dkim_private_key_file)
        except ValueError as err:
            raise SettingsError(f"[mail] {err}") from err


DEFAULT_RATELIMITS: dict[str, dict[str, list[int]]] = {
    # MediaWiki 1.39's $wgRateLimits, in its order (meta=userinfo&uiprop=ratelimits in the
    # transcripts shows these values for anonymous and autoconfirmed users).
    "edit": {"ip": [8, 60], "newbie": [8, 60], "user": [90, 60]},
    "move": {"newbie": [2, 120], "user": [8, 60]},
    "upload": {"ip": [8, 60], "newbie": [8, 60]},
    "rollback": {"user": [10, 60], "newbie": [5, 120]},
    "mailpassword": {"ip": [5, 3600]},
    "emailuser": {"ip": [5, 86400], "newbie": [5, 86400], "user": [20, 86400]},
    "changeemail": {"newbie": [1, 86400], "user": [4, 86400]},
    "confirmemail": {"newbie": [1, 86400], "user": [4, 86400]},
    "purge": {"ip": [30, 60], "user": [30, 60]},
    "linkpurge": {"ip": [30, 60], "user": [30, 60]},
    "renderfile": {"ip": [700, 30], "user": [700, 30]},
    "renderfile-nonstandard": {"ip": [70, 30], "user": [70, 30]},
    "stashedit": {"ip": [30, 60], "newbie": [30, 60]},
    "stashbasehtml": {"ip": [5, 60], "newbie": [5, 60]},
    "changetag": {"ip": [8, 60], "newbie": [8, 60]},
    "editcontentmodel": {"newbie": [2, 120], "user": [8, 60]},
}


@dataclass(frozen=True)
class RateLimitSettings:
    storage: str = setting(
        "memory://",
        'Counter storage: "memory://" (one process), "database" (shared through the store, exact '
        'across serve --workers) or "redis://host:port/db".',
    )
    limits: dict[str, dict[str, list[int]]] = setting(
        DEFAULT_RATELIMITS, "action -> group -> [hits, seconds], like $wgRateLimits."
    )


DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    # Orders and contents as MediaWiki 1.39 reports them (meta=userinfo in the transcripts).
    "*": [
        "createaccount",
        "read",
        "edit",
        "createpage",
        "createtalk",
        "writeapi",
        "viewmywatchlist",
        "editmywatchlist",
        "viewmyprivateinfo",
        "editmyprivateinfo",
        "editmyoptions",
    ],
    "user": [
        "move",
        "move-subpages",
        "move-rootuserpages",
        "move-categorypages",
        "movefile",
        "read",
        "edit",
        "createpage",
        "createtalk",
        "writeapi",
        "upload",
        "reupload",
        "reupload-shared",
        "minoredit",
        "editmyusercss",
        "editmyuserjson",
        "editmyuserjs",
        "editmyuserjsredirect",
        "purge",
        "sendemail",
        "applychangetags",
        "changetags",
        "editcontentmodel",
        "viewmywatchlist",
        "editmywatchlist",
    ],
    "autoconfirmed": ["autoconfirmed", "editsemiprotected"],
    "bot": [
        "bot",
        "autoconfirmed",
        "editsemiprotected",
        "nominornewtalk",
        "autopatrol",
        "suppressredirect",
        "apihighlimits",
        "writeapi",
    ],
    "sysop": [
        "block",
        "createaccount",
        "delete",
        "bigdelete",
        "deletedhistory",
        "deletedtext",
        "undelete",
        "editinterface",
        "editsitejson",
        "edituserjson",
        "import",
        "importupload",
        "move",
        "move-subpages",
        "move-rootuserpages",
        "move-categorypages",
        "patrol",
        "autopatrol",
        "protect",
        "editprotected",
        "rollback",
        "upload",
        "reupload",
        "reupload-shared",
        "unwatchedpages",
        "autoconfirmed",
        "editsemiprotected",
        "ipblock-exempt",
        "blockemail",
        "markbotedits",
        "apihighlimits",
        "browsearchive",
        "noratelimit",
        "movefile",
        "unblockself",
        "suppressredirect",
        "mergehistory",
        "managechangetags",
        "deletechangetags",
        "massmessage",
    ],
    "interface-admin": [
        "editinterface",
        "editsitecss",
        "editsitejson",
        "editsitejs",
        "editusercss",
        "edituserjson",
        "edituserjs",
    ],
    "bureaucrat": ["userrights", "noratelimit"],
    "suppress": [
        "hideuser",
        "suppressrevision",
        "viewsuppressed",
        "suppressionlog",
        "deleterevision",
        "deletelogentry",
    ],
}


@dataclass(frozen=True)
class UserSettings:
    autoconfirm_age: int = setting(0, "Seconds since registration before a user is autoconfirmed.")
    autoconfirm_count: int = setting(0, "Edits before a user is autoconfirmed.")
    session_expiry: int = setting(3600, "Seconds of inactivity before a server-side session expires.")
    password_attempt_throttle: list[list[int]] = setting(
        [[5, 300], [150, 172800]], "[count, seconds] pairs, like $wgPasswordAttemptThrottle."
    )
    enable_bot_passwords: bool = setting(True, "Allow bot passwords ($wgEnableBotPasswords).")
    user_email_mute_list: bool = setting(True, "Allow users to mute senders ($wgEnableUserEmailMuteList).")
    account_creation_throttle: list[list[int]] = setting(
        [[6, 86400]],
        "[count, seconds] pairs: accounts one IP address may create ($wgAccountCreationThrottle); "
        "creators with the noratelimit right are exempt.",
    )
    min_password_length: int = setting(
        8, "Shortest password a new account may have (the default policy's MinimalPasswordLength)."
    )
    add_groups: dict[str, list[str]] = setting(
        {},
        "group -> groups its members may add to any user ($wgAddGroups); the userrights right "
        "allows every group.",
    )
    remove_groups: dict[str, list[str]] = setting(
        {}, "group -> groups its members may remove from any user ($wgRemoveGroups)."
    )
    groups_add_to_self: dict[str, list[str]] = setting(
        {}, "group -> groups its members may add to themselves ($wgGroupsAddToSelf)."
    )
    groups_remove_from_self: dict[str, list[str]] = setting(
        {}, "group -> groups its members may remove from themselves ($wgGroupsRemoveFromSelf)."
    )


@dataclass(frozen=True)
class MassMessageSettings:
    delivery_user: str = setting("MediaWiki message delivery", "Account that makes the deliveries.")
    optout_category: str = setting(
        "Opted-out of message delivery", "Category (without prefix) whose talk pages are skipped."
    )
    max_targets: int = setting(100000, "Largest delivery list accepted.")


@dataclass(frozen=True)
class JobSettings:
    lease_seconds: int = setting(60, "A claimed job not finished within this time is retried.")
    poll_seconds: float = setting(0.2, "How often the background worker looks for new work.")
    runner: str = setting(
        "process",
        'Where `serve` runs background work (mail, jobs): "process" (one worker process beside '
        'the server, on its own core), "thread" (a thread in each server process) or "none" (no '
        "background work in serve: `wikipost worker` processes do it, as on the nodes of a cluster).",
    )
    batch: int = setting(200, "Jobs a worker claims at once.")
    backend: str = setting(
        "auto",
        'The job queue: "table" (our in-store queue, the embedded default), "procrastinate" '
        "(PostgreSQL only: procrastinate workers woken by LISTEN/NOTIFY, any number on any "
        'machine) or "auto" (procrastinate on PostgreSQL, the table on SQLite).',
    )
    retry_base_seconds: float = setting(5.0, "A failed job's first retry waits this long; doubles each time.")
    concurrency: int = setting(4, "procrastinate: jobs one `wikipost worker` runs at once.")
    chunk: int = setting(100, "procrastinate: mass-message deliveries carried by one job.")
    heartbeat_seconds: float = setting(2.0, "procrastinate: how often a worker says it is alive.")
    stalled_seconds: float = setting(
        15.0, "procrastinate: a worker silent this long is dead; its running jobs are retried."
    )


@dataclass(frozen=True)
class ClusterSettings:
    nodes: int = setting(
        1,
        "How many `wikipost serve` nodes share this store (a node cannot tell otherwise). Above 1, "
        "state held in one process or on one machine is refused: memory:// rate-limit counters "
        "and an SQLite store (wikipost/cluster_rules.py).",
    )
    trusted_proxies: list[str] = setting(
        [],
        "Addresses of the load balancers in front (e.g. HAProxy with `option forwardfor`) whose "
        "X-Forwarded-For names the client: rate limits, throttles and blocks by IP then see the "
        "client, not the balancer. Empty: the peer address is the client.",
    )


@dataclass(frozen=True)
class HealthSettings:
    max_worker_lag_seconds: float = setting(
        30.0,
        "/readyz answers 503 when no background worker has written a heartbeat for this long, or "
        "when a due job or mail has waited this long unclaimed.",
    )
    metrics: bool = setting(True, "Serve /metrics (Prometheus) and count requests for it.")

    def __post_init__(self) -> None:
        if not self.max_worker_lag_seconds > 0:
            raise SettingsError("[health] max_worker_lag_seconds must be above 0")


@dataclass(frozen=True)
class LoggingSettings:
    format: str = setting("text", 'Log lines as "text" or as "json" (one object per line).')
    level: str = setting("info", "Lowest level written: debug, info, warning or error.")
    access: bool = setting(True, "One access line per request (method, module, code, time, request id).")

    def __post_init__(self) -> None:
        if self.format not in ("text", "json"):
            raise SettingsError('[logging] format must be "text" or "json"')
        if self.level.lower() not in ("debug", "info", "warning", "error"):
            raise SettingsError("[logging] level must be debug, info, warning or error")


SECTIONS: dict[str, type] = {
    "site": SiteSettings,
    "database": DatabaseSettings,
    "mail": MailSettings,
    "ratelimits": RateLimitSettings,
    "users": UserSettings,
    "massmessage": MassMessageSettings,
    "jobs": JobSettings,
    "health": HealthSettings,
    "logging": LoggingSettings,
    "cluster": ClusterSettings,
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    site: SiteSettings = field(default_factory=SiteSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    ratelimits: RateLimitSettings = field(default_factory=RateLimitSettings)
    permissions: dict[str, list[str]] = field(default_factory=lambda: _copy(DEFAULT_PERMISSIONS))
    users: UserSettings = field(default_factory=UserSettings)
    massmessage: MassMessageSettings = field(default_factory=MassMessageSettings)
    jobs: JobSettings = field(default_factory=JobSettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{(self.data_dir / 'wikipost.sqlite').resolve()}"

    @property
    def maildir_path(self) -> Path:
        return Path(self.mail.maildir) if self.mail.maildir else self.data_dir / "maildir"

    def replace(self, **sections: Any) -> Settings:
        """A copy with some sections' keys changed: ``replace(mail={"backend": "memory"})``."""
        changes: dict[str, Any] = {}
        for name, values in sections.items():
            if name in SECTIONS:
                changes[name] = _build_section(name, values, getattr(self, name))
            else:
                changes[name] = values
        return dataclasses.replace(self, **changes)


def _check_type(section: str, key: str, value: Any, expected: Any) -> Any:
    kind = str(expected)
    if kind in ("bool",) and not isinstance(value, bool):
        raise SettingsError(f"[{section}] {key} must be true or false")
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise SettingsError(f"[{section}] {key} must be an integer")
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"[{section}] {key} must be a number")
        return float(value)
    if kind == "str" and not isinstance(value, str):
        raise SettingsError(f"[{section}] {key} must be a string")
    if kind.startswith("list") and not isinstance(value, list):
        raise SettingsError(f"[{section}] {key} must be a list")
    if kind.startswith("dict") and not isinstance(value, dict):
        raise SettingsError(f"[{section}] {key} must be a table")
    return value


def _build_section(
    name: str, values: Mapping[str, Any], base: Any = None, problems: list[str] | None = None
) -> Any:
    """One section from its TOML table; every bad key is found, not only the first.

    Without ``problems`` they are raised together as one :class:`SettingsError`. With it (what
    ``wikipost check`` uses) they are appended there and each bad key keeps its default (or
    ``base``'s value), so the rest of the configuration can still be checked.
    """
    found: list[str] = []
    if name == "ratelimits":
        section: Any = _build_ratelimits(values, base, found)
    else:
        cls = SECTIONS[name]
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in fields:
                found.append(f"unknown setting [{name}] {key}")
                continue
            try:
                kwargs[key] = _check_type(name, key, value, fields[key].type)
            except SettingsError as err:
                found.append(str(err))
        try:
            section = dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)
        except SettingsError as err:  # a check across keys (a section's __post_init__)
            found.append(str(err))
            section = base if base is not None else cls()
    if found and problems is None:
        raise SettingsError("; ".join(found))
    if problems is not None:
        problems.extend(found)
    return section


def _build_ratelimits(values: Mapping[str, Any], base: Any, found: list[str]) -> RateLimitSettings:
    """$wgRateLimits shape: action tables beside the scalar "storage" key."""
    storage = values.get("storage", base.storage if base else "memory://")
    limits = _copy(base.limits) if base else _copy(DEFAULT_RATELIMITS)
    for action, groups in values.items():
        if action == "storage":
            continue
        try:
            if action == "limits" and isinstance(groups, dict):
                limits.update(_check_limits(groups))
            else:
                limits.update(_check_limits({action: groups}))
        except SettingsError as err:
            found.append(str(err))
    try:
        storage = _check_type("ratelimits", "storage", storage, "str")
    except SettingsError as err:
        found.append(str(err))
        storage = base.storage if base else "memory://"
    return RateLimitSettings(storage=storage, limits=limits)


def _check_limits(table: Mapping[str, Any]) -> dict[str, dict[str, list[int]]]:
    out: dict[str, dict[str, list[int]]] = {}
    for action, groups in table.items():
        if not isinstance(groups, dict):
            raise SettingsError(f"[ratelimits] {action} must be a table of group = [hits, seconds]")
        out[action] = {}
        for group, pair in groups.items():
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
            ):
                raise SettingsError(f"[ratelimits] {action}.{group} must be [hits, seconds]")
            out[action][group] = [pair[0], pair[1]]
    return out


def load_settings(
    config: Path | str | None = None,
    data_dir: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build :class:`Settings` from defaults, the TOML file and the environment.

    Raises one :class:`SettingsError` naming every problem found (see :func:`collect_settings`).
    """
    settings, problems = collect_settings(config, data_dir, environ)
    if problems:
        raise SettingsError("; ".join(problems))
    return settings


def collect_settings(
    config: Path | str | None = None,
    data_dir: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Settings, list[str]]:
    """:func:`load_settings` that does not stop at a problem: the settings with every bad key
    left at its default, and the list of all problems, each naming its key (``wikipost check``)."""
    env = os.environ if environ is None else environ
    config = config or env.get("WIKIPOST_CONFIG") or None
    raw: dict[str, Any] = {}
    problems: list[str] = []
    if config:
        path = Path(config)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(f"configuration file not found: {path}")
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"configuration file {path} cannot be read: {err}")
        except tomllib.TOMLDecodeError as err:
            problems.append(f"{path} is not valid TOML: {err}")
    kwargs: dict[str, Any] = {}
    for name, values in raw.items():
        if name == "permissions":
            if not isinstance(values, dict) or not all(isinstance(v, list) for v in values.values()):
                problems.append("[permissions] must map group names to lists of rights")
                continue
            perms = _copy(DEFAULT_PERMISSIONS)
            perms.update({g: [str(r) for r in rights] for g, rights in values.items()})
            kwargs["permissions"] = perms
        elif name in SECTIONS:
            if not isinstance(values, dict):
                problems.append(f"[{name}] must be a table")
                continue
            kwargs[name] = _build_section(name, values, problems=problems)
        else:
            problems.append(f"unknown settings section [{name}]")
    db_url = env.get("WIKIPOST_DATABASE_URL")
    if db_url:
        kwargs["database"] = DatabaseSettings(url=db_url)
    database = kwargs.get("database")
    if database is not None and database.url:
        where = "WIKIPOST_DATABASE_URL" if db_url else "[database] url"
        problem = _database_url_problem(database.url, where)
        if problem:
            problems.append(problem)
            kwargs["database"] = DatabaseSettings()
    directory = data_dir or env.get("WIKIPOST_DATA_DIR") or "var"
    kwargs = _with_stored_secret_key(kwargs, Path(directory))
    return Settings(data_dir=Path(directory), **kwargs), problems


def _database_url_problem(url: str, where: str) -> str | None:
    """Why SQLAlchemy cannot use ``url`` (never quoting it: it may hold a password), or None."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"{where} is not a database URL (dialect+driver://user:password@host:port/name)"
    except ValueError as err:  # a port that is not a number
        return f"{where} is not a database URL: {err}"
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        return f"{where} names an unknown database {parsed.drivername!r} (sqlite or postgresql+psycopg)"
    return None


# Where `wikipost init` keeps the secret key when the configuration names none.
SECRET_KEY_FILE = "secret_key"


def _with_stored_secret_key(kwargs: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    """``[site] secret_key`` from the data dir's key file when the configuration sets none."""
    site = kwargs.get("site") or SiteSettings()
    if site.secret_key:
        return kwargs
    try:
        stored = (data_dir / SECRET_KEY_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return kwargs
    return {**kwargs, "site": dataclasses.replace(site, secret_key=stored)} if stored else kwargs


def describe_settings() -> list[tuple[str, str, Any, str]]:
    """(section, key, default, help) for every declared setting, for `wikipost settings`."""
    rows = []
    for name, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            rows.append((name, f.name, default, f.metadata.get("help", "")))
    return rows
