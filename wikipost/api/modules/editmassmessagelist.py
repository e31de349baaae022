"""action=editmassmessagelist (ApiEditMassMessageList): add, remove and describe list targets.

The edit itself is the service's (services/massmessage_list_edits.py), shared with the list
page's forms; this module checks its parameters and prints the outcome.

The literal values (``"missing": ""``, ``{"*": …, "invalidtitle": ""}``) are the same in
formatversion 1 and 2, as 1.39 prints them (massmessage.md §9.5).
"""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.services.massmessage_list_edits import DeliveryListEditor, ListEditResult


class EditMassMessageList(ApiModule):
    name = "editmassmessagelist"
    blocking = True
    classname = "MediaWiki\\MassMessage\\Api\\ApiEditMassMessageList"
    source = "MassMessage"
    helpurls = ("https://www.mediawiki.org/wiki/Extension:MassMessage/API",)
    description = "Edit a mass message delivery list."
    write = True
    token = "csrf"
    params = (
        Param("spamlist", "string", required=True, help="Title of the delivery list to update."),
        Param("description", "string", help="New description for the list, which is parsed as wikitext."),
        Param(
            "add",
            "string",
            multi=True,
            help="Titles to add to the list, each with an optional site (Title@site).",
        ),
        Param("remove", "string", multi=True, help="Titles to remove from the list."),
    )
    examples = (
        (
            "action=editmassmessagelist&spamlist=Example&add=Foo|Bar@wiki.example.org&token=TOKEN",
            "Add [[Foo]] and [[wiki.example.org:Bar|Bar]] to the delivery list [[Example]].",
        ),
        (
            "action=editmassmessagelist&spamlist=Example&remove=Foo&token=TOKEN",
            "Remove [[Foo]] from the delivery list [[Example]].",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        add, remove, description = params["add"], params["remove"], params["description"]
        if add is None and remove is None and description is None:
            raise ApiError(
                "missingparam",
                'At least one of the parameters "add", "remove" and "description" is required.',
                key="apierror-missingparam-at-least-one-of",
            )
        outcome = DeliveryListEditor.of(ctx.wiki).edit(
            ctx.actor,
            ctx.request.client_ip,
            params["spamlist"],
            add=add,
            remove=remove,
            description=description,
        )
        ctx.result["editmassmessagelist"] = _result(outcome, add, remove)


def _result(outcome: ListEditResult, add: Any, remove: Any) -> dict[str, Any]:
    change = outcome.change
    invalid = change.invalid_add or change.invalid_remove or change.description_unchanged
    out: dict[str, Any] = {"result": "Done" if invalid else "Success"}
    if add is not None:
        added = []
        for target in change.added:
            item: dict[str, Any] = target.as_json()
            if target.title in outcome.missing and target.site is None:
                item["missing"] = ""
            added.append(item)
        out["added"] = ResultList(added, "page")
    if change.invalid_add:
        items = []
        for parsed in change.invalid_add:
            item = {"*": parsed.raw, "_content": "*"}
            if parsed.invalid_title:
                item["invalidtitle"] = ""
            if parsed.invalid_site:
                item["invalidsite"] = ""
            items.append(item)
        out["invalidadd"] = ResultList(items, "item")
    if remove is not None:
        out["removed"] = ResultList([t.as_json() for t in change.removed], "page")
    if change.invalid_remove:
        out["invalidremove"] = ResultList(change.invalid_remove, "item")
    if change.description_changed:
        out["description"] = change.new_data["description"]
    elif change.description_unchanged:
        out["invaliddescription"] = change.new_data["description"]
    return out
