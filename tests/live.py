"""A real ``wikipost serve`` process on a free 127.0.0.1 port, with its own data dir and config.

Used by the real-client tests, the conformance runner and the crash tests (SIGKILL mid-send, then
restart and check nothing was lost or sent twice)::

    server = start_live_server(tmp_path, {"mail": {"backend": "maildir"}})
    server.cli("user", "create", "Alice", "--password", "pw")
    requests.get(server.api_url, params={...})
    server.kill(); server.start()          # or server.restart()
    server.stop()

The config is a dict of settings sections written as TOML; ``site`` defaults to the conformance
wiki (tests/support.py CONFORMANCE_SITE) with ``server`` set to this process's real URL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.servers import die_with_parent, free_port
from tests.support import CONFORMANCE_SITE
from wikipost.devcluster.tomlwrite import to_toml, toml_value
from wikipost.settings import Settings, load_settings
from wikipost.wiki import Wiki, build_wiki

START_TIMEOUT = 60.0
# WIKIPOST_TEST_TARGET=cluster: the live-server fixtures and the conformance replay start a
# cluster (two nodes and two workers behind HAProxy, tests/cluster/target.py) instead.
TARGET_ENV = "WIKIPOST_TEST_TARGET"

__all__ = [
    "START_TIMEOUT",
    "TARGET_ENV",
    "LiveServer",
    "LiveServerError",
    "bot_login",
    "cluster_target",
    "post_emailuser",
    "start_live_server",
    "to_toml",
    "toml_value",
    "wikipost_command",
]


def cluster_target() -> bool:
    """Whether the live tests run against a cluster (``WIKIPOST_TEST_TARGET=cluster``)."""
    return os.environ.get(TARGET_ENV, "").strip().lower() == "cluster"


class LiveServerError(RuntimeError):
    pass


def wikipost_command() -> list[str]:
    """The installed ``wikipost`` script beside this interpreter, else ``python -m wikipost``."""
    script = Path(sys.executable).parent / "wikipost"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "wikipost"]


class StoreAccess:
    """The wiki behind a server, from the outside: its settings and a Wiki on its store."""

    config_path: Path
    data_dir: Path

    def settings(self) -> Settings:
        return load_settings(self.config_path, self.data_dir, environ={})

    @contextmanager
    def open_wiki(self) -> Iterator[Wiki]:
        """A Wiki on the same store (for assertions on stored state), closed afterwards."""
        wiki = build_wiki(self.settings())
        try:
            yield wiki
        finally:
            wiki.close()

    def session(self) -> requests.Session:
        return requests.Session()


class LiveServer(StoreAccess):
    """One ``wikipost serve`` process; start/stop/kill/restart keep the data dir and port."""

    def __init__(
        self,
        data_dir: Path,
        config: Mapping[str, Mapping[str, Any]],
        port: int | None = None,
        workers: int = 1,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.workers = workers
        self.base_url = f"http://127.0.0.1:{self.port}"
        site = {**CONFORMANCE_SITE, "server": self.base_url, **dict(config.get("site", {}))}
        self.config: dict[str, dict[str, Any]] = {
            "site": site,
            **{k: dict(v) for k, v in config.items() if k != "site"},
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.data_dir / "wikipost.toml"
        self.config_path.write_text(to_toml(self.config), encoding="utf-8")
        self.log_path = self.data_dir / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    # --- addresses --------------------------------------------------------------------------

    @property
    def script_path(self) -> str:
        return str(self.config["site"].get("script_path", "/w"))

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{self.script_path}/api.php"

    @property
    def index_url(self) -> str:
        return f"{self.base_url}{self.script_path}/index.php"

    # --- the process ------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("WIKIPOST_DATABASE_URL", "WIKIPOST_CONFIG", "WIKIPOST_DATA_DIR")
        }
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _global_args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), "--config", str(self.config_path)]

    def start(self, timeout: float = START_TIMEOUT) -> LiveServer:
        if self.running:
            raise LiveServerError("already running")
        cmd = [
            *wikipost_command(),
            *self._global_args(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it; closed below
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self._env(),
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        finally:
            log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Until api.php answers over HTTP (any status); raises with the log if the process died."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise LiveServerError(f"wikipost serve exited with {self.proc.returncode}:\n{self.log()}")
            try:
                requests.get(self.api_url, params={"action": "query", "format": "json"}, timeout=2)
                return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise LiveServerError(f"wikipost serve did not answer within {timeout}s:\n{self.log()}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal(self, sig: int) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (graceful: uvicorn finishes requests, the worker stops); the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait(10)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, nothing gets to clean up."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal(signal.SIGKILL)
        self.proc.wait(10)

    def restart(self, *, hard: bool = False, timeout: float = START_TIMEOUT) -> LiveServer:
        """Stop (or kill when ``hard``) then start again on the same port and data dir."""
        if hard:
            self.kill()
        else:
            self.stop()
        return self.start(timeout)

    def log(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # --- the same wiki from the outside -----------------------------------------------------

    def cli(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run ``wikipost --data-dir D --config C ARGS`` against this server's store."""
        result = subprocess.run(
            [*wikipost_command(), *self._global_args(), *args],
            capture_output=True,
            text=True,
            input=input,
            env=self._env(),
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise LiveServerError(
                f"wikipost {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_live_server(
    tmp_path: Path,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    init: bool = True,
    workers: int = 1,
    start: bool = True,
) -> LiveServer:
    """A LiveServer in ``tmp_path/live`` (``wikipost init`` first), started unless ``start=False``."""
    data_dir = tmp_path / "live"
    n = 0
    while data_dir.exists():
        n += 1
        data_dir = tmp_path / f"live{n}"
    server = LiveServer(data_dir, config or {}, workers=workers)
    if init:
        server.cli("init")
    if start:
        server.start()
    return server


def bot_login(api_url: str, name: str, password: str) -> tuple[requests.Session, str]:
    """Log a new requests session in (login token, action=login); returns it with its csrf token."""
    session = requests.Session()
    params = {"action": "query", "meta": "tokens", "type": "login", "format": "json"}
    token = session.get(api_url, params=params).json()["query"]["tokens"]["logintoken"]
    login = session.post(
        api_url,
        data={"action": "login", "lgname": name, "lgpassword": password, "lgtoken": token, "format": "json"},
    ).json()
    if login.get("login", {}).get("result") != "Success":
        raise LiveServerError(f"login as {name} failed: {login}")
    csrf = session.get(api_url, params={"action": "query", "meta": "tokens", "format": "json"}).json()[
        "query"
    ]["tokens"]["csrftoken"]
    return session, csrf


def post_emailuser(
    api_url: str, session: requests.Session, csrf: str, subject: str, *, target: str = "Test"
) -> dict[str, Any]:
    """POST action=emailuser ("Hello." to ``target``) in a logged-in session; the JSON answer."""
    r = session.post(
        api_url,
        data={
            "action": "emailuser",
            "target": target,
            "subject": subject,
            "text": "Hello.",
            "token": csrf,
            "format": "json",
        },
        timeout=60,
    )
    answer: dict[str, Any] = r.json()
    return answer
