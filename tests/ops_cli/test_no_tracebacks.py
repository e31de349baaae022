"""What an operator can get wrong is one ``error:`` line and a non-zero exit, never a traceback:
a malformed configuration file, a database URL that is wrong or does not answer, a port another
server has."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.ops_cli.support import assert_one_clean_error, clean_env, run
from tests.servers import free_port

PASSWORD = "s3cret-in-the-url"
# Representative commands: the store's setup, a server, a listing, a change, the backup.
COMMANDS = [
    ["init"],
    ["serve", "--port", "0"],
    ["mail", "list"],
    ["user", "create", "Zed", "--password", "zed-password-1"],
    ["backup", "out.sqlite"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_malformed_configuration_file(tmp_path: Path, command: list[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[mail]\nbackend = "smtp"\nsmtp_port = 25 25\n')
    result = run("--data-dir", str(tmp_path / "data"), "--config", str(bad), *command, cwd=tmp_path)
    stderr = assert_one_clean_error(result, str(bad), "is not valid TOML", "line 3")
    assert stderr.count("\n") == 1


BAD_URLS = [
    ("unknown-dialect", "nosuchdb://localhost/wiki", "names an unknown database 'nosuchdb'"),
    ("bad-port", f"postgresql+psycopg://wiki:{PASSWORD}@127.0.0.1:notaport/wiki", "is not a database URL"),
    (
        "unreachable",
        f"postgresql+psycopg://wiki:{PASSWORD}@127.0.0.1:{free_port()}/wiki",
        "Connection refused",
    ),
    ("not-a-url", "this is not a URL", "is not a database URL"),
]
# Each bad URL with `init`, and with one other command in turn.
URL_CASES = [(name, url, expected, ["init"]) for name, url, expected in BAD_URLS] + [
    (name, url, expected, command)
    for (name, url, expected), command in zip(BAD_URLS, COMMANDS[1:], strict=True)
]


@pytest.mark.parametrize(
    ("url", "expected", "command"),
    [case[1:] for case in URL_CASES],
    ids=[f"{case[0]}-{case[3][0]}" for case in URL_CASES],
)
def test_a_bad_database_url(tmp_path: Path, url: str, expected: str, command: list[str]) -> None:
    env = clean_env(WIKIPOST_DATABASE_URL=url)
    result = run("--data-dir", str(tmp_path / "data"), *command, env=env, cwd=tmp_path)
    stderr = assert_one_clean_error(result, expected)
    assert PASSWORD not in stderr + result.stdout


def test_serve_on_a_port_in_use(tmp_path: Path) -> None:
    assert run("--data-dir", str(tmp_path), "init").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--data-dir", str(tmp_path), "serve", "--port", str(port), timeout=60)
    stderr = assert_one_clean_error(result, f"cannot listen on 127.0.0.1:{port}", "in use")
    assert stderr.count("\n") == 1 and result.returncode == 1
    assert "serving the wiki" not in result.stdout  # it said nothing it did not do
