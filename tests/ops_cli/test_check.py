"""``wikipost check``: every problem of a configuration in one run, each naming its key —
unknown keys, wrong types, and a database, Redis or SMTP server that does not answer — exit 1;
a good configuration exits 0 after reaching what it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mail.sink import Sink
from tests.ops_cli.support import clean_env, run, write_config
from tests.servers import free_port

PASSWORD = "hunter2-not-printed"


def test_every_problem_is_printed_at_once_with_its_key(tmp_path: Path) -> None:
    closed = free_port()  # nobody listens here
    config = write_config(
        tmp_path / "wiki.toml",
        {
            "site": {"name": "Checked", "colour": "red"},  # unknown key
            "database": {"url": f"postgresql+psycopg://wikipost:{PASSWORD}@127.0.0.1:{closed}/wikipost"},
            "mail": {"backend": "smtp", "smtp_port": closed, "max_attempts": "eight"},  # wrong type
            "ratelimits": {"storage": f"redis://127.0.0.1:{closed}/0"},
        },
    )
    result = run("--data-dir", str(tmp_path / "data"), "--config", str(config), "check")
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: unknown setting [site] colour",
        "error: [mail] max_attempts must be an integer",
        *errors[2:],
    ]
    assert len(errors) == 5, result.stderr
    database, redis, smtp = errors[2:]
    assert (
        database.startswith("error: [database] url: cannot connect to ") and "Connection refused" in database
    )
    assert redis.startswith(f"error: [ratelimits] storage: cannot reach Redis at 127.0.0.1:{closed}")
    assert (
        smtp.startswith("error: [mail] smtp_host, smtp_port: cannot use the SMTP server")
        and str(closed) in smtp
    )
    assert "5 problem(s) found" in result.stderr
    assert "Traceback" not in result.stderr and PASSWORD not in result.stdout + result.stderr
    assert not (tmp_path / "data").exists()  # check creates nothing


def test_a_good_embedded_configuration_passes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = write_config(tmp_path / "wiki.toml", {"site": {"name": "Fine"}, "mail": {"backend": "maildir"}})
    before = run("--data-dir", str(data), "--config", str(config), "check")
    assert before.returncode == 0, before.stderr
    assert "no store at" in before.stdout and "`wikipost init` creates it" in before.stdout
    assert not data.exists()
    assert run("--data-dir", str(data), "--config", str(config), "init").returncode == 0
    after = run("--data-dir", str(data), "--config", str(config), "check")
    assert after.returncode == 0 and after.stderr == "", after.stderr
    assert "(current)" in after.stdout and after.stdout.rstrip().endswith("configuration ok")


@pytest.mark.postgres
@pytest.mark.redis
def test_a_good_configuration_reaches_postgresql_redis_and_smtp(
    tmp_path: Path, postgres_db_url: str, redis_url: str
) -> None:
    with Sink() as sink:
        config = write_config(
            tmp_path / "wiki.toml",
            {
                "database": {"url": postgres_db_url},
                "mail": {"backend": "smtp", "smtp_port": sink.port},
                "ratelimits": {"storage": redis_url},
            },
        )
        result = run("--data-dir", str(tmp_path / "data"), "--config", str(config), "check")
    assert result.returncode == 0, result.stderr
    assert "(current)" in result.stdout
    assert (
        "Redis at 127.0.0.1:" in result.stdout
        and f"SMTP server 127.0.0.1:{sink.port} answers" in result.stdout
    )


def test_a_database_url_from_the_environment_is_named_so(tmp_path: Path) -> None:
    env = clean_env(WIKIPOST_DATABASE_URL="nosuchdb://somewhere/x")
    result = run("--data-dir", str(tmp_path), "check", env=env)
    assert result.returncode == 1
    assert "error: WIKIPOST_DATABASE_URL names an unknown database 'nosuchdb'" in result.stderr


def test_a_malformed_file_is_one_problem_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[site]\nname = "x"\nserver = \n')
    result = run("--data-dir", str(tmp_path), "--config", str(bad), "check")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {bad} is not valid TOML: " in result.stderr and "line 3" in result.stderr
