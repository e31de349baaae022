"""action=clearhasmsg: clear the new-message notice of the current user (ApiClearHasMsg, 1.39).

No token, only a POST, as in 1.39. Anonymous users have no notice to clear here and get the same
answer (services/notices.py keeps notices for registered users only).
"""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import ApiModule
from wikipost.services import notices


class ClearHasMsg(ApiModule):
    name = "clearhasmsg"
    classname = "ApiClearHasMsg"
    must_be_posted = True
    write = True
    blocking = True  # a write: never wait on the store's write lock on the event loop
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:ClearHasMsg",)
    description = 'Clears the "hasmsg" flag for the current user.'
    examples = (("action=clearhasmsg", 'Clear the "hasmsg" flag for the current user.'),)

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        if ctx.actor.is_registered:
            with ctx.wiki.db.write() as conn:
                notices.clear(conn, ctx.actor.id)
        ctx.result["clearhasmsg"] = "success"
