"""Replay the MassMessage part of the 1.39 transcript against the real ASGI app, in order, then
run the job queue and compare the talk pages, the log and the tagged recent changes."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.emailuser.helpers import setup_users
from tests.massmessage.anchor import (
    Sessions,
    comparable_page,
    expected_talk_pages,
    records,
    save_as,
    seed_pages,
)
from wikipost.app import build_app
from wikipost.db.schema.pages import logging, recentchanges
from wikipost.wiki import Wiki

RECORDS = records()
REPLAYED = [
    seq
    for seq, r in sorted(RECORDS.items())
    if 141 <= seq <= 201 and r["name"].startswith(("editmassmessagelist.", "massmessage."))
]

# Requests of the run that the transcript does not hold, re-created from their effects (the
# list's revision history and the talk pages): (insert before seq, session, form).
UNRECORDED = {
    146: (
        "admin",
        {
            "action": "editmassmessagelist",
            "format": "json",
            "spamlist": "Anchor delivery list",
            "add": "User talk:Gina",
            "token": "x",
        },
    ),
    176: (
        "admin",
        {
            "action": "massmessage",
            "format": "json",
            "spamlist": "Anchor list redirect",
            "subject": "Anchor newsletter 5",
            "message": "Sent via a redirect to the delivery list.",
            "token": "x",
        },
    ),
    178: (
        "admin",
        {
            "action": "massmessage",
            "format": "xml",
            "spamlist": "Category:Anchor recipients",
            "subject": "Anchor newsletter 7",
            "message": "format=xml",
            "token": "x",
        },
    ),
}


@pytest.fixture
def replayed(make_wiki: Any) -> tuple[Wiki, dict[int, Any]]:
    wiki: Wiki = make_wiki()
    users = setup_users(wiki)
    seed_pages(wiki, users, RECORDS)
    answers: dict[int, Any] = {}
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        sessions = Sessions(wiki, client, users)
        for seq in REPLAYED:
            if seq == 176:  # setup.edit.Anchor list redirect (seq 174) came just before
                save_as(
                    wiki,
                    wiki.users.actor_for(users.admin),
                    "Anchor list redirect",
                    "#REDIRECT [[Anchor delivery list]]\n",
                )
            if seq in UNRECORDED:
                session, form = UNRECORDED[seq]
                r = sessions.send({"name": "unrecorded", "session": session, "method": "POST", "form": form})
                assert r.status_code == 200 and "error" not in r.text, r.text
            answers[seq] = sessions.send(RECORDS[seq])
        wiki.background().drain()
    return wiki, answers


def test_every_answer_matches_the_transcript(replayed: tuple[Wiki, dict[int, Any]]) -> None:
    _wiki, answers = replayed
    mismatches = []
    for seq, response in answers.items():
        record = RECORDS[seq]
        body = response.json()
        expected_header = record["headers"].get("mediawiki-api-error")
        if body != record["body"] or response.headers.get("mediawiki-api-error") != expected_header:
            mismatches.append((seq, record["name"], record["body"], body))
    assert mismatches == []


def test_talk_pages_after_delivery_match(replayed: tuple[Wiki, dict[int, Any]]) -> None:
    wiki, _answers = replayed
    expected = expected_talk_pages()
    assert expected, "fixtures missing"
    with wiki.db.read() as conn:
        for title_text, text in expected.items():
            page = wiki.pages.get_page(conn, wiki.titles.parse(title_text))
            assert page is not None, title_text
            assert comparable_page(wiki.pages.get_text(conn, page)) == comparable_page(text), title_text
        missing = wiki.pages.get_page(conn, wiki.titles.parse("User talk:Nonexistent Anchor User"))
        assert missing is None


def _log_entries(wiki: Wiki) -> Counter[tuple[str, int, str, str, str, str]]:
    with wiki.db.read() as conn:
        rows = conn.execute(select(logging).where(logging.c.type == "massmessage")).all()
    return Counter(
        (
            r.action,
            r.namespace,
            r.dbkey.replace("_", " "),
            r.user_name,
            r.comment,
            json.dumps(json.loads(r.params), sort_keys=True),
        )
        for r in rows
    )


def test_log_entries_match(replayed: tuple[Wiki, dict[int, Any]]) -> None:
    wiki, _answers = replayed
    expected: Counter[tuple[Any, ...]] = Counter()
    for e in RECORDS[216]["body"]["query"]["logevents"]:
        title = e["title"].split(":", 1)[1] if e["ns"] else e["title"]
        expected[
            (e["action"], e["ns"], title, e["user"], e["comment"], json.dumps(e["params"], sort_keys=True))
        ] += 1
    assert _log_entries(wiki) == expected


def test_tagged_recent_changes_match(replayed: tuple[Wiki, dict[int, Any]]) -> None:
    wiki, _answers = replayed
    expected: Counter[tuple[Any, ...]] = Counter()
    for c in RECORDS[217]["body"]["query"]["recentchanges"]:
        # Which send created a page (type "new") depends on the delivery order: not compared.
        expected[(c["title"], c["user"], c["bot"], c["minor"], c["comment"], tuple(c["tags"]))] += 1
    with wiki.db.read() as conn:
        rows = conn.execute(
            select(recentchanges).where(recentchanges.c.tags.like("%massmessage-delivery%"))
        ).all()
    got: Counter[tuple[Any, ...]] = Counter()
    for r in rows:
        title = wiki.titles.make(r.namespace, r.dbkey).prefixed_text
        got[
            (
                title,
                r.user_name,
                bool(r.bot),
                bool(r.minor),
                r.comment,
                tuple(t for t in r.tags.split("|") if t),
            )
        ] += 1
    assert got == expected
