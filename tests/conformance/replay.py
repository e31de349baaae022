"""Replay one transcript against a live server: cookie jars, tokens, notes, request bodies.

A record carrying a token that the captured wiki had issued (40 hex digits whose last 8 are a
plausible timestamp, then ``+\\``) gets this server's current token of the same kind for the
same session, fetched just before. Deliberately wrong tokens (``0123…``, ``+\\`` of an
anonymous user) are sent as recorded. A token sent without its suffix is replaced by ours
without its suffix.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import requests

from tests.conformance.gaps import CSRF
from tests.live import LiveServer

GENUINE = re.compile(r"^[0-9a-f]{32}([0-9a-f]{8})(\+\\)?$")
PLAUSIBLE_EPOCH = 0x5F000000  # 2020: the captured tokens' timestamps are later than this
TOKEN_KEYS = {"token": None, "lgtoken": "login", "logintoken": "login"}
LOGIN_ACTIONS = {"login", "clientlogin"}
PAUSE = re.compile(r"after a pause of (?:at least )?([\d.]+) s")
FILL = re.compile(r"after (\d+) successful")
# A request parameter taken from an earlier answer: param -> the key of that answer to read.
ANSWER_KEYS = {
    "basetimestamp": "newtimestamp",
    "starttimestamp": "curtimestamp",
    "cmpageid": "pageid",
    "baserevid": "newrevid",
    "pageid": "pageid",
}
VARIED_FIELDS = ("subject", "text", "appendtext", "summary")


def load_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def genuine_token(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    match = GENUINE.match(value)
    return match is not None and int(match.group(1), 16) > PLAUSIBLE_EPOCH


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


# Records the capture shows the job queue had run before: "siteinfo.statistics.queued" counts the
# deliveries as queued jobs, "siteinfo.statistics.after" (and the talk pages after it) as done.
RUN_JOBS_BEFORE = {"siteinfo.statistics.after"}


@dataclass
class Replayer:
    server: LiveServer
    sessions: dict[str, requests.Session] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def session(self, name: str) -> requests.Session:
        if name not in self.sessions:
            session = requests.Session()
            session.headers["User-Agent"] = "wikipost-conformance/1.0 (conformance@anchor.test)"
            self.sessions[name] = session
        return self.sessions[name]

    # --- tokens -----------------------------------------------------------------------------

    def fetch_token(self, session_name: str, kind: str) -> str | None:
        try:
            r = self.session(session_name).get(
                self.server.api_url,
                params={"action": "query", "meta": "tokens", "type": kind, "format": "json"},
                timeout=30,
            )
            return str(r.json()["query"]["tokens"][f"{kind}token"])
        except (requests.RequestException, ValueError, KeyError, TypeError):
            return None

    def _substitute(
        self, values: dict[str, str] | None, action: str, session_name: str
    ) -> dict[str, str] | None:
        if values is None:
            return None
        out = dict(values)
        for key, kind in TOKEN_KEYS.items():
            value = out.get(key)
            if value == CSRF:
                kind = "csrf"
            elif not genuine_token(value):
                continue
            kind = kind or ("login" if action in LOGIN_ACTIONS else "csrf")
            token = self.fetch_token(session_name, kind)
            if token is None:
                continue
            out[key] = token if value == CSRF or str(value).endswith("+\\") else token.removesuffix("+\\")
        return out

    # --- notes ------------------------------------------------------------------------------

    def before(
        self, record: dict[str, Any], params: dict[str, str] | None, form: dict[str, str] | None
    ) -> None:
        """Carry out the non-HTTP steps the record's note names."""
        note = record.get("note") or ""
        if "job queue run" in note or record.get("name") in RUN_JOBS_BEFORE:
            self.server.cli("jobs", "run", check=False)
        if "rate limiter reset" in note:
            self.server.cli("ratelimit", "reset", check=False)
        pause = PAUSE.search(note)
        if pause:
            # Pauses serve the one-second resolution of timestamps (1.2 s in the capture) and
            # MediaWiki's change-tag cache (16 s after managetags); wikipost caches no tags, so
            # a pause beyond the timestamp resolution changes no answer, only the run time.
            time.sleep(min(float(pause.group(1)), 1.5))
        for target in (params, form):
            if target:
                self._from_earlier_answers(note, target)

    def _from_earlier_answers(self, note: str, values: dict[str, str]) -> None:
        for name, answer in self.answers.items():
            mentioned = re.search(rf"{re.escape(name)}(?![\w.])", note)
            if not mentioned:
                continue
            head = note[: mentioned.start()]
            for key in list(values):
                if not re.search(rf"\b{re.escape(key)}\b", head):
                    continue
                source = key
                explicit = re.search(rf"\b{re.escape(key)}\s*=\s*(\w+) of", head)
                if explicit:
                    source = explicit.group(1)
                found = _find_key(answer, source)
                if isinstance(found, dict):
                    found = found.get(source)
                if found is None and key in ANSWER_KEYS:
                    found = _find_key(answer, ANSWER_KEYS[key])
                if found is not None and not isinstance(found, dict | list):
                    values[key] = str(found)

    def fill(self, record: dict[str, Any], session_name: str) -> None:
        """ "after N successful …": reset the limiter, then make N varied copies of the request."""
        match = FILL.search(record.get("note") or "")
        if not match:
            return
        self.server.cli("ratelimit", "reset", check=False)
        for n in range(int(match.group(1))):
            params = _varied(record.get("params"), n)
            form = _varied(record.get("form"), n)
            self.send(record, session_name, params, form)

    # --- sending ----------------------------------------------------------------------------

    def send(
        self,
        record: dict[str, Any],
        session_name: str,
        params: dict[str, str] | None,
        form: dict[str, str] | None,
    ) -> Answer:
        action = (params or {}).get("action") or (form or {}).get("action") or ""
        params = self._substitute(params, action, session_name)
        form = self._substitute(form, action, session_name)
        session = self.session(session_name)
        method = record.get("method") or "GET"
        url = self.server.api_url
        kwargs: dict[str, Any] = {"params": params, "timeout": 60, "allow_redirects": False}
        raw = record.get("raw_body")
        if raw is not None:
            raw = self._substitute_raw(raw, session_name)
            # requests adds no Content-Type to a bytes body: the "no Content-Type" record.
            headers = (
                {}
                if "no Content-Type" in (record.get("note") or "")
                else {"Content-Type": "application/x-www-form-urlencoded"}
            )
            response = session.request(method, url, data=raw.encode("utf-8"), headers=headers, **kwargs)
        elif form is not None and record.get("content_type_sent") == "multipart/form-data":
            files = {k: (None, v) for k, v in form.items()}
            response = session.request(method, url, files=files, **kwargs)
        elif form is not None:
            response = session.request(method, url, data=form, **kwargs)
        else:
            response = session.request(method, url, **kwargs)
        headers_lower = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status_code, headers_lower, response.text)

    def _substitute_raw(self, raw: str, session_name: str) -> str:
        pairs = parse_qsl(raw, keep_blank_values=True)
        action = dict(pairs).get("action", "")
        for key, value in pairs:
            if key in TOKEN_KEYS and genuine_token(value):
                kind = TOKEN_KEYS[key] or ("login" if action in LOGIN_ACTIONS else "csrf")
                token = self.fetch_token(session_name, kind)
                if token:
                    raw = raw.replace(quote(value, safe=""), quote(token, safe=""))
        return raw

    def replay(self, record: dict[str, Any]) -> Answer:
        session_name = str(record.get("session") or "anon")
        params = dict(record["params"]) if record.get("params") else None
        form = dict(record["form"]) if record.get("form") else None
        self.before(record, params, form)
        self.fill(record, session_name)
        answer = self.send(record, session_name, params, form)
        body = answer.json()
        if body is not None:
            self.answers[str(record["name"])] = body
        return answer


def _varied(values: dict[str, str] | None, n: int) -> dict[str, str] | None:
    if values is None:
        return None
    out = dict(values)
    for key in VARIED_FIELDS:
        if key in out:
            out[key] = f"{out[key]} (filler {n + 1})"
    return out


def _find_key(value: Any, key: str) -> Any:
    """The first value under ``key`` in a nested answer, breadth first."""
    queue: list[Any] = [value]
    while queue:
        item = queue.pop(0)
        if isinstance(item, dict):
            if key in item:
                return item[key]
            queue.extend(item.values())
        elif isinstance(item, list):
            queue.extend(item)
    return None


def iter_requests(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The records that are HTTP requests (``summary.*`` records hold derived facts only)."""
    for record in records:
        if record.get("method") and "status" in record:
            yield record
