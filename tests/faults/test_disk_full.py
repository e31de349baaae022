"""Issue #11: the filesystem fills up under a live ``wikipost serve`` (a small tmpfs the test
mounts; it needs root, and is skipped with the reason where it cannot be mounted).

* The maildir's filesystem full: emailuser still answers ``Success`` — the mail is durable in
  the database outbox (D3) — and delivery fails, is retried, leaves no partial file, and
  resumes by itself when space returns: every mail exactly once.
* The database's filesystem full: writing requests are refused with an API error envelope
  (``internal_api_error_*`` with the request id, never a traceback), reads still work, nothing
  of a refused request stays, and the wiki takes requests again once there is space.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.faults.support import Tmpfs, alice, anchor_users, emailuser, subject, wait_until
from tests.live import LiveServer
from wikipost.mail.outbox import OutboxRow

pytestmark = pytest.mark.live

CONFIG: dict[str, dict[str, Any]] = {
    "jobs": {"poll_seconds": 0.05, "lease_seconds": 5},
    "ratelimits": {"emailuser": {"user": [100000, 86400]}},
}
SUCCESS = {"emailuser": {"result": "Success"}}


def _delivered(maildir: Path) -> Counter[str]:
    return Counter(subject(p.read_bytes()) for p in [*maildir.glob("new/*"), *maildir.glob("cur/*")])


def _rows(server: LiveServer) -> list[OutboxRow]:
    with server.open_wiki() as wiki:
        return wiki.outbox.list()


def test_full_maildir_defers_delivery_until_space_returns(tmp_path: Path) -> None:
    with Tmpfs.mounted(tmp_path / "mailfs", 512 * 1024) as fs:
        maildir = fs.path / "maildir"
        config = {
            **CONFIG,
            "mail": {"backend": "maildir", "maildir": str(maildir), "retry_base_seconds": 0.1},
        }
        server = LiveServer(tmp_path / "data", config)
        try:
            server.cli("init")
            anchor_users(server)
            server.start()
            session, csrf = alice(server)
            assert emailuser(server, session, csrf, "Before") == SUCCESS
            wait_until(lambda: _delivered(maildir) == Counter({"Before": 1}), what="the first mail")
            fs.fill()
            subjects = [f"Full {n}" for n in range(10)]
            for name in subjects:
                assert emailuser(server, session, csrf, name) == SUCCESS  # durable in the database
            wait_until(
                lambda: all(
                    r.attempts >= 2 and "No space left on device" in r.last_error
                    for r in _rows(server)
                    if r.subject in subjects
                ),
                what="deliveries failing with ENOSPC, then retried",
            )
            assert list((maildir / "tmp").iterdir()) == []  # no partial file left behind
            assert _delivered(maildir) == Counter({"Before": 1})
            with server.open_wiki() as wiki:
                assert wiki.outbox.counts()["failed"] == 0
            fs.free()
            wait_until(lambda: all(r.status == "sent" for r in _rows(server)), what="delivery resumed")
            assert _delivered(maildir) == Counter({"Before": 1, **{name: 1 for name in subjects}})
        finally:
            server.stop()


def _error(answer: dict[str, Any]) -> dict[str, Any]:
    assert "error" in answer, answer
    error: dict[str, Any] = answer["error"]
    return error


def test_full_database_filesystem_refuses_writes_with_an_error_envelope(tmp_path: Path) -> None:
    with Tmpfs.mounted(tmp_path / "datafs", 32 * 1024 * 1024) as fs:
        maildir = tmp_path / "maildir"  # elsewhere: only the database runs out of space
        server = LiveServer(fs.path, {**CONFIG, "mail": {"backend": "maildir", "maildir": str(maildir)}})
        try:
            server.cli("init")
            anchor_users(server)
            server.start()
            session, csrf = alice(server)
            accepted = []
            for n in range(3):
                assert emailuser(server, session, csrf, f"Before {n}") == SUCCESS
                accepted.append(f"Before {n}")
            fs.fill()
            # Writes first land in space SQLite already holds (the WAL); the refusals start
            # once the database has to grow.
            refused: list[tuple[str, requests.Response]] = []
            for n in range(400):
                name = f"Full {n}"
                response = session.post(
                    server.api_url,
                    data={
                        "action": "emailuser",
                        "target": "Bob",
                        "subject": name,
                        "text": "Hi.",
                        "token": csrf,
                        "format": "json",
                        "requestid": f"req-{n}",
                    },
                    timeout=60,
                )
                if response.json() == SUCCESS:
                    accepted.append(name)
                else:
                    refused.append((name, response))
                    if len(refused) >= 3:
                        break
            assert refused, "the full filesystem never refused a write"
            for name, response in refused:
                error = _error(response.json())
                assert error["code"].startswith("internal_api_error_"), error
                assert response.headers["MediaWiki-API-Error"] == error["code"]
                assert "Traceback" not in response.text and "sqlite" not in response.text.lower()
                assert response.json()["requestid"] == f"req-{name.split()[1]}"
            print("a full database answers:", refused[0][1].status_code, refused[0][1].json()["error"])
            # Reads still work.
            tokens = session.get(
                server.api_url, params={"action": "query", "meta": "tokens", "format": "json"}
            )
            assert tokens.json()["query"]["tokens"]["csrftoken"] == csrf
            fs.free()
            # Space is back: the same server takes requests again, nothing restarted.
            wait_until(
                lambda: emailuser(server, session, csrf, "After") == SUCCESS, what="a write accepted again"
            )
            accepted.append("After")
            wait_until(
                lambda: sum(_delivered(maildir).values()) >= len(accepted), what="every mail delivered"
            )
            wait_until(lambda: all(r.status == "sent" for r in _rows(server)), what="the outbox drained")
            assert _delivered(maildir) == Counter(accepted)  # refused requests left nothing behind
            assert sorted(r.subject for r in _rows(server)) == sorted(accepted)
        finally:
            server.stop()
