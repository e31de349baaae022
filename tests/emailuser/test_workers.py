"""``serve --workers 2`` on one SQLite store: the emailuser quota stays exact across processes
(``[ratelimits] storage = "database"``), and every accepted mail is recorded exactly once."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.emailuser.test_live import BOT_PASSWORD, prepare
from tests.live import bot_login, start_live_server


def test_quota_is_exact_across_two_worker_processes(tmp_path: Path) -> None:
    config = {
        "mail": {"backend": "maildir"},
        "ratelimits": {"storage": "database", "emailuser": {"user": [7, 86400]}},
    }
    server = start_live_server(tmp_path, config, start=False, workers=2)
    prepare(server)
    server.start()
    try:
        clients = [bot_login(server.api_url, "Alice@anchor", BOT_PASSWORD) for _ in range(6)]
        results: list[str] = []
        lock = threading.Lock()

        def fire(i: int) -> None:
            s, csrf = clients[i]
            for n in range(4):
                r = s.post(
                    server.api_url,
                    data={
                        "action": "emailuser",
                        "target": "Test",
                        "subject": f"w{i}-{n}",
                        "text": "Hello.",
                        "token": csrf,
                        "format": "json",
                    },
                ).json()
                outcome = r.get("emailuser", {}).get("result") or r["error"]["code"]
                with lock:
                    results.append(outcome)

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(set(results)) == ["Success", "ratelimited"]
        assert results.count("Success") == 7
        assert results.count("ratelimited") == 24 - 7
        with server.open_wiki() as wiki:
            assert sum(wiki.outbox.counts().values()) == 7
    finally:
        server.stop()


def test_memory_counters_refuse_several_workers(tmp_path: Path) -> None:
    server = start_live_server(tmp_path, {}, start=False)
    result = server.cli("serve", "--workers", "2", check=False)
    assert result.returncode == 2
    assert 'storage = "database"' in result.stderr
