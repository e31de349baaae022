"""action=options: change the current user's preferences (ApiOptions, 1.39).

Known preferences are those of UserService.DEFAULT_OPTIONS plus ``userjs-*``; others get
MediaWiki's validation warning. ``email-blacklist`` takes user names (one a line or ``|``-free
list) and stores user ids joined by newlines, as Special:Preferences does.
"""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError, missingparam
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.services.users import DEFAULT_OPTIONS

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
        for key, value in changes.items():
            if key in DEFAULT_OPTIONS or (key.startswith("userjs-") and len(key) <= 255):
                if key == "email-blacklist" and value:
                    value = stored_blacklist(ctx, value)
                users.set_option(actor.id, key, value)
            else:
                reason = (
                    "not a valid preference."
                    if not key.startswith("userjs-")
                    else "key too long (no more than 255 bytes allowed)."
                )
                ctx.warn(self.path(), "validationfailed", f'Validation error for "{key}": {reason}')
        ctx.result["options"] = "success"
