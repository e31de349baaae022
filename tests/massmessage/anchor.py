"""The AnchorWiki state the MassMessage records of the 1.39 transcript start from, and replay
helpers (sessions of the transcript → logged-in test clients)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.emailuser.helpers import API, AnchorUsers, csrf, login_as
from wikipost.wiki import Wiki

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "conformance"
TRANSCRIPT = FIXTURES / "mediawiki-1.39.transcript.jsonl"
TALKPAGES = FIXTURES / "talkpages"


def records() -> dict[int, dict[str, Any]]:
    with TRANSCRIPT.open(encoding="utf-8") as f:
        return {r["seq"]: r for r in map(json.loads, f)}


def seed_pages(
    wiki: Wiki, users: AnchorUsers, recs: dict[int, dict[str, Any]], seqs: range = range(127, 138)
) -> None:
    """The pages the ``setup.edit.*`` (and list-creation) records made, saved as Admin."""
    actor = wiki.users.actor_for(users.admin)
    # The installer's Main Page is page 1 / revision 1 of the reference wiki.
    save_as(wiki, actor, "Main Page", "<strong>MediaWiki has been installed.</strong>")
    for seq in seqs:
        form = recs[seq]["form"]
        save_as(wiki, actor, form["title"], form["text"], form.get("summary", ""), form.get("contentmodel"))


def save_as(
    wiki: Wiki, actor: Any, title_text: str, text: str, summary: str = "", model: str | None = None
) -> None:
    title = wiki.titles.parse(title_text)
    with wiki.db.write() as conn:
        wiki.pages.save(conn, title=title, actor=actor, text=text, summary=summary, content_model=model)


class Sessions:
    """One logged-in client per session name of the transcript (``anon`` has no login)."""

    def __init__(self, wiki: Wiki, client: TestClient, users: AnchorUsers) -> None:
        self.wiki = wiki
        self.client = client
        self.users = users
        self.current: str | None = None

    def use(self, name: str) -> None:
        if name == self.current:
            return
        self.current = name
        if name == "anon":
            self.client.cookies.clear()
            return
        user_name, _, bot_app = name.partition("_")
        user = getattr(self.users, user_name)
        login_as(self.wiki, self.client, user, bot_app={"bp": "anchor"}.get(bot_app))

    def send(self, record: dict[str, Any]) -> Any:
        """Replay one record in its session, with a fresh valid token where it had one."""
        self.use(record["session"])
        keep_token = record["name"].endswith("bad_token")
        form = dict(record.get("form") or {})
        params = dict(record.get("params") or {})
        for values in (form, params):
            if "token" in values and not keep_token:
                values["token"] = csrf(self.client)
        if record["method"] == "GET":
            return self.client.get(API, params=params)
        return self.client.post(API, params=params, data=form)


_SIGNATURE_DATE = re.compile(r"\d{2}:\d{2}, \d{1,2} [A-Z][a-z]+ \d{4} \(UTC\)")


def comparable_page(text: str) -> tuple[str, list[str]]:
    """Text before the first section, and the sections sorted, with signature dates masked:
    jobs deliver in any order, and the dates naturally differ."""
    masked = _SIGNATURE_DATE.sub("<date>", text)
    parts = re.split(r"(?:^|\n\n)(?=== )", masked)
    return parts[0], sorted(parts[1:])


def expected_talk_pages() -> dict[str, str]:
    """Title → final text of every page in talkpages/ (file names: title with _ for ': ')."""
    index = json.loads((FIXTURES / "mediawiki-1.39.talkpages.json").read_text(encoding="utf-8"))
    out = {}
    for title in index:
        path = TALKPAGES / (re.sub(r"[: ]", "_", title) + ".wikitext")
        if path.exists():
            out[title] = path.read_text(encoding="utf-8")
    return out
