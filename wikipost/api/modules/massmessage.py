"""action=massmessage (ApiMassMessage): send a message to every page of a delivery list.

Checks and delivery live in :mod:`wikipost.services.massmessage`; the answer comes once the
send and its targets are recorded, before delivery (massmessage.md §3).
"""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.services.massmessage import SendRequest


class MassMessage(ApiModule):
    name = "massmessage"
    blocking = True
    classname = "MediaWiki\\MassMessage\\Api\\ApiMassMessage"
    source = "MassMessage"
    helpurls = ("https://www.mediawiki.org/wiki/Extension:MassMessage/API",)
    description = "Send a message to a list of pages."
    write = True
    token = "csrf"
    rights = ("massmessage",)
    rights_error = (
        "permissiondenied",
        "You don't have permission to send a message to multiple users at once.",
    )
    params = (
        Param(
            "spamlist", "string", required=True, help="Page containing list of pages to leave a message on."
        ),
        Param("subject", "string", required=True, help="Subject line of the message."),
        Param("message", "string", help="Message body text."),
        Param("page-message", "string", help="Page to be sent as message."),
    )
    examples = (
        (
            "action=massmessage&spamlist=Signpost%20Spamlist&subject=New%20Signpost"
            "&message=Please%20read%20it&token=TOKEN",
            'Send a message to the list at [[Signpost Spamlist]] with the subject "New Signpost".',
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        if params["message"] is None and params["page-message"] is None:
            raise ApiError(
                "missingparam",
                'At least one of the parameters "message" and "page-message" is required.',
                key="apierror-missingparam-at-least-one-of",
            )
        request = SendRequest(
            params["spamlist"], params["subject"], params["message"], params["page-message"]
        )
        _send_id, count = ctx.wiki.massmessage.submit(ctx.actor, request)
        ctx.result["massmessage"] = {"result": "success", "count": count}
