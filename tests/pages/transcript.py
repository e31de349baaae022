"""Replay the pages transcript in-process (one TestClient cookie jar per session) and compare
each answer's shape, codes and texts with MediaWiki 1.39's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.anchorwiki import BOT_PASSWORDS, PASSWORDS, setup_anchorwiki
from tests.conformance_compare import compare_response, load_records
from tests.support import make_settings, sqlite_store
from wikipost.app import build_app
from wikipost.clock import Clock
from wikipost.wiki import Wiki, build_wiki

PAGES = "mediawiki-1.39.pages.transcript.jsonl"
GENUINE = re.compile(r"^[0-9a-f]{32}([0-9a-f]{8})\+\\$")
PLAUSIBLE_EPOCH = 0x5F000000  # the captured tokens' timestamps are later than 2020
PAUSE = re.compile(r"after a pause of (?:at least )?([\d.]+) s")
FILL = re.compile(r"after (\d+) successful")
FROM_ANSWER = re.compile(r"(\w+) = (\w+) of ([\w.]+)")
SAME_FROM = re.compile(r"^(\w+) and (\w+) from ([\w.]+)")
LOGINS = {
    "admin": ("Admin", PASSWORDS["Admin"]),
    "alice": ("Alice", PASSWORDS["Alice"]),
    "frank": ("Frank", PASSWORDS["Frank"]),
    "alice_bp": ("Alice@anchor", BOT_PASSWORDS[0][2]),
    "bob_bp_nomail": ("Bob@nomail", BOT_PASSWORDS[1][2]),
}
# Values that differ on our side for reasons the README names (ids of the selection, counters,
# signature dates), compared by type only.
VARY = {
    "pageid",
    "revid",
    "parentid",
    "oldrevid",
    "newrevid",
    "old_revid",
    "rcid",
    "logid",
    "logpage",
    "lastrevid",
    "userid",
    "blockid",
    "blockedbyid",
    "size",
    "length",
    "oldlen",
    "newlen",
    "sha1",
    "edits",
    "pages",
    "articles",
    "activeusers",
    "jobs",
    "users",
    "blockedtimestampformatted",
    "rvcontinue",
    "rccontinue",
    "lecontinue",
    "cmcontinue",
}


@dataclass
class Replay:
    wiki: Wiki
    app: Any
    clients: dict[str, TestClient] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)

    def client(self, session: str) -> TestClient:
        if session not in self.clients:
            client = TestClient(self.app, base_url="http://127.0.0.1:8081", client=("127.0.0.1", 50000))
            self.clients[session] = client
            if session in LOGINS:
                name, password = LOGINS[session]
                token = client.get(
                    "/w/api.php",
                    params={"action": "query", "meta": "tokens", "type": "login", "format": "json"},
                ).json()["query"]["tokens"]["logintoken"]
                answer = client.post(
                    "/w/api.php",
                    data={
                        "action": "login",
                        "lgname": name,
                        "lgpassword": password,
                        "lgtoken": token,
                        "format": "json",
                    },
                ).json()
                assert answer["login"]["result"] == "Success", answer
        return self.clients[session]

    def csrf(self, session: str) -> str:
        return str(
            self.client(session)
            .get("/w/api.php", params={"action": "query", "meta": "tokens", "format": "json"})
            .json()["query"]["tokens"]["csrftoken"]
        )

    def send(self, rec: dict[str, Any], params: dict[str, str] | None, form: dict[str, str] | None) -> Any:
        session = str(rec.get("session") or "anon")
        client = self.client(session)
        for values in (params, form):
            match = GENUINE.match(values.get("token", "")) if values else None
            if values and match and int(match.group(1), 16) > PLAUSIBLE_EPOCH:
                values["token"] = self.csrf(session)
        return client.request(rec["method"], "/w/api.php", params=params, data=form)

    def replay(self, rec: dict[str, Any]) -> Any:
        note = rec.get("note") or ""
        params = dict(rec["params"]) if rec.get("params") else None
        form = dict(rec["form"]) if rec.get("form") else None
        if "job queue run" in note:
            self.wiki.background().drain()
        if "rate limiter reset" in note:
            self.wiki.ratelimiter.reset()
        pause = PAUSE.search(note)
        if pause:
            self.wiki.clock.advance(float(pause.group(1)))
        for key, source, name in FROM_ANSWER.findall(note):
            value = _find(self.answers.get(name), source)
            for values in (params, form):
                if values is not None and key in values and value is not None:
                    values[key] = str(value)
        same = SAME_FROM.match(note)
        if same:
            for key in same.group(1, 2):
                value = _find(self.answers.get(same.group(3)), key)
                for values in (params, form):
                    if values is not None and key in values and value is not None:
                        values[key] = str(value)
        fill = FILL.search(note)
        if fill:
            self.wiki.ratelimiter.reset()
            for n in range(int(fill.group(1))):
                filler = dict(form or {})
                if "appendtext" in filler:
                    filler["appendtext"] += f" {n}"
                self.send(rec, params and dict(params), filler)
        response = self.send(rec, params, form)
        try:
            self.answers[rec["name"]] = response.json()
        except ValueError:
            pass
        return response


def _positional(value: Any) -> Any:
    """fv1 ``pages`` objects keyed by real page ids (which differ here): key them by position;
    fake (negative) ids stay, since their numbering is part of the behaviour."""
    if isinstance(value, dict):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            key = f"#{i}" if k.isdigit() else k
            out[key] = _positional(v)
        return out
    if isinstance(value, list):
        return [_positional(v) for v in value]
    return value


SIGNATURE_DATE = re.compile(r"\d\d:\d\d, \d{1,2} [A-Z][a-z]+ \d{4} \(UTC\)")


OLDID = re.compile(r"oldid=\d+")


def _undate(value: Any) -> Any:
    """Signature dates (``~~~~``) vary from run to run (README)."""
    if isinstance(value, dict):
        return {k: _undate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undate(v) for v in value]
    if isinstance(value, str):
        value = SIGNATURE_DATE.sub("HH:MM, D Month YYYY (UTC)", value)
        return OLDID.sub("oldid=N", value)
    return value


def _renumber(body: Any) -> Any:
    body = _undate(body)
    if isinstance(body, dict):
        query = body.get("query")
        if isinstance(query, dict) and isinstance(query.get("pages"), dict):
            query["pages"] = _positional(query["pages"])
        events = query.get("logevents") if isinstance(query, dict) else None
        if isinstance(events, list) and all(e.get("type") == "massmessage" for e in events):
            # Deliveries (and so their skip entries) run in random order (README).
            events.sort(key=lambda e: (e.get("action") != "send", e.get("action"), e.get("title")))
    return body


def _keyed_by_position(rec: dict[str, Any]) -> dict[str, Any]:
    copy = dict(rec)
    copy["body"] = _renumber(json.loads(json.dumps(rec.get("body"))))
    return copy


class _Renumbered:
    def __init__(self, response: Any) -> None:
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def json(self) -> Any:
        return _renumber(self.response.json())


def _find(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        if key in value:
            return value[key]
        for item in value.values():
            found = _find(item, key)
            if found is not None:
                return found
    if isinstance(value, list):
        for item in value:
            found = _find(item, key)
            if found is not None:
                return found
    return None


def seed_main_page(wiki: Wiki) -> None:
    """The installer's Main Page (page 1, revision 1) by "MediaWiki default"."""
    user = wiki.users.get_by_name("MediaWiki default")
    assert user is not None
    with wiki.db.write() as conn:
        wiki.pages.save(
            conn,
            title=wiki.titles.parse("Main Page"),
            actor=wiki.users.actor_for(user),
            text="<strong>MediaWiki has been installed.</strong>\n\nConsult the "
            "[https://www.mediawiki.org/wiki/Special:MyLanguage/Help:Contents "
            "User's Guide] for information on using the wiki software.",
            summary="",
            auto_summary=False,
        )


@contextmanager
def replayed(tmp: Path, template: Path, stop_before: str | None = None) -> Iterator[dict[str, list[str]]]:
    """Replay every request record; yields record name -> differences."""
    url = sqlite_store(tmp, template)
    wiki = build_wiki(make_settings(tmp, url), clock=Clock())
    try:
        setup_anchorwiki(wiki)
        seed_main_page(wiki)
        replay = Replay(wiki, build_app(wiki))
        problems: dict[str, list[str]] = {}
        for rec in load_records(PAGES):
            if "method" not in rec or rec["name"].startswith("setup.login"):
                continue
            if stop_before and rec["name"].startswith(stop_before):
                break
            response = replay.replay(rec)
            problems[rec["name"]] = compare_response(
                _keyed_by_position(rec), _Renumbered(response), vary=VARY
            )
        yield problems
        for client in replay.clients.values():
            client.close()
    finally:
        wiki.close()
