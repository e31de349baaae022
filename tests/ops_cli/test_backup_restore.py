"""``wikipost backup`` copies a running wiki's store while emailuser sends and page edits go on;
``wikipost restore`` puts the copy into a new data dir, and a server started there serves the
same users, pages and queued mail, with the same secret key. Restore checks the file before it
replaces anything, refuses to overwrite a store without --force (or one a server has open), and
migrates an older schema."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.anchorwiki import PASSWORDS
from tests.faults.support import anchor_users, emailuser, wait_until
from tests.live import LiveServer, bot_login, start_live_server
from tests.ops_cli.support import clean_env, run
from tests.servers import free_port

pytestmark = pytest.mark.live

MAIL = re.compile(r"'(Load mail \d+)'")


@dataclass
class Writer:
    """A thread doing one kind of write in a loop; what it finished, in order."""

    name: str
    write: Callable[[int], None]
    done: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> Writer:
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        n = 0
        while not self.stop.is_set():
            try:
                self.write(n)
            except Exception as err:  # reported by the test, which then fails
                self.errors.append(f"{self.name} {n}: {err!r}")
                return
            self.done.append(n)
            n += 1

    def finish(self) -> None:
        self.stop.set()
        assert self.thread is not None
        self.thread.join(60)
        assert not self.errors, self.errors


def _config(smtp_port: int) -> dict[str, dict[str, Any]]:
    # Nobody listens on the SMTP port: the accepted mail stays queued (its next try an hour
    # away), so the backup holds queued mail to compare.
    return {
        "mail": {"backend": "smtp", "smtp_port": smtp_port, "smtp_timeout": 1.0, "retry_base_seconds": 3600},
        "ratelimits": {
            "emailuser": {"user": [100000, 86400], "newbie": [100000, 86400], "ip": [100000, 86400]},
            "edit": {"user": [100000, 60], "newbie": [100000, 60], "ip": [100000, 60]},
        },
        "jobs": {"poll_seconds": 0.05},
    }


def _page_title(n: int) -> str:
    return f"Load page {n}"


def _edit_writer(server: LiveServer) -> Callable[[int], None]:
    session, csrf = bot_login(server.api_url, "Alice", PASSWORDS["Alice"])

    def write(n: int) -> None:
        answer = session.post(
            server.api_url,
            data={
                "action": "edit",
                "title": _page_title(n),
                "text": f"Text of page {n}.",
                "createonly": "1",
                "token": csrf,
                "format": "json",
            },
            timeout=60,
        ).json()
        assert answer.get("edit", {}).get("result") == "Success", answer

    return write


def _mail_writer(server: LiveServer) -> Callable[[int], None]:
    session, csrf = bot_login(server.api_url, "Alice", PASSWORDS["Alice"])

    def write(n: int) -> None:
        answer = emailuser(server, session, csrf, f"Load mail {n}")
        assert answer == {"emailuser": {"result": "Success"}}, answer

    return write


def _pages(server: LiveServer, numbers: list[int]) -> dict[str, str | None]:
    """Title -> current text (None: missing), over HTTP."""
    found: dict[str, str | None] = {}
    for start in range(0, len(numbers), 50):
        titles = "|".join(_page_title(n) for n in numbers[start : start + 50])
        answer = requests.get(
            server.api_url,
            params={
                "action": "query",
                "titles": titles,
                "prop": "revisions",
                "rvprop": "content",
                "rvslots": "main",
                "format": "json",
                "formatversion": "2",
            },
            timeout=60,
        ).json()
        for page in answer["query"]["pages"]:
            revisions = page.get("revisions")
            found[page["title"]] = None if page.get("missing") else revisions[0]["slots"]["main"]["content"]
    return found


def _users(server: LiveServer, names: list[str]) -> dict[str, int]:
    answer = requests.get(
        server.api_url,
        params={"action": "query", "list": "users", "ususers": "|".join(names), "format": "json"},
        timeout=60,
    ).json()
    return {u["name"]: u["userid"] for u in answer["query"]["users"] if "userid" in u}


def _outbox(server: LiveServer) -> dict[str, str]:
    """Subject -> status of the load's mails, from ``wikipost mail list``."""
    found = {}
    for line in server.cli("mail", "list").stdout.splitlines():
        subject = MAIL.search(line)
        if subject:
            found[subject.group(1)] = line.split("\t")[1]
    return found


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[LiveServer]]:
    made: list[LiveServer] = []
    yield made
    for server in made:
        server.stop()


