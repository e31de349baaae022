"""Log entries as MediaWiki's LogFormatter words them, for Special:Log.

A line is a list of segments (plain text, or a link), never HTML: the template escapes every
piece, so a user name, page title, subject or comment cannot inject markup. The wording is that
of MediaWiki 1.39's ``logentry-*`` messages (and MassMessage's for ``massmessage/*``), with
``$1`` the performer, ``$3`` the target and ``$4``… the entry's parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wikipost.services.logs import decode_params
from wikipost.services.titles import Title
from wikipost.web.context import PageContext

MONTHS = ("January February March April May June July August September October November December").split()
_PLACEHOLDER = re.compile(r"\$(\d)")
INFINITE = frozenset({"infinite", "indefinite", "infinity", "never"})
BLOCK_FLAGS = {  # block-log-flags-*
    "anononly": "anonymous users only",
    "nocreate": "account creation disabled",
    "noautoblock": "autoblock disabled",
    "noemail": "email disabled",
    "nousertalk": "cannot edit own talk page",
    "angry-autoblock": "enhanced autoblock enabled",
    "hiddenname": "username hidden",
}
MESSAGES = {  # logentry-TYPE-ACTION
    "block/block": "$1 blocked $3 with an expiration time of $5 $6",
    "block/reblock": "$1 changed block settings for $3 with an expiration time of $5 $6",
    "block/unblock": "$1 unblocked $3",
    "massmessage/send": "$1 sent a message to $3",
    "massmessage/send-page-message": "$1 sent page $5 as message to $3",
    "massmessage/failure": 'Delivery of "$4" to $3 failed with an error code of $5',
    "massmessage/skipbadns": (
        'Delivery of "$4" to $3 was skipped because target was in a namespace that cannot be posted in'
    ),
    "massmessage/skipoptout": (
        'Delivery of "$4" to $3 was skipped because the target has opted-out of message delivery'
    ),
    "massmessage/skipnouser": 'Delivery of "$4" to $3 was skipped because the user account does not exist',
    "delete/delete": "$1 deleted page $3",
    "protect/protect": "$1 protected $3 $4",
    "protect/modify": "$1 changed protection settings for $3 $4",
    "protect/unprotect": "$1 removed protection from $3",
    "contentmodel/change": '$1 changed the content model of the page $3 from "$4" to "$5"',
    "contentmodel/new": '$1 created the page $3 using a non-default content model "$5"',
    "managetags/create": '$1 created the tag "$4"',
    "managetags/delete": '$1 deleted the tag "$4"',
    "managetags/activate": '$1 activated the tag "$4" for use by users and bots',
    "managetags/deactivate": '$1 deactivated the tag "$4" for use by users and bots',
    "create/create": "$1 created page $3",
}
FALLBACK = '$1 performed the action "$7" on $3'


def web_time(ts: float) -> str:
    """MediaWiki's default date format in UTC: ``12:34, 5 May 2024``."""
    d = datetime.fromtimestamp(int(ts), UTC)
    return f"{d:%H:%M}, {d.day} {MONTHS[d.month - 1]} {d.year}"


@dataclass(frozen=True)
class Segment:
    """A piece of a line: text, a link when ``href`` is set, ``kind`` "code" for <code>."""

    text: str
    href: str = ""
    cls: str = ""  # "new" for a link to a missing page, "mw-userlink" for a user
    tooltip: str = ""
    kind: str = "text"


@dataclass(frozen=True)
class LogLine:
    id: int
    type: str
    action: str
    when: str
    parts: list[Segment]
    comment: str
    links: list[Segment] = field(default_factory=list)  # after the comment: "(delivery status)"


def fill(template: str, params: dict[int, Segment | str]) -> list[Segment]:
    """A message with ``$N`` replaced by its parameter (a missing one stays ``$N``)."""
    out: list[Segment] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        if m.start() > pos:
            out.append(Segment(template[pos : m.start()]))
        value = params.get(int(m.group(1)))
        if value is None:
            value = m.group(0)
        out.append(value if isinstance(value, Segment) else Segment(value))
        pos = m.end()
    if pos < len(template):
        out.append(Segment(template[pos:]))
    return [s for s in out if s.text or s.href]


