"""Helpers of the cluster tests: logins, answers and which node gave them, processes in /proc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

LIMITED = "Limited"  # a plain user: emailuser limited to USER_LIMIT a day
BOB = "Bob"
PASSWORD = "Cluster-password-1"
USER_LIMIT = 20
NODE_HEADER = "X-Wikipost-Node"  # set by the development cluster's HAProxy


def login(api_url: str, name: str = LIMITED, password: str = PASSWORD) -> requests.Session:
    """A session logged in (main account, action=login) through ``api_url``."""
    session = requests.Session()
    token = query(session, api_url, meta="tokens", type="login")["query"]["tokens"]["logintoken"]
    answer = session.post(
        api_url,
        data={"action": "login", "lgname": name, "lgpassword": password, "lgtoken": token, "format": "json"},
        timeout=60,
    ).json()
    assert answer["login"]["result"] == "Success", answer
    return session


def query(session: requests.Session, api_url: str, **params: str) -> Any:
    answer = session.get(api_url, params={"action": "query", "format": "json", **params}, timeout=60)
    answer.raise_for_status()
    return answer.json()


def user_name(session: requests.Session, api_url: str) -> str:
    return str(query(session, api_url, meta="userinfo")["query"]["userinfo"]["name"])


def csrf_token(session: requests.Session, api_url: str) -> str:
    return str(query(session, api_url, meta="tokens")["query"]["tokens"]["csrftoken"])


# --- processes -----------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def descendants(root: int) -> dict[int, str]:
    """Every live process under ``root`` (any depth): pid -> start time (for pid reuse)."""
    parents: dict[int, int] = {}
    starts: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is None or fields[0] in ("Z", "X"):
            continue
        parents[int(entry.name)] = int(fields[1])
        starts[int(entry.name)] = fields[19]
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = starts[pid]
                frontier.append(pid)
    return found


def still_running(processes: dict[int, str]) -> list[str]:
    """Those of ``processes`` (from :func:`descendants`) that still run: "pid command" each."""
    left = []
    for pid, start in processes.items():
        fields = _stat(pid)
        if fields is None or fields[0] in ("Z", "X") or fields[19] != start:
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            command = "?"
        left.append(f"{pid} {command.strip()}")
    return left
