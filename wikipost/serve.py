"""The app factory uvicorn imports in each worker process (settings from the environment)."""

from __future__ import annotations

import os

from wikipost.app import ApiEndpoint, build_app
from wikipost.settings import load_settings
from wikipost.wakeup import WakeSender, wake_address
from wikipost.wiki import build_wiki


def create_app() -> ApiEndpoint:
    settings = load_settings()
    wiki = build_wiki(settings)
    if os.environ.get("WIKIPOST_WORKER_PROCESS") == "1":
        # serve started the worker process: it delivers, runs jobs and checkpoints the WAL.
        wiki.db.defer_checkpoints()
        wiki.remote_wake = WakeSender(wake_address(settings.data_dir)).wake
        return build_app(wiki, run_worker=False)
    return build_app(wiki, run_worker=True)
