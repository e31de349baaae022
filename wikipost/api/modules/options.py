"""action=options: change the current user's preferences (ApiOptions, 1.39).

Which names are preferences, and which values each takes, is 1.39's option table
(services.preferences: ``option_problem``), for this user's rights and the wiki's email
configuration; ``userjs-*`` keys are free. A refused change gets MediaWiki's
``validationfailed`` warning and the others are still stored. ``email-blacklist`` takes user
names (one a line or ``|``-free list) and stores user ids joined by newlines, as
Special:Preferences does.
"""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError, missingparam
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.services.preferences import option_problem, switched_off_options

RESET_KINDS = (
    "all",
    "registered",
    "registered-checkmatrix",
    "registered-multiselect",
    "special",
    "unused",
    "userjs",
)


def stored_blacklist(ctx: ApiContext, value: str) -> str:
    """User names (newline separated) → the stored form, user ids joined by newlines."""
    return ctx.wiki.users.stored_mute_list(value)


class Options(ApiModule):
    name = "options"
    classname = "ApiOptions"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Options",)
    description = "Change preferences of the current user."
    token = "csrf"
    write = True
    read = False
    params = (
        Param("reset", "boolean"),
        Param("resetkinds", RESET_KINDS, multi=True, default="all"),
        Param("change", "string", multi=True),
        Param("optionname", "string"),
        Param("optionvalue", "string"),
    )
    examples = (
        ("action=options&reset=&token=123ABC", "Reset all preferences."),
        (
            "action=options&change=skin=vector|hideminor=1&token=123ABC",
            "Change skin and hideminor preferences.",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        actor, users = ctx.actor, ctx.wiki.users
        if actor.is_anon:
            raise ApiError("notloggedin", "You must be logged in to edit your own preferences.")
        if not actor.has_right("editmyoptions"):
            raise ApiError("permissiondenied", "You don't have permission to edit your own preferences.")
        if params["optionvalue"] is not None and params["optionname"] is None:
            raise missingparam("optionname")
        reset_kinds = params["resetkinds"] if params["reset"] else []
        changes: dict[str, str | None] = {}
        for entry in params["change"] or []:
            key, sep, value = entry.partition("=")
            changes[key] = value if sep else None
        if params["optionname"] is not None:
            changes[params["optionname"]] = params["optionvalue"]
        if not changes and not reset_kinds:
            raise ApiError("nochanges", "No changes were requested.")
        if reset_kinds:
            users.reset_options(actor.id)
        settings = ctx.wiki.settings
        switched_off = switched_off_options(
            enable_email=settings.mail.enable_email,
            enable_user_email=settings.mail.enable_user_email,
            mute_list=settings.users.user_email_mute_list,
        )
        accepted: dict[str, str | None] = {}
        for key, value in changes.items():
            problem = option_problem(key, value, rights=actor.rights, switched_off=switched_off)
            if problem is not None:
                ctx.warn(self.path(), "validationfailed", f'Validation error for "{key}": {problem}')
            elif key == "email-blacklist" and value:
                accepted[key] = stored_blacklist(ctx, value)
            else:
                accepted[key] = value
        if accepted:
            users.set_options(actor.id, accepted)
        ctx.result["options"] = "success"
