"""The app factory uvicorn imports in each worker process (settings from the environment)."""

from __future__ import annotations

from starlette.applications import Starlette

from wikipost.app import build_app
from wikipost.settings import load_settings
from wikipost.wiki import build_wiki


def create_app() -> Starlette:
    settings = load_settings()
    return build_app(build_wiki(settings), run_worker=True)