def test_backup_under_write_load_restores_into_a_wiki_that_serves_the_same(
    tmp_path: Path, servers: list[LiveServer]
) -> None:
    config = _config(free_port())
    live = start_live_server(tmp_path, config, start=False)
    servers.append(live)
    anchor_users(live)
    live.start()
    writers = [Writer("edits", _edit_writer(live)).start(), Writer("mail", _mail_writer(live)).start()]
    wait_until(lambda: all(len(w.done) >= 20 or w.errors for w in writers), 120, "20 writes of each kind")

    # Everything answered before the backup starts must be in it; nothing begun after it ends.
    before = [list(w.done) for w in writers]
    backup_file = tmp_path / "wiki-backup.sqlite"
    made = live.cli("backup", str(backup_file))
    during = [list(w.done) for w in writers]
    wait_until(
        lambda: all(len(w.done) >= len(d) + 5 or w.errors for w, d in zip(writers, during, strict=True))
    )
    for writer in writers:
        writer.finish()
    edits_done, mails_done = (w.done for w in writers)
    assert all(len(d) > len(b) for d, b in zip(during, before, strict=True)), (
        "writes went on during the backup"
    )
    assert f"backup written to {backup_file}" in made.stdout and "with the secret key" in made.stdout

    # The file: sound, self-contained, private.
    assert backup_file.stat().st_mode & 0o077 == 0
    assert not Path(f"{backup_file}-wal").exists()
    with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        meta = dict(copy.execute("SELECT name, value FROM wikipost_backup").fetchall())
        in_backup = {
            s for (s,) in copy.execute("SELECT subject FROM mail_outbox") if s.startswith("Load mail")
        }
    key = (live.data_dir / "secret_key").read_text().strip()
    assert meta["secret_key"] == key and meta["revision"]

    # A server that has the store open keeps it: restore refuses even with --force.
    refused = live.cli("restore", "--force", str(backup_file), check=False)
    assert refused.returncode == 1 and "is in use" in refused.stderr, refused.stderr
    assert _users(live, ["Alice"])  # and the wiki still answers

    users_before = _users(live, ["Alice", "Bob", "Admin"])
    live.stop()

    restored = LiveServer(tmp_path / "restored", config)
    servers.append(restored)
    done = restored.cli("restore", str(backup_file))
    assert "secret key restored" in done.stdout and "restored" in done.stdout
    again = restored.cli("restore", str(backup_file), check=False)
    assert again.returncode == 1 and "holds a store already" in again.stderr
    assert (restored.data_dir / "secret_key").read_text().strip() == key
    restored.start()

    assert _users(restored, ["Alice", "Bob", "Admin"]) == users_before
    pages = _pages(restored, edits_done)
    for n in before[0]:
        assert pages[_page_title(n)] == f"Text of page {n}.", n
    for n in edits_done[len(during[0]) :]:
        assert pages[_page_title(n)] is None, f"page {n} was made after the backup"
    present = [n for n in edits_done if pages[_page_title(n)] is not None]
    assert present == edits_done[: len(present)], "the pages present are a prefix: one point in time"

    # Queued (or claimed by the old server's worker at the time: "sending" until its lease
    # runs out); none sent, since no SMTP server listens.
    outbox = _outbox(restored)
    assert set(outbox.values()) <= {"queued", "sending"}, outbox
    queued = set(outbox)
    assert queued == in_backup
    assert {f"Load mail {n}" for n in before[1]} <= queued
    assert not {f"Load mail {n}" for n in mails_done[len(during[1]) :]} & queued


