"""action=editmassmessagelist (ApiEditMassMessageList): add, remove and describe list targets.

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
from wikipost.services import massmessage_lists as lists
from wikipost.services.ratelimit import RATELIMITED_TEXT


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
        wiki = ctx.wiki
        sites = wiki.massmessage.sites
        invalid = ApiError("invalidspamlist", "The specified spamlist is invalid.")
        with wiki.db.write() as conn:
            title = wiki.titles.try_parse(params["spamlist"])
            page = wiki.pages.get_page(conn, title) if title is not None else None
            if page is None or page.content_model != lists.CONTENT_MODEL:
                raise invalid
            try:
                data = lists.parse_list_text(wiki.pages.get_text(conn, page), wiki.titles)
            except lists.ListContentError:
                raise invalid from None
            change = lists.apply_list_edit(
                data, add=add, remove=remove, description=description, titles=wiki.titles, sites=sites
            )
            if change.needs_edit:
                errors = wiki.protection.edit_errors(conn, ctx.actor, page.title, page)
                if errors:
                    raise ApiError.many(errors)
                # The internal action=edit counts against $wgRateLimits['edit'] like any edit.
                if not wiki.ratelimiter.hit("edit", ctx.actor, ctx.request.client_ip):
                    raise ApiError("ratelimited", RATELIMITED_TEXT)
                wiki.pages.save(
                    conn,
                    title=page.title,
                    actor=ctx.actor,
                    text=lists.serialize_list(change.new_data),
                    summary=lists.edit_summary(change),
                    page=page,
                )
            ctx.result["editmassmessagelist"] = _result(conn, wiki, change, add, remove)


def _result(conn: Any, wiki: Any, change: lists.ListChange, add: Any, remove: Any) -> dict[str, Any]:
    invalid = change.invalid_add or change.invalid_remove or change.description_unchanged
    out: dict[str, Any] = {"result": "Done" if invalid else "Success"}
    if add is not None:
        added = []
        for target in change.added:
            item: dict[str, Any] = target.as_json()
            if target.site is None:
                title = wiki.titles.try_parse(target.title)
                if title is None or wiki.pages.get_page(conn, title) is None:
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