class LineFormatter:
    """Turns log rows (``LogService.read_page``) into lines for one request."""

    def __init__(self, ctx: PageContext, sends: dict[int, int]) -> None:
        self.ctx = ctx
        self.sends = sends  # log id → mass-message send id

    def user_link(self, name: str) -> Segment:
        return Segment(name, self.ctx.url(f"User:{name}"), "mw-userlink")

    def page_link(self, title: Title, exists: bool, text: str = "") -> Segment:
        return Segment(text or title.prefixed_text, self.ctx.url(title), "" if exists else "new")

    def line(self, row: Any) -> LogLine:
        title = self.ctx.wiki.titles.make(row.namespace, row.dbkey)
        params = decode_params(row.params)
        values: dict[int, Segment | str] = {
            1: self.user_link(row.user_name),
            2: row.user_name,
            3: self.page_link(title, row.current_page is not None),
            7: f"{row.type}/{row.action}",
        }
        key = f"{row.type}/{row.action}"
        special = SPECIAL_PARAMS.get(row.type)
        if special is not None:
            key = special(self, row, title, params, values) or key
        for n, name in PARAM_NAMES.get(key, {}).items():
            values.setdefault(n, str(params.get(name, "")))
        links = []
        send_id = self.sends.get(row.id)
        if send_id is not None:
            url = self.ctx.url(f"Special:MassMessageStatus/{send_id}")
            links.append(Segment("delivery status", url, "mw-massmessage-status-link"))
        parts = fill(MESSAGES.get(key, FALLBACK), values)
        return LogLine(row.id, row.type, row.action, web_time(row.timestamp), parts, row.comment, links)


# The params named by $4, $5 … of the simple messages.
PARAM_NAMES: dict[str, dict[int, str]] = {
    "protect/protect": {4: "description"},
    "protect/modify": {4: "description"},
    "contentmodel/change": {4: "oldmodel", 5: "newmodel"},
    "contentmodel/new": {5: "newmodel"},
    "managetags/create": {4: "tag"},
    "managetags/delete": {4: "tag"},
    "managetags/activate": {4: "tag"},
    "managetags/deactivate": {4: "tag"},
    "massmessage/failure": {4: "subject"},
    "massmessage/skipbadns": {4: "subject"},
    "massmessage/skipoptout": {4: "subject"},
    "massmessage/skipnouser": {4: "subject"},
}


def _block(
    f: LineFormatter, row: Any, title: Title, params: dict[str, Any], values: dict[int, Segment | str]
) -> str | None:
    """BlockLogFormatter: the target as a user link, the duration, the flags in parentheses."""
    name = title.text.split("/", 1)[0]
    values[3] = Segment(name, f.ctx.url(title), "mw-userlink")
    duration = str(params.get("duration", ""))
    expiry = params.get("expiry")
    tooltip = f"ends {expiry}" if isinstance(expiry, str) and expiry else ""
    values[5] = Segment("infinite" if duration.lower() in INFINITE else duration, tooltip=tooltip)
    flags = params.get("flags", [])
    if isinstance(flags, str):
        flags = [x for x in flags.split(",") if x]
    labels = [BLOCK_FLAGS.get(str(flag), str(flag)) for flag in flags]
    values[6] = f"({', '.join(labels)})" if labels else ""
    return None


def _massmessage(
    f: LineFormatter, row: Any, title: Title, params: dict[str, Any], values: dict[int, Segment | str]
) -> str | None:
    """MassMessage's formatters: a send links the list's revision it used, and names the page
    sent as message; a failure shows its error code as code."""
    if row.action == "failure":
        values[5] = Segment(str(params.get("reason", "")), kind="code")
        return None
    if row.action != "send":
        return None
    revid = params.get("revid")
    if isinstance(revid, int) and revid > 0 and row.current_page is not None:
        values[3] = Segment(title.prefixed_text, f.ctx.url(title, oldid=str(revid)))
    page_message = params.get("pageMessage")
    if isinstance(page_message, str) and page_message:
        target = f.ctx.wiki.titles.try_parse(page_message)
        values[5] = Segment(page_message, f.ctx.url(target) if target is not None else "")
        return "massmessage/send-page-message"
    return None


SPECIAL_PARAMS: dict[str, Callable[..., str | None]] = {"block": _block, "massmessage": _massmessage}
