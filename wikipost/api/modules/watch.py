"""action=watch: add pages to, or remove them from, the current user's watchlist (ApiWatch, 1.39).

The pages come from ``titles``, ``pageids`` or ``revids`` (one of them), or from the deprecated
``title``. Each page gets an entry: ``watched``/``unwatched``, ``missing`` for a page that does
not exist (it is watched all the same), and the page set's own entries for invalid titles,
special pages, unknown ids and interwiki titles. Watching a page watches its talk page too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.db.schema.pages import revisions
from wikipost.services import watchlist
from wikipost.services.titles import InvalidTitle, Title, TitleParser

NOT_LOGGED_IN = "Please log in to view or edit items on your watchlist."
PAGESET_PARAMS = ("titles", "pageids", "revids")


class Watch(ApiModule):
    name = "watch"
    classname = "ApiWatch"
    token = "watch"
    write = True
    blocking = True  # a write: never wait on the store's write lock on the event loop
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Watch",)
    description = "Add or remove pages from the current user's watchlist."
    params = (
        Param("title", "string", deprecated=True),
        Param("unwatch", "boolean"),
        Param("continue", "string"),
        Param("titles", "string", multi=True),
        Param("pageids", "integer", multi=True),
        Param("revids", "integer", multi=True),
        Param("redirects", "boolean"),
        Param("converttitles", "boolean"),
    )
    examples = (
        ("action=watch&titles=Main_Page&token=123ABC", "Watch the page Main Page."),
        ("action=watch&titles=Main_Page&unwatch=&token=123ABC", "Unwatch the page Main Page."),
    )

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        actor = ctx.actor
        if actor.is_anon:
            raise ApiError("notloggedin", NOT_LOGGED_IN)
        if not actor.has_right("editmywatchlist"):
            raise ApiError("permissiondenied", "You don't have permission to edit your watchlist.")
        wiki = ctx.wiki
        if p["title"] is not None:
            extra = [n for n in (*PAGESET_PARAMS, "redirects", "converttitles") if p[n]]
            if extra:
                raise ApiError(
                    "invalidparammix",
                    f'The "title" parameter cannot be used with "{extra[0]}".',
                )
            title = wiki.titles.try_parse(p["title"])
            if title is None or not watchlist.is_watchable(title):
                raise ApiError("invalidtitle", f'Bad title "{p["title"]}".')
            with wiki.db.write() as conn:
                ctx.result["watch"] = self._watch(conn, ctx, title.with_fragment(""), p["unwatch"])
            ctx.result["batchcomplete"] = True
            return
        sources = [n for n in PAGESET_PARAMS if p[n]]
        if len(sources) > 1:
            raise ApiError("multisource", f'The "{sources[1]}" parameter cannot be used with "{sources[0]}".')
        entries: list[dict[str, Any]] = []
        with wiki.db.write() as conn:
            existing, missing = self._pages(conn, ctx, p, entries)
            for title in missing:
                entries.append({**self._watch(conn, ctx, title, p["unwatch"]), "missing": True})
            for title in existing:
                entries.append(self._watch(conn, ctx, title, p["unwatch"]))
        ctx.result["watch"] = ResultList(entries, "w")
        ctx.result["batchcomplete"] = True

    @staticmethod
    def _watch(conn: Connection, ctx: ApiContext, title: Title, unwatch: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"title": title.prefixed_text, "ns": title.namespace}
        if unwatch:
            watchlist.remove(conn, ctx.actor.id, title)
            out["unwatched"] = True
        else:
            watchlist.add(conn, ctx.actor.id, title)
            out["watched"] = True
        return out

    def _pages(
        self, conn: Connection, ctx: ApiContext, p: dict[str, Any], entries: list[dict[str, Any]]
    ) -> tuple[list[Title], list[Title]]:
        """The page set: existing and missing titles; the invalid, special, unknown and interwiki
        ones go to ``entries`` as ApiPageSet::getInvalidTitlesAndRevisions lists them."""
        wiki = ctx.wiki
        invalid: list[dict[str, Any]] = []
        special: list[dict[str, Any]] = []
        missing_ids: list[dict[str, Any]] = []
        missing_revs: list[dict[str, Any]] = []
        interwiki: list[dict[str, Any]] = []
        titles: list[Title] = []
        for text in p["titles"] or []:
            try:
                title = wiki.titles.parse(text)
            except InvalidTitle as err:
                invalid.append({"title": text, "invalidreason": err.reason, "invalid": True})
                continue
            if title.is_external:
                interwiki.append({"title": title.prefixed_text, "iw": title.interwiki})
            elif title.namespace < 0:
                entry = {"ns": title.namespace, "title": title.prefixed_text, "special": True}
                if not TitleParser.special_exists(title):
                    entry["missing"] = True
                special.append(entry)
            else:
                titles.append(title.with_fragment(""))
        for page_id in dict.fromkeys(p["pageids"] or []):
            page = wiki.pages.get_page_by_id(conn, page_id)
            if page is None:
                missing_ids.append({"pageid": page_id, "missing": True})
            else:
                titles.append(page.title)
        for rev_id in dict.fromkeys(p["revids"] or []):
            page_id = conn.execute(
                select(revisions.c.page_id).where(revisions.c.id == rev_id, revisions.c.deleted.is_(False))
            ).scalar()
            page = wiki.pages.get_page_by_id(conn, page_id) if page_id else None
            if page is None:
                missing_revs.append({"revid": rev_id, "missing": True})
            else:
                titles.append(page.title)
        if p["redirects"]:
            titles = [wiki.pages.resolve_redirect(conn, t).with_fragment("") for t in titles]
        titles = list(dict.fromkeys(titles))
        found = wiki.pages.get_pages(conn, titles)
        existing = sorted(
            (t for t in titles if (t.namespace, t.dbkey) in found), key=lambda t: (t.namespace, t.dbkey)
        )
        missing = [t for t in titles if (t.namespace, t.dbkey) not in found]
        entries.extend(invalid + special + missing_ids + missing_revs + interwiki)
        return existing, missing
