"""list=tags: the change tags, by name (ApiQueryTags, 1.39).

Software tags (1.39 core's and MassMessage's), tags an administrator defined and activated, and
any other tag some change still carries (a deactivated one). ``hitcount`` counts the changes
that carry a tag; ``tgcontinue`` is the name to go on from.
"""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.services import changetags

PROPS = ("displayname", "description", "hitcount", "defined", "source", "active")


class QueryTags(QueryModule):
    name = "tags"
    group = "list"
    prefix = "tg"
    classname = "ApiQueryTags"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Tags",)
    description = "List change tags."
    params = (
        Param("continue", "string"),
        Param("limit", "limit", default=10, min=1, max=500, highmax=5000),
        Param("prop", PROPS, multi=True, default=""),
    )
    examples = (
        (
            "action=query&list=tags&tgprop=displayname|description|hitcount|defined",
            "List available tags.",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        props = set(params["prop"] or [])
        with ctx.wiki.db.read() as conn:
            tags = changetags.list_tags(conn, ctx.wiki.changetags.applicable(conn))
        if params["continue"] is not None:
            tags = [t for t in tags if t.name >= params["continue"]]
        limit = params["limit"]
        if len(tags) > limit:
            ctx.result["continue"] = {"tgcontinue": tags[limit].name, "continue": "-||"}
            tags = tags[:limit]
        out = []
        for tag in tags:
            entry: dict[str, Any] = {"name": tag.name}
            if "displayname" in props:
                entry["displayname"] = tag.displayname
            if "description" in props:
                entry["description"] = tag.description
            if "hitcount" in props:
                entry["hitcount"] = tag.hitcount
            if "defined" in props:
                entry["defined"] = tag.defined
            if "source" in props:
                sources = (["extension"] if tag.software else []) + (["manual"] if tag.manual else [])
                entry["source"] = ResultList(sources)
            if "active" in props:
                entry["active"] = tag.active
            out.append(entry)
        query_result(ctx)["tags"] = ResultList(out, "tag")
