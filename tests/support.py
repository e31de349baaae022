"""Shared test helpers: the conformance wiki's settings and a fresh store per test."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from wikipost.db import Database
from wikipost.db.migrate import upgrade
from wikipost.settings import Settings

# The wiki the conformance transcripts were captured on (tests/fixtures/conformance/README.md).
CONFORMANCE_SITE = {
    "name": "AnchorWiki",
    "server": "http://127.0.0.1:8081",
    "script_path": "/w",
    "wiki_id": "anchorwiki",
    "password_sender": "wiki@anchor.test",
}

_TEMPLATES: dict[str, Path] = {}


def sqlite_store(directory: Path, template_dir: Path) -> str:
    """A migrated SQLite file in ``directory``, copied from a template migrated once per run."""
    key = str(template_dir)
    if key not in _TEMPLATES:
        template = template_dir / "template.sqlite"
        db = Database(f"sqlite:///{template}")
        upgrade(db)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        _TEMPLATES[key] = template
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "wikipost.sqlite"
    shutil.copyfile(_TEMPLATES[key], target)
    return f"sqlite:///{target}"


def make_settings(data_dir: Path, database_url: str, **sections: Any) -> Settings:
    base = Settings(data_dir=data_dir)
    changes: dict[str, Any] = {
        "site": CONFORMANCE_SITE,
        "database": {"url": database_url},
        "mail": {"backend": "memory"},
    }
    for name, values in sections.items():
        if isinstance(values, dict) and isinstance(changes.get(name), dict):
            changes[name] = {**changes[name], **values}
        else:
            changes[name] = values
    return base.replace(**changes)
