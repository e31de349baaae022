"""``wikipost --version`` and ``python -m wikipost --version``: one line, the same, naming the
version the package metadata (pyproject.toml) declares."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import wikipost
from tests.live import wikipost_command
from tests.ops_cli.support import clean_env

ROOT = Path(__file__).resolve().parents[2]


def _version_output(command: list[str]) -> str:
    result = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, env=clean_env(), timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def test_both_entry_points_print_the_same_line_with_the_metadata_version() -> None:
    script = _version_output(wikipost_command())
    module = _version_output([sys.executable, "-m", "wikipost"])
    assert script == module
    assert script.count("\n") == 1
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    installed = version("wikipost")
    assert declared == installed == wikipost.__version__
    assert script == f"wikipost {installed} (MediaWiki {wikipost.MEDIAWIKI_VERSION} Action API)\n"


def test_version_needs_no_configuration(tmp_path: Path) -> None:
    """Eager: a configuration that does not even parse does not stop --version."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[site\n")
    result = subprocess.run(
        [*wikipost_command(), "--config", str(bad), "--version"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.startswith(f"wikipost {wikipost.__version__} ")
