"""procrastinate workers as real processes on a real PostgreSQL: one killed in the middle of a
20,000-target send while the other goes on; a send whose workers start later; and the
worker's LISTEN/NOTIFY wake-up across processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text

from tests.live import to_toml
from tests.servers import die_with_parent
from wikipost.db.schema.accounts import users
from wikipost.services.massmessage import SendRequest
from wikipost.settings import load_settings
from wikipost.wiki import Wiki, build_wiki

pytestmark = [pytest.mark.postgres, pytest.mark.live]

HEADING = "Crash newsletter"


class Workers:
    """``wikipost jobs work`` processes (procrastinate workers) on one configuration."""

    def __init__(self, data_dir: Path, config: Path) -> None:
        self.data_dir, self.config = data_dir, config
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIPOST_")}
        cmd = [sys.executable, "-m", "wikipost", "--data-dir", str(self.data_dir)]
        log = open(self.data_dir / f"worker{len(self.procs)}.log", "ab")  # noqa: SIM115
        with log:
            proc = subprocess.Popen(
                [*cmd, "--config", str(self.config), "jobs", "work"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.data_dir.glob("worker*.log"))


@pytest.fixture
def store(tmp_path: Path, postgres_db_url: str) -> Iterator[tuple[Wiki, Workers]]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    config = data_dir / "wikipost.toml"
    config.write_text(
        to_toml(
            {
                "site": {"name": "CrashWiki", "server": "http://127.0.0.1:9", "wiki_id": "crashwiki"},
                "database": {"url": postgres_db_url},
                "mail": {"backend": "memory"},
                "jobs": {"heartbeat_seconds": 0.5, "stalled_seconds": 3.0, "concurrency": 2},
            }
        ),
        encoding="utf-8",
    )
    wiki = build_wiki(load_settings(config, data_dir, environ={}))
    workers = Workers(data_dir, config)
    try:
        yield wiki, workers
    finally:
        workers.stop()
        wiki.close()


def make_list(wiki: Wiki, size: int) -> list[str]:
    """``size`` users and a delivery list of their user pages (bulk: the test is about delivery)."""
    now = int(time.time())
    names = [f"Reader {i}" for i in range(size)]
    with wiki.db.write() as conn:
        for start in range(0, size, 5000):
            conn.execute(
                insert(users),
                [
                    {"name": n, "email": "", "registration": now, "editcount": 0, "is_system": False}
                    for n in names[start : start + 5000]
                ],
            )
    admin = wiki.users.create("Admin", None, groups=("sysop",))
    content = json.dumps({"description": "crash", "targets": [{"title": f"User:{n}"} for n in names]})
    with wiki.db.write() as conn:
        wiki.pages.save(
            conn,
            title=wiki.titles.parse("Crash list"),
            actor=wiki.users.actor_for(admin),
            text=content,
            content_model="MassMessageListContent",
        )
    return names


def submit(wiki: Wiki) -> int:
    admin = wiki.users.get_by_name("Admin")
    assert admin is not None
    send_id, _ = wiki.massmessage.submit(
        wiki.users.actor_for(admin), SendRequest("Crash list", HEADING, "Hello from the crash test.", None)
    )
    return send_id


def delivered(wiki: Wiki, send_id: int) -> int:
    status = wiki.massmessage.status(send_id)
    assert status is not None
    return status.delivered


def wait_for(condition: object, timeout: float, workers: Workers, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s; worker logs:\n{workers.logs()}")
        time.sleep(0.1)


def test_a_worker_killed_in_the_middle_of_a_send_loses_nothing_and_doubles_nothing(
    store: tuple[Wiki, Workers],
) -> None:
    wiki, workers = store
    size = 20_000
    names = make_list(wiki, size)
    first, second = workers.start(), workers.start()
    send_id = submit(wiki)
    wait_for(lambda: delivered(wiki, send_id) >= 2_000, 300, workers, "2,000 deliveries")
    os.kill(first.pid, signal.SIGKILL)  # in the middle of its chunks: their transactions roll back
    first.wait(10)
    assert second.poll() is None
    wait_for(
        lambda: wiki.massmessage.status(send_id).status == "done",  # type: ignore[union-attr]
        600,
        workers,
        "the send done by the surviving worker",
    )
    status = wiki.massmessage.status(send_id)
    assert status is not None
    assert (status.total, status.delivered, status.pending, status.failed, status.skipped) == (
        size,
        size,
        0,
        {},
        {},
    )
    engine = create_engine(wiki.settings.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT p.dbkey, count(r.id), max(r.text) FROM pages p"
                    " JOIN revisions r ON r.page_id = p.id WHERE p.namespace = 3 GROUP BY p.dbkey"
                )
            ).all()
            targets = conn.execute(
                text("SELECT status, count(*) FROM massmessage_targets WHERE send_id = :s GROUP BY status"),
                {"s": send_id},
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == size  # a talk page for every target
    assert {row[1] for row in rows} == {1}  # one revision each: nothing appended twice
    assert all(row[2].count(f"== {HEADING} ==") == 1 for row in rows)
    assert {row[0] for row in rows} == {n.replace(" ", "_") for n in names}
    assert dict(targets) == {"delivered": size}


def test_workers_started_after_the_send_deliver_it(store: tuple[Wiki, Workers]) -> None:
    """Jobs wait in PostgreSQL, not in any process: a send queued while no worker runs is
    delivered by the first worker that starts; then the second wakes on NOTIFY for the next."""
    wiki, workers = store
    make_list(wiki, 300)
    send_id = submit(wiki)
    assert delivered(wiki, send_id) == 0
    workers.start()
    wait_for(lambda: delivered(wiki, send_id) == 300, 120, workers, "300 deliveries")
    workers.start()
    again = submit(wiki)
    wait_for(lambda: delivered(wiki, again) == 300, 120, workers, "the second send")
