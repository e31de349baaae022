"""``wikipost mail list / retry / drop`` (issue #15), run as the operator runs them.

First on a store no server is working on, so every state a mail can be in is set up exactly
(queued, sending, sent, failed) and each command's answer to each state is checked; then
against a live ``wikipost serve`` delivering to a real SMTP server that refuses an address:
the refusal is listed with its SMTP code and text, a dropped mail is never sent, and
``retry --all-failed`` sends the rest once the address is fixed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveServer, bot_login, start_live_server
from tests.mail.sink import Sink
from wikipost.mail.backends.base import DeliveryError
from wikipost.mail.outbox import OutboxRow

pytestmark = pytest.mark.live

REFUSAL = "Failed to add recipient [SMTP: bob@anchor.test: 550 5.1.1 No such user here]"
BOT = ("Alice@anchor", "alicebotpass0123456789abcdefghij")


def wait_until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)
    return value


def users(server: LiveServer, *names: str, bot: bool = False) -> None:
    """Users NAME with confirmed addresses name@anchor.test (the first one with the bot password
    ``BOT`` when ``bot``), written to the store directly: quicker than a CLI run each."""
    with server.open_wiki() as wiki:
        for n, name in enumerate(names):
            password = f"{name.lower()}-pass-1234"
            record = wiki.users.create(name, password, email=f"{name.lower()}@anchor.test", confirmed=True)
            if bot and n == 0:
                wiki.botpasswords.create(record.id, BOT[0].split("@")[1], ["basic", "sendemail"], BOT[1])


def statuses(server: LiveServer) -> dict[int, str]:
    with server.open_wiki() as wiki:
        return {row.id: row.status for row in wiki.outbox.list()}


def listed(output: str) -> dict[int, list[str]]:
    """`mail list` lines by id (tab-separated cells); the summary line left out."""
    rows = [line.split("\t") for line in output.splitlines() if line and not line.startswith("#")]
    return {int(cells[0]): cells for cells in rows}


# --- every state, on a store no server works on ----------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> LiveServer:
    """Mails 1-4 to Bob: 1 sending (a worker holds it), 2 failed (550), 3 sent, 4 queued."""
    server = start_live_server(tmp_path, {"mail": {"backend": "memory"}}, start=False)
    users(server, "Bob")
    with server.open_wiki() as wiki:
        for _ in range(4):
            wiki.email_confirmation.send("Bob")
        first, second = wiki.outbox.claim(2)
        wiki.outbox.record([(second, DeliveryError(REFUSAL, permanent=True))])
        (third,) = wiki.outbox.claim(1)
        wiki.outbox.record([(third, None)])
    assert statuses(server) == {1: "sending", 2: "failed", 3: "sent", 4: "queued"}
    return server


def test_list_failed_shows_the_smtp_reason(store: LiveServer) -> None:
    out = store.cli("mail", "list", "--status", "failed").stdout
    rows = listed(out)
    assert list(rows) == [2]
    assert rows[2][1] == "failed" and rows[2][-1] == REFUSAL
    assert "# 1 shown; queued 1, sending 1, sent 1, failed 1, dropped 0" in out


def test_a_bare_retry_does_nothing_and_says_how(store: LiveServer) -> None:
    for args in (["mail", "retry"], ["mail", "retry", "2", "--all-failed"]):
        result = store.cli(*args, check=False)
        assert result.returncode == 2 and "--all-failed" in result.stderr, result.stderr
    assert statuses(store)[2] == "failed"


def test_retry_by_id_takes_only_failed_mail(store: LiveServer) -> None:
    result = store.cli("mail", "retry", "3", "99", "1", check=False)
    assert result.returncode == 1
    assert "mail 3 is sent: not retried" in result.stderr
    assert "no mail 99 in the outbox" in result.stderr
    assert "mail 1 is sending: not retried" in result.stderr
    assert "0 failed mail(s) queued again" in result.stdout
    assert store.cli("mail", "retry", "2").stdout.strip() == "1 failed mail(s) queued again"
    with store.open_wiki() as wiki:
        (row,) = wiki.outbox.get([2])
    assert (row.status, row.attempts) == ("queued", 0)


def test_drop_keeps_failed_and_queued_mail_unsent_and_refuses_the_rest(store: LiveServer) -> None:
    refused = store.cli("mail", "drop", "1", "3", check=False)
    assert refused.returncode == 1
    assert "mail 1 is sending: not dropped" in refused.stderr
    assert "mail 3 is sent: not dropped" in refused.stderr
    assert "0 mail(s) dropped" in refused.stdout

    assert store.cli("mail", "drop", "2", "4").stdout.strip() == "2 mail(s) dropped"
    assert statuses(store) == {1: "sending", 2: "dropped", 3: "sent", 4: "dropped"}
    rows = listed(store.cli("mail", "list", "--status", "dropped").stdout)
    assert list(rows) == [2, 4] and rows[2][-1] == REFUSAL  # the reason stays on record

    again = store.cli("mail", "drop", "2")  # dropping twice is no error
    assert "mail 2 is dropped already" in again.stdout and "0 mail(s) dropped" in again.stdout
    retry = store.cli("mail", "retry", "2", check=False)
    assert retry.returncode == 1 and "mail 2 is dropped: not retried" in retry.stderr
    assert "0 failed mail(s) queued again" in store.cli("mail", "retry", "--all-failed").stdout
    with store.open_wiki() as wiki:
        assert wiki.outbox.claim(10) == []  # nothing a worker could pick up: 1 is still leased


def test_drop_needs_ids(store: LiveServer) -> None:
    result = store.cli("mail", "drop", check=False)
    assert result.returncode == 2
    assert statuses(store)[4] == "queued"


# --- a live server and an SMTP server that refuses an address ----------------------------------


def test_refused_mail_is_listed_dropped_or_retried_against_a_live_server(tmp_path: Path) -> None:
    with Sink(refuse={"hank@anchor.test": "550 5.1.1 No such user here"}) as sink:
        config = {"mail": {"backend": "smtp", "smtp_port": sink.port}, "jobs": {"poll_seconds": 0.05}}
        server = start_live_server(tmp_path, config, start=False)
        users(server, "Alice", "Bob", "Hank", bot=True)
        with server.start():
            session, csrf = bot_login(server.api_url, *BOT)
            for target, subject in (("Hank", "Keep"), ("Hank", "Drop"), ("Bob", "Fine")):
                answer = session.post(
                    server.api_url,
                    data={"action": "emailuser", "target": target, "subject": subject, "text": "Hi.",
                          "token": csrf, "format": "json"},
                    timeout=60,
                ).json()  # fmt: skip
                assert answer == {"emailuser": {"result": "Success"}}, answer

            def settled() -> dict[str, OutboxRow] | None:
                with server.open_wiki() as wiki:
                    rows = {r.subject: r for r in wiki.outbox.list()}
                done = [r.status for r in rows.values()] == ["failed", "failed", "sent"]
                return rows if done else None

            rows: dict[str, OutboxRow] = wait_until(settled, "two refusals and one delivery")
            failed = listed(server.cli("mail", "list", "--status", "failed").stdout)
            assert sorted(failed) == sorted([rows["Keep"].id, rows["Drop"].id])
            for cells in failed.values():
                assert re.search(r"hank@anchor\.test: 550 5\.1\.1 No such user here\]$", cells[-1]), cells

            assert server.cli("mail", "drop", str(rows["Drop"].id)).stdout.strip() == "1 mail(s) dropped"
            del sink.handler.refuse["hank@anchor.test"]  # the address is fixed
            assert (
                server.cli("mail", "retry", "--all-failed").stdout.strip() == "1 failed mail(s) queued again"
            )
            wait_until(lambda: statuses(server)[rows["Keep"].id] == "sent", "the retried mail sent")

        received = [m.data for m in sink.received]
        assert sum(rows["Keep"].message_id.encode() in data for data in received) == 1
        assert not any(rows["Drop"].message_id.encode() in data for data in received)
        assert statuses(server)[rows["Drop"].id] == "dropped"
