"""prop=mmcontent: the description and targets of delivery-list pages (MassMessage's
ApiQueryMMContent, massmessage.md §10)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import QueryModule
from wikipost.api.result import ResultList
from wikipost.services import massmessage_lists as lists
from wikipost.services.pageset import resolved_pages

LIST_MODEL = "MassMessageListContent"


class QueryMMContent(QueryModule):
    name = "mmcontent"
    group = "prop"
    classname = "MediaWiki\\MassMessage\\Api\\ApiQueryMMContent"
    source = "MassMessage"
    helpurls = ("https://www.mediawiki.org/wiki/Extension:MassMessage/API",)
    description = "Get the description and targets of mass-message delivery lists."
    examples = (
        (
            "action=query&prop=mmcontent&titles=Spamlist",
            "Get the description and targets of the delivery list Spamlist.",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        resolved = resolved_pages(ctx)
        wiki = ctx.wiki
        with wiki.db.read() as conn:
            for page in resolved.existing:
                if page.content_model != LIST_MODEL:
                    raise ApiError("invalidspamlist", "The specified spamlist is invalid.")
                data = lists.parse_list_text(wiki.pages.get_text(conn, page), wiki.titles)
                resolved.entries[page.id]["mmcontent"] = {
                    "description": data.get("description", ""),
                    "targets": ResultList(lists.display_targets(data, wiki.massmessage.sites), "t"),
                }
