"""Running ``wikipost`` as a real process for the operator-command tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.live import to_toml, wikipost_command


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any WIKIPOST_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIPOST_")}
    env.update(extra)
    return env


def run(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """``wikipost ARGS`` (the installed script), its output captured."""
    return subprocess.run(
        [*wikipost_command(), *args],
        capture_output=True,
        text=True,
        env=dict(env) if env is not None else clean_env(),
        cwd=cwd,
        timeout=timeout,
    )


def write_config(path: Path, config: Mapping[str, Mapping[str, object]]) -> Path:
    path.write_text(to_toml(config), encoding="utf-8")
    return path


def assert_one_clean_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """A non-zero exit with no traceback, whose stderr is ``error: …`` lines naming ``needles``."""
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("error: ") for line in lines), result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    return result.stderr
