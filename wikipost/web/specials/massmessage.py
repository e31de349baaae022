"""Special:MassMessage: MassMessage's SpecialMassMessage — a form, a preview, a submit.

Field names, element ids and button names are MassMessage's (``spamlist``, ``subject``,
``page-message``, ``page-subject-section``, ``page-message-section``, ``message``,
``preview-button``, ``submit-button`` in ``#mw-massmessage-form``), so scripts written against
MassMessage drive this page too. The checks, the target count and the section a delivery
appends come from MassMessageService — ``validate`` and ``submit`` are the very methods
``action=massmessage`` calls — so the page and the API accept and refuse the same sends.

Labeled sections of the page message (MassMessage's ``page-*-section`` selects) are not
supported by the delivery: the selects offer only "----", as MassMessage's do for a page
without sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wikipost.api.errors import ApiError
from wikipost.services.massmessage import SendPreview, SendRequest
from wikipost.web.context import PageContext
from wikipost.web.rendering import render_wikitext
from wikipost.web.special import SESSION_FAILURE, PageOutput, SpecialPage, message_page

HEADING = "Send mass message"  # massmessage
SUBJECT_MAXLENGTH = 240
SECTION_FIELDS = ("page-subject-section", "page-message-section")
BAD_OPTION = "The value you specified is not a valid option."  # htmlform-select-badoption
JUST_PREVIEW = 'This is just a preview. Press "Send" to send the message.'  # massmessage-just-preview


def pages_text(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


@dataclass
class MassMessageForm:
    """What the form shows: the values as posted, and the problems to list above it."""

    spamlist: str = ""
    subject: str = ""
    page_message: str = ""
    message: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, ctx: PageContext) -> MassMessageForm:
        def text(name: str) -> str:
            return ctx.param(name).replace("\r\n", "\n")

        return cls(text("spamlist"), text("subject"), text("page-message"), text("message"))

    def request(self) -> SendRequest:
        return SendRequest(self.spamlist, self.subject, self.message, self.page_message)


class SpecialMassMessage(SpecialPage):
    name = "MassMessage"
    heading = HEADING
    restriction = "massmessage"
    login_required = True

    def execute(self, ctx: PageContext, sub: str) -> PageOutput:
        form = MassMessageForm.read(ctx)
        if not ctx.posted:
            return self.show(ctx, form, "form")
        state = "submit" if "submit-button" in ctx.form else "preview"
        if not ctx.token_ok():
            form.errors.append(SESSION_FAILURE)
            return self.show(ctx, form, "form")
        if any(ctx.param(name) for name in SECTION_FIELDS):
            form.errors.append(BAD_OPTION)
            return self.show(ctx, form, "form")
        service = ctx.wiki.massmessage
        try:
            if state == "submit":
                send_id, count = service.submit(ctx.actor, form.request())
                return self.submitted(ctx, send_id, count)
            preview = service.preview(ctx.actor, form.request())
        except ApiError as err:  # MassMessage shows every failure, and the plain form again
            form.errors.extend(m.text for m in err.messages)
            return self.show(ctx, form, "form")
        form.errors.extend(preview.warnings)
        return self.show(ctx, form, "preview", preview)

    def show(
        self, ctx: PageContext, form: MassMessageForm, state: str, preview: SendPreview | None = None
    ) -> PageOutput:
        values: dict[str, Any] = {
            "form": form,
            "state": state,
            "action": ctx.url("Special:MassMessage"),
            "token": ctx.token(),
            "subject_maxlength": SUBJECT_MAXLENGTH,
            "just_preview": JUST_PREVIEW,
            "preview": preview,
            "preview_count": pages_text(preview.count) if preview else "",
            "preview_html": render_wikitext(ctx.wiki, preview.wikitext).html if preview else "",
        }
        return PageOutput(self.heading, "massmessage.html", values)

    def submitted(self, ctx: PageContext, send_id: int, count: int) -> PageOutput:
        text = f"Your message delivery to {pages_text(count)} has been queued."  # massmessage-submitted
        links = {
            "Follow the delivery": ctx.url(f"Special:MassMessageStatus/{send_id}"),
            "Send another message": ctx.url("Special:MassMessage"),  # massmessage-nextsteps
        }
        return message_page(self.heading, text, kind="success", links=links)
