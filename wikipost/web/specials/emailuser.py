"""Special:EmailUser[/Target]: the same service as action=emailuser — its checks in its order,
its messages, its rate limit, its durable outbox and duplicate guard. The page only picks the
target, draws the form and turns the service's outcome into a page."""

from __future__ import annotations

from starlette.responses import Response

from wikipost.services.emailuser import EmailUserError
from wikipost.web.context import PageContext
from wikipost.web.forms import Field, FormState
from wikipost.web.special import FormSpecialPage, PageOutput, message_page

SUBJECT_MAX = 200  # HTMLForm's maxlength for wpSubject in 1.39


class SpecialEmailUser(FormSpecialPage):
    name = "EmailUser"
    heading = "Email user"
    login_required = True
    submit_label = "Send"
    legend = ""

    def target_name(self, ctx: PageContext, sub: str) -> str:
        return (sub or ctx.param("wpTarget") or ctx.param("target")).strip()

    def execute(self, ctx: PageContext, sub: str) -> PageOutput | Response:
        target = self.target_name(ctx, sub)
        if not target:
            return PageOutput(self.heading, "emailuser_target.html", {"action": ctx.url("Special:EmailUser")})
        try:
            with ctx.wiki.db.read() as conn:
                person, _sender = ctx.wiki.emailuser.check(conn, ctx.actor, target)
        except EmailUserError as err:
            return message_page(self.heading, err.text, status=400, kind="error")
        output = super().execute(ctx, person.name)
        if isinstance(output, PageOutput):
            output.relevant_user = person.name  # wgRelevantUserName, and the tools box
        return output

    def intro(self, ctx: PageContext, sub: str) -> str:
        return (
            "You can use the form below to send an email message to this user. The email address "
            'you entered in your user preferences will appear as the "From" address of the '
            "email, so the recipient will be able to reply directly to you."
        )

    def fields(self, ctx: PageContext, sub: str) -> tuple[Field, ...]:
        site = ctx.wiki.settings.site.name
        return (
            Field("sender", "info", "From:", default=ctx.actor.name),
            Field("recipient", "info", "To:", default=sub),
            Field("target", "hidden", default=sub),
            Field(
                "subject",
                "text",
                "Subject:",
                default=f'{site} email from user "{ctx.actor.name}"',
                required=True,
                maxlength=SUBJECT_MAX,
            ),
            Field("text", "textarea", "Message:", required=True, rows=20),
            Field("cCMe", "check", "Email me a copy of my message"),
        )

    def on_submit(self, ctx: PageContext, state: FormState, sub: str) -> PageOutput | None:
        values = state.values
        try:
            ctx.wiki.emailuser.send(
                ctx.actor, ctx.client_ip, sub, values["subject"], values["text"], bool(values["cCMe"])
            )
        except EmailUserError as err:
            state.messages.append(err.text)
            return None
        return message_page(
            "Email sent",
            "Your email message has been sent.",
            kind="success",
            links={f"Return to User:{sub}": ctx.url(f"User:{sub}")},
        )
