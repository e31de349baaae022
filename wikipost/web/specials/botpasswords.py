"""Special:BotPasswords[/AppId]: list, create, update (grants, password reset) and delete the
user's bot passwords through ``wiki.botpasswords``, the service ``wikipost botpassword create``
uses, with its app-id validation.

The flow is 1.39's: the first form (``wpappId``, ``op=new``) leads to Special:BotPasswords/AppId,
whose form has the grants as ``wpgrants[]`` checkboxes (``grant-<name>``) and the ``op`` buttons
create / update / delete / cancel. A generated password is shown once, in the answer to the POST
that made it (sent ``no-store``); nothing can show it again.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response

from wikipost.services.botpasswords import MAX_APP_ID_LENGTH, check_app_id, login_name
from wikipost.services.grants import GRANT_LABELS, GRANT_RIGHTS, IMPLICIT_GRANTS
from wikipost.web.context import PageContext
from wikipost.web.special import SESSION_FAILURE, PageOutput, SpecialPage, message_page

HEADING = "Bot passwords"
DISABLED = "Bot passwords are disabled."
BAD_APP_ID = 'The bot name "{app}" is not valid.'
INSERT_FAILED = 'Failed to add bot name "{app}". Was it already added?'
UPDATE_FAILED = 'Failed to update bot name "{app}". Was it deleted?'
RESULTS = {
    "create": ("Bot password created", 'The bot password for bot name "{app}" of user "{user}" was created.'),
    "update": ("Bot password updated", 'The bot password for bot name "{app}" of user "{user}" was updated.'),
    "delete": ("Bot password deleted", 'The bot password for bot name "{app}" of user "{user}" was deleted.'),
}


class SpecialBotPasswords(SpecialPage):
    name = "BotPasswords"
    heading = HEADING
    login_required = True
    restriction = "editmyprivateinfo"

    def execute(self, ctx: PageContext, sub: str) -> PageOutput | Response:
        if not ctx.wiki.settings.users.enable_bot_passwords:
            return message_page(HEADING, DISABLED, status=400, kind="error")
        app = (sub or ctx.param("appId")).strip()
        if not app:
            return self.list_page(ctx)
        app = self.resolve(ctx, app)
        try:
            check_app_id(app)
        except ValueError:
            return message_page(HEADING, BAD_APP_ID.format(app=app), status=400, kind="error")
        return self.app_page(ctx, app)

    # --- Special:BotPasswords: the list and the first form --------------------------------------

    def list_page(self, ctx: PageContext) -> PageOutput | Response:
        errors: list[str] = []
        app_value = ctx.param("wpappId")
        if ctx.posted:
            if not ctx.token_ok():
                errors.append(SESSION_FAILURE)
            elif ctx.param("op") == "new":
                app = app_value.strip()
                try:
                    if len(app) > MAX_APP_ID_LENGTH:
                        raise ValueError(app)
                    check_app_id(app)
                except ValueError:
                    errors.append(BAD_APP_ID.format(app=app))
                else:
                    return RedirectResponse(self.app_url(ctx, app), status_code=302)
        existing = [
            {"app": bp.app_id, "url": self.app_url(ctx, bp.app_id)}
            for bp in ctx.wiki.botpasswords.list_for(ctx.actor.id)
        ]
        values = {
            "errors": errors,
            "existing": existing,
            "app_value": app_value,
            "max_length": MAX_APP_ID_LENGTH,
            "action": ctx.url("Special:BotPasswords"),
            "token": ctx.token(),
        }
        return PageOutput(HEADING, "botpasswords.html", values)

    # --- Special:BotPasswords/AppId: create, update, delete ------------------------------------

    def app_page(self, ctx: PageContext, app: str) -> PageOutput | Response:
        service = ctx.wiki.botpasswords
        saved = service.get(ctx.actor.id, app)
        errors: list[str] = []
        chosen = list(saved.grants) if saved is not None else list(IMPLICIT_GRANTS)
        if ctx.posted:
            op = ctx.param("op")
            if not ctx.token_ok():
                errors.append(SESSION_FAILURE)
            elif op == "cancel":
                return RedirectResponse(ctx.url("Special:BotPasswords"), status_code=302)
            elif op in RESULTS:
                chosen = self.posted_grants(ctx)
                outcome = self.apply(ctx, app, op, chosen, errors)
                if outcome is not None:
                    return outcome
        values = {
            "errors": errors,
            "saved": saved is not None,
            "username": login_name(ctx.actor.name, app),
            "grants": self.grant_rows(chosen),
            "action": self.app_url(ctx, app),
            "token": ctx.token(),
        }
        return PageOutput(HEADING, "botpasswords_edit.html", values)

    def apply(
        self, ctx: PageContext, app: str, op: str, grants: list[str], errors: list[str]
    ) -> PageOutput | None:
        """Run the operation; the result page, or None after adding the failure to ``errors``."""
        service, user_id = ctx.wiki.botpasswords, ctx.actor.id
        password: str | None = None
        try:
            if op == "create":
                password = service.create(user_id, app, grants)
            elif op == "update":
                password = service.update(user_id, app, grants, reset=bool(ctx.param("wpresetPassword")))
            else:
                service.delete(user_id, app)
        except ValueError:
            errors.append((INSERT_FAILED if op == "create" else UPDATE_FAILED).format(app=app))
            return None
        heading, body = RESULTS[op]
        values: dict[str, Any] = {
            "body": body.format(app=app, user=ctx.actor.name),
            "password": password,
            "login_name": login_name(ctx.actor.name, app),
            "user_name": ctx.actor.name,
            "alt_password": f"{app}@{password}" if password else "",
            "return_url": ctx.url("Special:BotPasswords"),
        }
        if password is not None:
            ctx.headers["Cache-Control"] = "no-store, private, max-age=0"
        return PageOutput(heading, "botpasswords_result.html", values)

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def posted_grants(ctx: PageContext) -> list[str]:
        """The ticked ``wpgrants[]`` (``grant-<name>``), known grants only, plus the implicit ones."""
        ticked = {v.removeprefix("grant-") for v in ctx.form.get("wpgrants[]", [])}
        return [g for g in GRANT_RIGHTS if g in IMPLICIT_GRANTS or g in ticked]

    @staticmethod
    def grant_rows(chosen: list[str]) -> list[dict[str, Any]]:
        return [
            {
                "name": grant,
                "label": GRANT_LABELS.get(grant, grant),
                "rights": "; ".join(GRANT_RIGHTS[grant]),
                "checked": grant in chosen or grant in IMPLICIT_GRANTS,
                "forced": grant in IMPLICIT_GRANTS,
            }
            for grant in GRANT_RIGHTS
        ]

    @staticmethod
    def resolve(ctx: PageContext, app: str) -> str:
        """The stored app id a subpage name means: titles turn ``_`` into spaces, so an app id
        with underscores arrives with spaces."""
        if ctx.wiki.botpasswords.get(ctx.actor.id, app) is not None:
            return app
        for bp in ctx.wiki.botpasswords.list_for(ctx.actor.id):
            if bp.app_id.replace("_", " ") == app:
                return bp.app_id
        return app

    @staticmethod
    def app_url(ctx: PageContext, app: str) -> str:
        """Special:BotPasswords/AppId, or ``?appId=`` for an app id that is no valid title."""
        title = ctx.wiki.titles.try_parse(f"Special:BotPasswords/{app}")
        if title is not None and title.dbkey.partition("/")[2].replace("_", " ") == app.replace("_", " "):
            return ctx.url(title)
        return ctx.url("Special:BotPasswords", appId=app)
