"""The live-server harness itself: a real `wikipost serve` process that stops, dies and restarts."""

from __future__ import annotations

from typing import Any

import requests

from tests.live import LiveServer, to_toml
from wikipost.settings import load_settings


def _tokens(server: LiveServer) -> dict[str, object]:
    r = requests.get(
        server.api_url, params={"action": "query", "meta": "tokens", "format": "json"}, timeout=10
    )
    assert r.status_code == 200
    return dict(r.json())


def test_serves_the_api_and_restarts_after_sigterm_and_sigkill(live_server: LiveServer) -> None:
    assert _tokens(live_server)["query"] == {"tokens": {"csrftoken": "+\\"}}
    assert live_server.stop() is not None
    assert not live_server.running
    live_server.start()
    assert _tokens(live_server)["batchcomplete"] == ""
    live_server.kill()
    assert not live_server.running
    live_server.restart()
    assert live_server.running
    assert _tokens(live_server)["batchcomplete"] == ""


def test_config_is_valid_toml_for_load_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config: dict[str, dict[str, Any]] = {
        "site": {"name": 'X "quoted"', "server": "http://127.0.0.1:1"},
        "ratelimits": {"emailuser": {"user": [2, 60]}},
        "mail": {"backend": "memory", "smtp_timeout": 2.5, "enable_user_email": False},
    }
    path = tmp_path / "c.toml"
    path.write_text(to_toml(config))
    settings = load_settings(path, tmp_path, environ={})
    assert settings.site.name == 'X "quoted"'
    assert settings.ratelimits.limits["emailuser"]["user"] == [2, 60]
    assert settings.mail.smtp_timeout == 2.5
    assert settings.mail.enable_user_email is False


def test_cli_runs_against_the_same_store(live_server: LiveServer) -> None:
    out = live_server.cli("init")
    assert str(live_server.data_dir) in out.stdout
