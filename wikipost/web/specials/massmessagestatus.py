"""Special:MassMessageStatus[/ID]: how far a mass-message send has got, live; cancel it.

Wikipost's own page (MassMessage has none). The numbers are ``MassMessageService.status`` —
what ``list=massmessagestatus`` and ``wikipost massmessage status`` report — and
``massmessage-status.js`` keeps them current by polling that API module while the send runs;
without JavaScript a reload shows the current numbers. Cancelling is a POST with the session's
token, decided by ``MassMessageService.cancel`` (the sender, or an administrator who may send
mass messages — see ``massmessage_status.CANCEL_OTHERS_RIGHT``). Without an id: recent sends.
"""

from __future__ import annotations

from typing import Any

from wikipost.services.massmessage import CancelError, SendStatus
from wikipost.web.context import PageContext
from wikipost.web.special import SESSION_FAILURE, PageOutput, SpecialPage, message_page
from wikipost.web.specials.logformat import web_time

HEADING = "Mass message delivery status"
PAGE_SIZE = 50
SCRIPT = "massmessage-status.js"
# The skip reasons (the actions of MassMessage's skip log entries), for people.
SKIP_REASONS = {
    "skipbadns": "in a namespace that cannot be posted in",
    "skipoptout": "opted out of message delivery",
    "skipnouser": "the user account does not exist",
}
CANCELLED = "The send has been cancelled: messages not yet delivered will not be delivered."


class SpecialMassMessageStatus(SpecialPage):
    name = "MassMessageStatus"
    heading = HEADING

    def execute(self, ctx: PageContext, sub: str) -> PageOutput:
        raw_id = (sub or ctx.param("id")).strip()
        if not raw_id:
            return self.listing(ctx)
        if not raw_id.isdigit():
            return message_page(HEADING, f'"{raw_id}" is not the id of a send.', status=400, kind="error")
        service = ctx.wiki.massmessage
        send_id = int(raw_id)
        errors: list[str] = []
        notice = ""
        if ctx.posted and "wpCancel" in ctx.form:
            if not ctx.token_ok():
                errors.append(SESSION_FAILURE)
            else:
                try:
                    service.cancel(send_id, ctx.actor)
                    notice = CANCELLED
                except CancelError as err:
                    errors.append(err.text)
        status = service.status(send_id)
        if status is None:
            text = f"There is no mass-message send with the id {send_id}."
            return message_page(HEADING, text, status=404, kind="error")
        return self.show(ctx, status, errors, notice)

    def show(self, ctx: PageContext, s: SendStatus, errors: list[str], notice: str) -> PageOutput:
        own_url = ctx.url(f"Special:MassMessageStatus/{s.id}")
        values: dict[str, Any] = {
            "s": s,
            "errors": errors,
            "notice": notice,
            "list_url": ctx.url(s.spamlist),
            "sender_url": ctx.url(f"User:{s.sender}"),
            "page_message_url": ctx.url(s.page_message) if s.page_message else "",
            "created": web_time(s.created_at),
            "finished": web_time(s.finished_at) if s.finished_at else "",
            "skipped_total": sum(s.skipped.values()),
            "failed_total": sum(s.failed.values()),
            "skipped": sorted(s.skipped.items()),
            "failed": sorted(s.failed.items()),
            "reason_labels": SKIP_REASONS,
            "can_cancel": ctx.wiki.massmessage.may_cancel(ctx.actor, s),
            "token": ctx.token(),
            "action": own_url,
            "own_url": own_url,
            "all_url": ctx.url("Special:MassMessageStatus"),
        }
        heading = f"{HEADING}: send {s.id}"
        return PageOutput(heading, "massmessage_status.html", values, scripts=(SCRIPT,))

    def listing(self, ctx: PageContext) -> PageOutput:
        service = ctx.wiki.massmessage
        offset = ctx.param("offset")
        before = int(offset) if offset.isdigit() else None
        ids = service.recent_sends(PAGE_SIZE + 1, before)
        sends = [s for s in (service.status(i) for i in ids[:PAGE_SIZE]) if s is not None]
        rows = [
            {
                "s": s,
                "url": ctx.url(f"Special:MassMessageStatus/{s.id}"),
                "list_url": ctx.url(s.spamlist),
                "sender_url": ctx.url(f"User:{s.sender}"),
                "created": web_time(s.created_at),
            }
            for s in sends
        ]
        older = ""
        if len(ids) > PAGE_SIZE and sends:
            older = ctx.url("Special:MassMessageStatus", offset=str(sends[-1].id))
        newest = ctx.url("Special:MassMessageStatus") if before else ""
        values = {"rows": rows, "older": older, "newest": newest}
        return PageOutput(HEADING, "massmessage_sends.html", values)
