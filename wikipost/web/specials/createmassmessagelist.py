"""Special:CreateMassMessageList (MassMessage's SpecialCreateMassMessageList): a new, empty
delivery list or one importing the pages of an existing list or category.

The form is MassMessage's (``wptitle``, ``wpdescription``, ``wpcontent``, ``wpsource``, as its
HTMLForm names them); the checks, their messages and the save are the list service's
(``services/massmessage_list_edits.py``), which also serves action=editmassmessagelist.
"""

from __future__ import annotations

import re
from typing import ClassVar

from starlette.responses import RedirectResponse, Response

from wikipost.api.errors import ApiError
from wikipost.services.massmessage_list_edits import DeliveryListEditor
from wikipost.web.context import PageContext
from wikipost.web.forms import Field, FormState
from wikipost.web.special import FormSpecialPage, PageOutput

CONTENT_OPTIONS = (
    ("new", "Create a new delivery list"),
    ("import", "Import pages from an existing list or category"),
)
_WIKILINK = re.compile(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]")


def plain_text(message: str) -> str:
    """A service message (wikitext with links) as plain text: ``[[A|b]]`` → ``b``."""
    return _WIKILINK.sub(r"\1", message)


def error_texts(err: ApiError) -> list[str]:
    return [plain_text(m.text) for m in err.messages]


class SpecialCreateMassMessageList(FormSpecialPage):
    name = "CreateMassMessageList"
    heading = "Create mass message delivery list"
    restriction = "editcontentmodel"
    submit_label = "Submit"
    template: ClassVar[str] = "createmassmessagelist.html"

    def fields(self, ctx: PageContext, sub: str) -> tuple[Field, ...]:
        return (
            Field("wptitle", "text", "Title:", raw_name=True),
            Field("wpdescription", "textarea", "Description:", rows=5, raw_name=True),
            Field("wpcontent", "select", "Content:", default="new", options=CONTENT_OPTIONS, raw_name=True),
            Field("wpsource", "text", "Source:", raw_name=True),
        )

    def on_submit(self, ctx: PageContext, state: FormState, sub: str) -> PageOutput | Response | None:
        values = state.values
        # An absent radio button is HTMLForm's default ("new").
        importing = values["wpcontent"] == "import"
        try:
            title = DeliveryListEditor.of(ctx.wiki).create(
                ctx.actor,
                ctx.client_ip,
                values["wptitle"],
                values["wpdescription"],
                values["wpsource"] if importing else None,
            )
        except ApiError as err:
            state.messages.extend(error_texts(err))
            return None
        return RedirectResponse(ctx.url(title), status_code=302)

    def show_form(self, ctx: PageContext, sub: str, state: FormState, **extra: object) -> PageOutput:
        by_name = {f.name: f for f in state.fields}
        output = super().show_form(
            ctx, sub, state, content_options=CONTENT_OPTIONS, fields_by_name=by_name, **extra
        )
        output.template = self.template
        output.scripts = ("delivery-list.js",)
        return output
