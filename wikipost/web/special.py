"""Special pages as declarations, like MediaWiki's SpecialPage / FormSpecialPage.

A page declares its name, heading, the right it needs and whether it needs a login; a form
page declares its fields (``forms.Field``) and an ``on_submit`` that calls the same service the
API module calls. The token check, validation, error display and rendering happen here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.responses import Response

from wikipost.web.context import PageContext
from wikipost.web.forms import Field, FormState

SESSION_FAILURE = (
    "There seems to be a problem with your login session; this action has been canceled as a "
    "precaution against session hijacking. Please resubmit the form."
)


@dataclass
class PageOutput:
    """A page to draw in the skin: ``template`` with ``values``, under ``heading``."""

    heading: str
    template: str
    values: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    relevant_user: str | None = None
    scripts: tuple[str, ...] = ()  # extra scripts of ours (static file names)


def message_page(
    heading: str, text: str, *, status: int = 200, kind: str = "info", links: Mapping[str, str] | None = None
) -> PageOutput:
    """A page saying one thing (plain text, escaped), with optional return links (label → URL)."""
    values = {"text": text, "kind": kind, "links": dict(links or {})}
    return PageOutput(heading, "message.html", values, status=status)


class SpecialPage:
    name: ClassVar[str] = ""
    heading: ClassVar[str] = ""
    restriction: ClassVar[str | None] = None  # the right needed to use the page
    login_required: ClassVar[bool] = False
    aliases: ClassVar[tuple[str, ...]] = ()

    def execute(self, ctx: PageContext, sub: str) -> PageOutput | Response:
        raise NotImplementedError


class FormSpecialPage(SpecialPage):
    """A page that is one form. Subclasses give ``fields`` and ``on_submit``."""

    submit_label: ClassVar[str] = "Submit"
    buttons: ClassVar[tuple[tuple[str, str], ...]] = ()  # (name, label); default one submit
    token_field: ClassVar[str] = "wpEditToken"
    token_type: ClassVar[str] = "csrf"
    legend: ClassVar[str] = ""

    def fields(self, ctx: PageContext, sub: str) -> tuple[Field, ...]:
        raise NotImplementedError

    def intro(self, ctx: PageContext, sub: str) -> str:
        """Plain text above the form."""
        return ""

    def on_submit(self, ctx: PageContext, state: FormState, sub: str) -> PageOutput | Response | None:
        """Act on a valid, token-checked submission. None: show the form again with the
        problems the method added to ``state`` (``state.messages`` / ``state.errors``)."""
        raise NotImplementedError

    def execute(self, ctx: PageContext, sub: str) -> PageOutput | Response:
        fields = self.fields(ctx, sub)
        state = FormState.read(fields, ctx.form if ctx.posted else ctx.query, ctx.posted)
        if ctx.posted:
            if not ctx.token_ok(self.token_field, self.token_type):
                state.messages.append(SESSION_FAILURE)
            elif state.validate():
                outcome = self.on_submit(ctx, state, sub)
                if outcome is not None:
                    return outcome
        return self.show_form(ctx, sub, state)

    def show_form(self, ctx: PageContext, sub: str, state: FormState, **extra: Any) -> PageOutput:
        values = {
            "form": state,
            "intro": self.intro(ctx, sub),
            "legend": self.legend,
            "action": ctx.url(f"Special:{self.name}" + (f"/{sub}" if sub else "")),
            "token_field": self.token_field,
            "token": ctx.token(self.token_type),
            "buttons": self.buttons or (("", self.submit_label),),
            **extra,
        }
        return PageOutput(self.heading, "form.html", values)
