"""Helpers for the real-client tests: module presence checks, wiki set-up, pywikibot runs.

pywikibot reads its configuration at import time and keeps global state (throttle files, an
on-disk API cache), so each pywikibot scenario runs in a fresh subprocess with its own
``PYWIKIBOT_DIR`` holding a ``user-config.py`` and a mode-600 ``user-password.py`` (clients.md
§1.3e, recipe 1). The scenario prints one JSON line that the test reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveServer
from wikipost.api.registry import build_registry

FAMILY = "anchorwiki"
BOT_APP = "mybot"
BOT_PASSWORD = "abcdefghijklmnopqrstuvw012345678"  # 32 characters of [0-9a-w], as 1.39 requires
GRANTS = "basic,highvolume,sendemail,editpage,createeditmovepage,editprotected"  # highvolume: massmessage


def missing_modules(*paths: str) -> list[str]:
    """The API modules (``"login"``, ``"query+siteinfo"``) not registered in this build."""
    registry = build_registry()
    return [p for p in paths if registry.by_path(p) is None]


def require_modules(*paths: str) -> None:
    """Fail (not skip: every module has landed, a missing one is a regression) unless registered."""
    missing = missing_modules(*paths)
    if missing:
        pytest.fail(
            "not registered: "
            + ", ".join(f"action={p}" if "+" not in p else p.replace("query+", "query ") for p in missing)
        )


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    email: str

    @property
    def bot_login(self) -> str:
        return f"{self.name}@{BOT_APP}"


def create_account(
    server: LiveServer,
    name: str,
    *,
    email: str | None = None,
    groups: tuple[str, ...] = (),
    bot_password: bool = True,
) -> Account:
    """A confirmed-email user (CLI ``user create``) with the bot password ``NAME@mybot``.

    A missing or failing CLI command raises (``LiveServer.cli`` checks the exit status)."""
    address = email or f"{name.lower()}@anchor.test"
    password = f"{name}-main-password-1"
    args = ["user", "create", name, "--password", password, "--email", address, "--confirmed"]
    for group in groups:
        args += ["--group", group]
    server.cli(*args)
    if bot_password:
        server.cli("botpassword", "create", name, BOT_APP, "--grants", GRANTS, "--password", BOT_PASSWORD)
    return Account(name, password, address)


def mail_files(server: LiveServer) -> list[Path]:
    """Messages delivered to the maildir backend (``<data dir>/maildir/new``)."""
    new = server.data_dir / "maildir" / "new"
    return sorted(new.iterdir()) if new.is_dir() else []


def write_pywikibot_config(base: Path, server: LiveServer, user: str | None) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    lines = [
        f"family_files[{FAMILY!r}] = {server.api_url!r}",
        f"family = {FAMILY!r}",
        f"mylang = {FAMILY!r}",
        "put_throttle = 0",
        "minthrottle = 0",
        "maxthrottle = 1",
        "max_retries = 2",
        "retry_wait = 1",
        "retry_max = 2",
        "socket_timeout = (5, 30)",
        "log = []",
        "noisysleep = 600",
    ]
    if user:
        lines.append(f"usernames[{FAMILY!r}]['*'] = {user!r}")
        lines.append("password_file = 'user-password.py'")
        password_file = base / "user-password.py"
        password_file.write_text(f"({user!r}, BotPassword({BOT_APP!r}, {BOT_PASSWORD!r}))\n")
        password_file.chmod(0o600)
    config = base / "user-config.py"
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)
    return base


def run_pywikibot(
    tmp_path: Path, server: LiveServer, code: str, *, user: str | None = None, timeout: float = 180
) -> Any:
    """Run ``code`` (with ``pywikibot`` imported and ``site`` built) in a subprocess.

    The code must end by assigning ``result``; its JSON is returned. A failure raises with the
    subprocess's output.
    """
    base = write_pywikibot_config(tmp_path / "pywikibot", server, user)
    script = (
        "import json, pywikibot\n"
        f"site = pywikibot.Site({FAMILY!r}, {FAMILY!r})\n"
        + textwrap.dedent(code)
        + "\nprint('RESULT ' + json.dumps(result))\n"
    )
    env = {**os.environ, "PYWIKIBOT_DIR": str(base)}
    env.pop("PYWIKIBOT_NO_USER_CONFIG", None)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, env=env, cwd=base
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise AssertionError(
        f"pywikibot exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\n"
        f"stderr:\n{proc.stderr[-4000:]}\nserver log:\n{server.log()}"
    )
