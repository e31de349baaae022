"""Special:Log[/type]: the log, newest first, filtered by type, performer (``user``) and target
(``page``), paged by ``offset`` and ``limit`` as MediaWiki's LogPager pages (``offset`` is the
``timestamp|id`` of the last entry shown, ``dir=prev`` goes towards newer entries).

Entries are read with the same filter as ``list=logevents`` (``services.logs.log_query``) and
worded as MediaWiki's log formatters word them (``logformat``). A ``massmessage/send`` entry
links to its send's status page: the send records the id of its log entry, an exact join.
"""

from __future__ import annotations

from typing import Any

from wikipost.clock import mw_timestamp, parse_iso8601
from wikipost.services.logs import LOG_TYPES, LogFilter
from wikipost.services.titles import InvalidTitle, Title
from wikipost.services.usernames import canonical_form
from wikipost.web.context import PageContext
from wikipost.web.special import PageOutput, SpecialPage
from wikipost.web.specials.logformat import LineFormatter

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
LIMITS = (20, 50, 100, 250, 500)
ANY_ID = 2**62  # beyond every log id
LOG_NAMES = {  # log-name-*
    "block": "Block log",
    "contentmodel": "Content model change log",
    "create": "Page creation log",
    "delete": "Deletion log",
    "import": "Import log",
    "managetags": "Tag management log",
    "massmessage": "Mass message log",
    "merge": "Merge log",
    "move": "Move log",
    "newusers": "User creation log",
    "patrol": "Patrol log",
    "protect": "Protection log",
    "rights": "User rights log",
    "suppress": "Suppression log",
    "tag": "Tag log",
    "upload": "Upload log",
}
ALL_LOGS = "All public logs"
TYPE_OPTIONS = [("", ALL_LOGS), *sorted(((t, LOG_NAMES.get(t, t)) for t in LOG_TYPES), key=lambda x: x[1])]
DESCRIPTIONS = {  # log-description-*
    "": (
        "Combined display of all available logs of {site}. You can narrow down the view by "
        "selecting a log type, the username (case-sensitive), or the affected page (also "
        "case-sensitive)."
    ),
    "massmessage": "These events track users sending messages.",
    "block": "This is a log of user blocking and unblocking actions.",
}


def parse_offset(text: str) -> tuple[int, int] | None:
    """``20240501120000|123`` → (unix time, id); a bare timestamp covers that whole second
    (entries up to and including it are "older"); None when malformed (the newest page)."""
    stamp_text, _, id_text = text.partition("|")
    stamp = parse_iso8601(stamp_text.strip())
    if stamp is None:
        return None
    if not id_text:
        return int(stamp), ANY_ID
    return (int(stamp), int(id_text)) if id_text.isdigit() else None


def parse_limit(text: str) -> int:
    return max(1, min(MAX_LIMIT, int(text))) if text.isdigit() else DEFAULT_LIMIT


class SpecialLog(SpecialPage):
    name = "Log"
    heading = "Logs"

    def execute(self, ctx: PageContext, sub: str) -> PageOutput:
        log_type, user = ctx.param("type").strip().lower(), ctx.param("user").strip()
        if sub:  # Special:Log/massmessage, or Special:Log/UserName as in MediaWiki
            if sub.lower() in LOG_TYPES:
                log_type = sub.lower()
            else:
                user = sub
        log_type = log_type if log_type in LOG_TYPES else ""
        user = canonical_form(user) if user else ""
        page_text = ctx.param("page").strip()
        errors: list[str] = []
        page: Title | None = None
        if page_text:
            try:
                page = ctx.wiki.titles.parse(page_text)
            except InvalidTitle:
                errors.append(f'"{page_text}" is not a valid page title.')
        limit = parse_limit(ctx.param("limit"))
        offset = parse_offset(ctx.param("offset")) if ctx.param("offset") else None
        newer = ctx.param("dir") == "prev"
        lines: list[Any] = []
        nav: dict[str, str] = {}
        if not errors:
            wiki = ctx.wiki
            f = LogFilter(type=log_type or None, user=user or None, title=page)
            with wiki.db.read() as conn:
                result = wiki.pages.logs.read_page(conn, f, limit=limit, offset=offset, newer=newer)
            rows = result.rows
            sends_ids = [r.id for r in rows if (r.type, r.action) == ("massmessage", "send")]
            formatter = LineFormatter(ctx, wiki.massmessage.sends_for_log_entries(sends_ids))
            lines = [formatter.line(r) for r in rows]
            base = {k: v for k, v in (("type", log_type), ("user", user), ("page", page_text)) if v}
            nav = self.navigation(ctx, base, limit, rows, result.has_newer, result.has_older)
        values = {
            "types": TYPE_OPTIONS,
            "log_type": log_type,
            "user": user,
            "page_text": page_text,
            "limit": limit,
            "errors": errors,
            "lines": lines,
            "nav": nav,
            "description": DESCRIPTIONS.get(log_type, "").format(site=ctx.wiki.settings.site.name),
            "action": ctx.script,
        }
        heading = LOG_NAMES.get(log_type, self.heading) if log_type else self.heading
        return PageOutput(heading, "log.html", values)

    @staticmethod
    def navigation(
        ctx: PageContext, base: dict[str, str], limit: int, rows: list[Any], has_newer: bool, has_older: bool
    ) -> dict[str, str]:
        """The pager's links: newest, newer N, older N and the other page sizes."""
        nav: dict[str, str] = {}
        with_limit = {**base, "limit": str(limit)}
        if has_newer and rows:
            first = f"{mw_timestamp(rows[0].timestamp)}|{rows[0].id}"
            nav["newest"] = ctx.url("Special:Log", **with_limit)
            nav["newer"] = ctx.url("Special:Log", **with_limit, offset=first, dir="prev")
        if has_older and rows:
            last = f"{mw_timestamp(rows[-1].timestamp)}|{rows[-1].id}"
            nav["older"] = ctx.url("Special:Log", **with_limit, offset=last)
        for size in LIMITS:
            nav[f"limit{size}"] = ctx.url("Special:Log", **base, limit=str(size))
        return nav
