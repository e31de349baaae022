"""prop=info: basic page information (ApiQueryInfo, pages.md §6)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from wikipost.api.context import ApiContext
from wikipost.api.module import QueryModule
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601
from wikipost.services.pageset import resolved_pages
from wikipost.services.titles import Title, default_content_model
from wikipost.services.watchlist import is_watched

LEGACY_TOKENS = ("block", "delete", "edit", "email", "import", "move", "protect", "unblock", "watch")


def page_url(ctx: ApiContext, title: Title) -> str:
    site = ctx.wiki.settings.site
    return f"{site.server}{site.script_path}/index.php/{quote(title.prefixed_dbkey, safe=':/')}"


class QueryInfo(QueryModule):
    name = "info"
    group = "prop"
    prefix = "in"
    classname = "ApiQueryInfo"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Info",)
    description = "Get basic page information."
    params = (
        Param(
            "prop",
            (
                "protection",
                "talkid",
                "watched",
                "watchers",
                "visitingwatchers",
                "notificationtimestamp",
                "subjectid",
                "associatedpage",
                "url",
                "readable",
                "preload",
                "displaytitle",
                "varianttitles",
                "linkclasses",
            ),
            multi=True,
        ),
        Param("linkcontext", "title", default="Main Page"),
        Param("testactions", "string", multi=True),
        Param("testactionsdetail", ("boolean", "full", "quick"), default="boolean"),
        Param("testactionsautocreate", "boolean"),
        Param("preloadcontent", "string"),
        Param("preloadcustom", "string"),
        Param("preloadnewsection", "boolean"),
        Param("token", LEGACY_TOKENS, multi=True, deprecated=True),
        Param("continue", "string"),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        resolved = resolved_pages(ctx)
        props = set(params["prop"] or [])
        tokens = params["token"] or []
        if tokens:
            ctx.warn(self.path(), "deprecation", 'The parameter "intoken" has been deprecated.')
        wiki = ctx.wiki
        with wiki.db.read() as conn:
            titled: list[tuple[dict[str, Any], Title, Any]] = []
            for fake, title in resolved.missing:
                titled.append((resolved.entries[fake], title, None))
            for page in resolved.existing:
                titled.append((resolved.entries[page.id], page.title, page))
            for entry, title, page in titled:
                entry["contentmodel"] = page.content_model if page else default_content_model(title)
                entry.update({"pagelanguage": "en", "pagelanguagehtmlcode": "en", "pagelanguagedir": "ltr"})
                if page is not None:
                    entry["touched"] = iso8601(page.touched)
                    entry["lastrevid"] = page.latest_rev_id
                    entry["length"] = page.length
                    if page.is_redirect:
                        entry["redirect"] = True
                    if page.is_new:
                        entry["new"] = True
                for t in tokens:
                    entry[f"{t}token"] = wiki.tokens.get(ctx.session, ctx.actor, "csrf")
                if "protection" in props:
                    restrictions = wiki.protection.restrictions(conn, title, page)
                    entry["protection"] = ResultList(
                        [
                            {"type": r.type, "level": r.level, "expiry": iso8601(r.expiry)}
                            for r in restrictions
                        ],
                        "pr",
                    )
                    entry["restrictiontypes"] = ResultList(
                        ["edit", "move"] if page is not None else ["create"], "rt"
                    )
                if "watched" in props and not ctx.actor.is_anon:
                    entry["watched"] = is_watched(conn, ctx.actor.id, title)
                if "talkid" in props and not title.is_talk:
                    talk = wiki.pages.get_page(conn, title.talk_page())
                    if talk is not None:
                        entry["talkid"] = talk.id
                if "subjectid" in props and title.is_talk:
                    subject = wiki.pages.get_page(conn, title.subject_page())
                    if subject is not None:
                        entry["subjectid"] = subject.id
                if "url" in props:
                    site = wiki.settings.site
                    entry["fullurl"] = page_url(ctx, title)
                    entry["editurl"] = (
                        f"{site.server}{site.script_path}/index.php?title="
                        f"{quote(title.prefixed_dbkey, safe=':/')}&action=edit"
                    )
                    entry["canonicalurl"] = page_url(ctx, title)
                if "displaytitle" in props:
                    entry["displaytitle"] = title.prefixed_text
