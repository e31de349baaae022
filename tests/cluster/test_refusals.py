"""State one process or machine would hold is refused when several share the store, by
``serve`` and ``worker`` at startup, each time with one line naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wikipost.cluster_rules import cluster_problems
from wikipost.devcluster.tomlwrite import to_toml
from wikipost.settings import Settings, load_settings

PG_URL = "postgresql+psycopg://wiki@db.internal/wiki"


def settings(tmp_path: Path, config: dict[str, Any]) -> Settings:
    path = tmp_path / "wikipost.toml"
    path.write_text(to_toml(config))
    return load_settings(path, tmp_path, environ={})


def wikipost(tmp_path: Path, config: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "wikipost.toml"
    path.write_text(to_toml(config))
    return subprocess.run(
        [sys.executable, "-m", "wikipost", "--data-dir", str(tmp_path), "--config", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_one_node_may_keep_everything_to_itself(tmp_path: Path) -> None:
    assert cluster_problems(settings(tmp_path, {})) == []
    # Several processes of one serve on one machine share an SQLite file correctly.
    assert cluster_problems(settings(tmp_path, {"ratelimits": {"storage": "database"}}), processes=4) == []


def test_several_nodes_need_shared_counters_a_shared_store_and_one_secret(tmp_path: Path) -> None:
    problems = cluster_problems(settings(tmp_path, {"cluster": {"nodes": 2}}))
    assert [p.split(" ", 2)[:2] for p in problems] == [
        ["[ratelimits]", "storage"],
        ["[database]", "url"],
        ["[site]", "secret_key"],
    ]
    shared = {
        "cluster": {"nodes": 2},
        "ratelimits": {"storage": "redis://10.0.0.5:6379/0"},
        "database": {"url": PG_URL},
        "site": {"secret_key": "k" * 64},
    }
    assert cluster_problems(settings(tmp_path, shared)) == []
    assert cluster_problems(settings(tmp_path, {**shared, "cluster": {"nodes": 0}})) == [
        "[cluster] nodes must be 1 or more (it is 0)"
    ]


def test_memory_counters_are_refused_for_several_worker_processes(tmp_path: Path) -> None:
    (problem,) = cluster_problems(settings(tmp_path, {}), processes=2)
    assert problem.startswith('[ratelimits] storage = "memory://"') and "--workers 2" in problem


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"]])
def test_serve_and_worker_refuse_at_startup(tmp_path: Path, command: list[str]) -> None:
    config = {"cluster": {"nodes": 3}, "database": {"url": PG_URL}, "site": {"secret_key": "s" * 64}}
    result = wikipost(tmp_path, config, *command)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'error: [ratelimits] storage = "memory://" keeps rate-limit counters in one process, but '
        '[cluster] nodes = 3 runs several: set [ratelimits] storage = "database" (or a redis:// URL) '
        "in the configuration."
    ]


def test_serve_refuses_an_sqlite_store_for_several_nodes(tmp_path: Path) -> None:
    config = {"cluster": {"nodes": 2}, "ratelimits": {"storage": "database"}, "site": {"secret_key": "s"}}
    result = wikipost(tmp_path, config, "serve", "--port", "1")
    assert result.returncode == 2
    assert result.stderr.startswith("error: [database] url is an SQLite file on one machine")
    assert len(result.stderr.splitlines()) == 1
