"""Starting servers from Debian's packages on 127.0.0.1: installing them, ports, child processes.

Shared by the development cluster (``make cluster``) and the test suite's fixtures
(tests/servers.py). The binaries are installed with ``apt-get`` when missing (a fresh CI machine
runs as root); when a server truly cannot be had, :class:`ServerUnavailable` says why.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
INSTALL_TIMEOUT = 600


class ServerUnavailable(RuntimeError):
    """The server's binaries are missing and could not be installed, or it would not start."""


def _load_libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()  # loaded here: the child of a fork must not import or open anything


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM when its parent dies (no server outlives a killed run).

    For ``preexec_fn``. The signal comes when the *thread* that started the child ends, so
    start children from a thread that lives as long as they should.
    """
    if _LIBC is not None:
        _LIBC.prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerUnavailable(f"server exited with {proc.returncode}: {tail(log)}")
        if port_open(port):
            return
        time.sleep(0.05)
    raise ServerUnavailable(f"server did not listen on 127.0.0.1:{port} within {timeout}s: {tail(log)}")


def tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def stop_process_group(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """Signal the child's process group (it was started with ``start_new_session``), wait up to
    ``timeout`` for the child to exit, then SIGKILL whatever is left of the group.

    The child is reaped only at the end: until then its pid, and so the group id, cannot be
    given to another process, so the SIGKILL never reaches a stranger. A child reaped before
    (``returncode`` set) is left alone for the same reason.
    """
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    deadline = time.monotonic() + timeout
    while not _exited(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def _exited(pid: int) -> bool:
    """Whether our child has exited, without reaping it (``WNOWAIT``)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped elsewhere already
        return True


# --- installing -------------------------------------------------------------------------------

_apt_updated = False


def apt_install(packages: list[str]) -> None:
    """``apt-get install`` the packages; on failure ``apt-get update`` once and try again."""
    global _apt_updated
    if shutil.which("apt-get") is None:
        raise ServerUnavailable(f"{' '.join(packages)} missing and there is no apt-get to install them")
    if os.geteuid() != 0:
        raise ServerUnavailable(f"{' '.join(packages)} missing and installing needs root")
    cmd = [
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "-o",
        "DPkg::Lock::Timeout=300",
        *packages,
    ]
    first = _run(cmd)
    if first.returncode == 0:
        return
    if not _apt_updated:
        _apt_updated = True
        _run(["apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=300"])
        again = _run(cmd)
        if again.returncode == 0:
            return
        first = again
    raise ServerUnavailable(f"apt-get install {' '.join(packages)} failed: {first.stdout[-1500:]}")


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            cmd,
            env=APT_ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=INSTALL_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as err:
        return subprocess.CompletedProcess(cmd, 124, stdout=f"timed out: {err}")


def ensure_binary(name: str, package: str) -> str:
    """The path of ``name`` on PATH (or /usr/sbin), installing Debian's ``package`` if missing."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if found is None:
        apt_install([package])
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if found is None:
        raise ServerUnavailable(f"{package} installed but no {name} found")
    return found


def service_user() -> tuple[int, int] | None:
    """(uid, gid) to run a server as when we are root (PostgreSQL refuses root); None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise ServerUnavailable("running as root and neither a postgres nor a nobody user exists")
