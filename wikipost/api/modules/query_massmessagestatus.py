"""list=massmessagestatus: how far each mass-message send has got (Wikipost's own module).

Per send: who sent what to which list, its ``status`` (``queued``, ``delivering``, ``done`` or
``cancelled``) and the totals of its targets — still queued, delivered, skipped (by reason:
``skipbadns``, ``skipoptout``, ``skipnouser``), failed (by error code) and cancelled (not
delivered because the send was cancelled). Newest sends first unless ``mmsids`` names them.
``finished`` is when the send was done or cancelled.
"""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601


class QueryMassMessageStatus(QueryModule):
    name = "massmessagestatus"
    group = "list"
    prefix = "mms"
    classname = "ApiQueryMassMessageStatus"
    source = "Wikipost"
    description = "Show the delivery progress of mass-message sends."
    params = (
        Param("ids", "integer", multi=True, help="Send ids (the newest sends when omitted)."),
        Param("limit", "limit", default=10, min=1, max=500, highmax=5000, help="How many sends to list."),
    )
    examples = (
        ("action=query&list=massmessagestatus", "The newest ten sends and their progress."),
        ("action=query&list=massmessagestatus&mmsids=3", "The progress of send 3."),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        service = ctx.wiki.massmessage
        ids = params["ids"] or service.recent_sends(int(params["limit"]))
        sends: list[dict[str, Any]] = []
        for send_id in ids:
            status = service.status(int(send_id))
            if status is None:
                sends.append({"id": int(send_id), "missing": True})
                continue
            sends.append(
                {
                    "id": status.id,
                    "sender": status.sender,
                    "spamlist": status.spamlist,
                    "subject": status.subject,
                    "timestamp": iso8601(status.created_at),
                    "status": status.status,
                    "total": status.total,
                    "queued": status.pending,
                    "delivered": status.delivered,
                    "skipped": dict(status.skipped),
                    "failed": dict(status.failed),
                    "cancelled": status.cancelled,
                    **({"finished": iso8601(status.finished_at)} if status.finished_at else {}),
                }
            )
        query_result(ctx)["massmessagestatus"] = ResultList(sends, "send")