def _store_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """A data dir with an initialised store."""
    data = tmp_path / "data"
    result = run("--data-dir", str(data), "init")
    assert result.returncode == 0, result.stderr
    return data


def test_restore_checks_the_file_before_replacing_anything(tmp_path: Path, installed: Path) -> None:
    store = installed / "wikipost.sqlite"
    good = tmp_path / "good.sqlite"
    assert run("--data-dir", str(installed), "backup", str(good)).returncode == 0
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    damaged = tmp_path / "damaged.sqlite"
    raw = bytearray(good.read_bytes())
    page_size = int.from_bytes(raw[16:18], "big")
    for page in range(1, len(raw) // page_size):  # scribble over every page's header but the first
        raw[page * page_size : page * page_size + 8] = b"\xff" * 8
    damaged.write_bytes(bytes(raw))
    digest = _store_digest(store)
    for bad, reason in [
        (text, "is not an SQLite file"),
        (foreign, "is not a Wikipost store (no migrations table)"),
        (damaged, "damaged"),
        (tmp_path / "missing.sqlite", "cannot read"),
    ]:
        result = run("--data-dir", str(installed), "restore", "--force", str(bad))
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert reason in result.stderr, (bad.name, result.stderr)
        assert _store_digest(store) == digest, f"{bad.name} replaced the store"
    assert not [p.name for p in installed.iterdir() if ".restore-" in p.name]  # nothing left over

    kept = run("--data-dir", str(installed), "restore", "--force", str(good))
    assert kept.returncode == 0, kept.stderr
    assert (installed / "wikipost.sqlite.before-restore").exists()


def test_restoring_an_older_schema_migrates_it(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from wikipost.db import Database
    from wikipost.db.migrate import MIGRATIONS, SCHEMA_HEAD

    old = tmp_path / "old.sqlite"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    db = Database(f"sqlite:///{old}")
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0007")
    finally:
        db.dispose()
    data = tmp_path / "data"
    result = run("--data-dir", str(data), "restore", str(old))
    assert result.returncode == 0, result.stderr
    assert f"migrated the backup's schema 0007 to {SCHEMA_HEAD}" in result.stdout
    assert "no secret key file" in result.stdout
    with sqlite3.connect(data / "wikipost.sqlite") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (SCHEMA_HEAD,)
    assert run("--data-dir", str(data), "mail", "list").returncode == 0


def test_backup_refuses_to_overwrite_and_postgresql_is_pointed_to_pg_dump(
    tmp_path: Path, installed: Path
) -> None:
    target = tmp_path / "b.sqlite"
    target.write_text("keep me")
    result = run("--data-dir", str(installed), "backup", str(target))
    assert result.returncode == 1 and "exists" in result.stderr and target.read_text() == "keep me"
    assert run("--data-dir", str(installed), "backup", "--force", str(target)).returncode == 0
    env = clean_env(WIKIPOST_DATABASE_URL=f"postgresql+psycopg://w@127.0.0.1:{free_port()}/w")
    for command in (["backup", str(tmp_path / "pg.sqlite")], ["restore", str(target)]):
        refused = run("--data-dir", str(installed), *command, env=env)
        assert refused.returncode == 1 and "pg_dump" in refused.stderr, refused.stderr


def test_the_backup_is_taken_while_a_writer_holds_the_store(tmp_path: Path, installed: Path) -> None:
    """A write transaction open for the whole backup does not block it (WAL: readers go on)."""
    store = installed / "wikipost.sqlite"
    writer = sqlite3.connect(store, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE site_stats SET edits = edits + 1000")
        result = run("--data-dir", str(installed), "backup", str(tmp_path / "b.sqlite"), timeout=60)
        assert result.returncode == 0, result.stderr
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with sqlite3.connect(tmp_path / "b.sqlite") as copy:
        edits = copy.execute("SELECT edits FROM site_stats").fetchone()[0]
    assert edits < 1000  # the uncommitted write is not in the copy
