"""The pages an action=query works on (ApiPageSet): titles=, pageids=, revids=, generator=
and redirects=, with 1.39's ``normalized``/``interwiki``/``redirects``/``badrevids`` blocks and
its fake ids for missing, invalid and special titles (pages.md §1.4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from wikipost.api.errors import ApiError
from wikipost.api.result import ResultList
from wikipost.db.schema.pages import revisions
from wikipost.services.titles import InvalidTitle, Title, TitleParser

if TYPE_CHECKING:
    from wikipost.api.context import ApiContext
    from wikipost.services.pages import PageRecord, PageService


@dataclass
class Resolved:
    """What the prop= modules read: the pages and their result entries (shared dicts)."""

    existing: list[PageRecord] = field(default_factory=list)
    missing: list[tuple[int, Title]] = field(default_factory=list)
    invalid: list[tuple[int, str, InvalidTitle]] = field(default_factory=list)
    special: list[tuple[int, Title]] = field(default_factory=list)
    missing_ids: list[int] = field(default_factory=list)
    entries: dict[int, dict[str, Any]] = field(default_factory=dict)
    revids: dict[int, list[int]] = field(default_factory=dict)  # page id -> requested revisions
    fake_id: int = -1

    def next_fake(self) -> int:
        value = self.fake_id
        self.fake_id -= 1
        return value


def resolved_pages(ctx: ApiContext) -> Resolved:
    """The pageset of this request (empty when the query named no pages)."""
    value = ctx.pageset
    return value if isinstance(value, Resolved) else Resolved()


class PageSet:
    def __init__(self, pages: PageService, titles: TitleParser) -> None:
        self.pages = pages
        self.titles = titles

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        sources = [n for n in ("titles", "pageids", "revids") if params.get(n)]
        if params.get("generator"):
            sources.append("generator")
        if len(sources) > 1:
            raise ApiError("multisource", f'The "{sources[1]}" parameter cannot be used with "{sources[0]}".')
        resolved = Resolved()
        ctx.pageset = resolved
        query: dict[str, Any] = ctx.result.setdefault("query", {})
        fv2 = ctx.formatversion == 2
        with ctx.wiki.db.read() as conn:
            titles: list[Title] = []
            if params.get("titles"):
                titles = self._parse_inputs(params["titles"], resolved, query, fv2)
            elif params.get("pageids"):
                self._from_pageids(conn, params["pageids"], resolved)
            elif params.get("revids"):
                self._from_revids(conn, params["revids"], resolved, query)
            elif params.get("generator"):
                module = ctx.registry.get("generator", params["generator"]) or ctx.registry.get(
                    "list", params["generator"]
                )
                generate = getattr(module, "generate", None) if module else None
                if generate is not None:
                    titles = generate(ctx, conn)
            self._round(conn, titles, resolved, query, bool(params.get("redirects")))
        self._emit(query, resolved, fv2)

    # --- inputs -----------------------------------------------------------------------------

    def _parse_inputs(
        self, raw: Sequence[str], resolved: Resolved, query: dict[str, Any], fv2: bool
    ) -> list[Title]:
        normalized: list[dict[str, Any]] = []
        interwiki: list[dict[str, Any]] = []
        out: list[Title] = []
        for text in raw:
            try:
                title = self.titles.parse(text)
            except InvalidTitle as err:
                resolved.invalid.append((resolved.next_fake(), text, err))
                continue
            if title.prefixed_text != text:
                entry: dict[str, Any] = {"fromencoded": False} if fv2 else {}
                entry.update({"from": text, "to": title.prefixed_text})
                normalized.append(entry)
            if title.is_external:
                interwiki.append({"title": title.prefixed_text, "iw": title.interwiki})
                continue
            out.append(title)
        if normalized:
            query["normalized"] = ResultList(normalized, "n")
        if interwiki:
            query["interwiki"] = ResultList(interwiki, "i")
        return out

    def _from_pageids(self, conn: Connection, ids: Sequence[int], resolved: Resolved) -> None:
        for page_id in dict.fromkeys(ids):
            page = self.pages.get_page_by_id(conn, page_id)
            if page is None:
                resolved.missing_ids.append(page_id)
            elif page.id not in resolved.entries:
                resolved.existing.append(page)
                resolved.entries[page.id] = {}

    def _from_revids(
        self, conn: Connection, ids: Sequence[int], resolved: Resolved, query: dict[str, Any]
    ) -> None:
        bad: dict[str, Any] = {}
        for rev_id in dict.fromkeys(ids):
            row = conn.execute(
                select(revisions.c.page_id).where(revisions.c.id == rev_id, revisions.c.deleted.is_(False))
            ).first()
            page = self.pages.get_page_by_id(conn, row.page_id) if row else None
            if page is None:
                bad[str(rev_id)] = {"revid": rev_id, "missing": True}
                continue
            resolved.revids.setdefault(page.id, []).append(rev_id)
            if page.id not in resolved.entries:
                resolved.existing.append(page)
                resolved.entries[page.id] = {}
        if bad:
            query["badrevids"] = bad

    # --- resolution -------------------------------------------------------------------------

    def _round(
        self, conn: Connection, titles: list[Title], resolved: Resolved, query: dict[str, Any], follow: bool
    ) -> None:
        seen: set[tuple[int, str]] = set()
        redirect_list: list[dict[str, Any]] = []
        depth = 0
        while titles and depth < 20:
            depth += 1
            batch: dict[int, list[str]] = {}
            specials: list[Title] = []
            for t in titles:
                key = (t.namespace, t.dbkey)
                if key in seen:
                    continue
                seen.add(key)
                if t.namespace < 0:
                    specials.append(t)
                else:
                    batch.setdefault(t.namespace, []).append(t.dbkey)
            for t in specials:
                resolved.special.append((resolved.next_fake(), t))
            found = self.pages.get_pages(
                conn, [self.titles.make(ns, k) for ns, ks in batch.items() for k in ks]
            )
            next_titles: list[Title] = []
            redirect_pages = {}
            if follow:
                for t in titles:
                    page = found.get((t.namespace, t.dbkey))
                    if page is not None and page.is_redirect and page.id not in redirect_pages:
                        target = self.pages.redirect_target(conn, page.id)
                        if target is not None:
                            redirect_pages[page.id] = target
                            entry: dict[str, Any] = {
                                "from": page.title.prefixed_text,
                                "to": target.prefixed_text,
                            }
                            if target.fragment:
                                entry["tofragment"] = target.fragment
                            if target.interwiki:
                                entry["tointerwiki"] = target.interwiki
                            redirect_list.append(entry)
                            if not target.interwiki:
                                next_titles.append(target)
            for ns, keys in batch.items():
                for k in keys:
                    if (ns, k) not in found:
                        resolved.missing.append((resolved.next_fake(), self.titles.make(ns, k)))
            for ns, keys in batch.items():
                for k in sorted(keys):
                    page = found.get((ns, k))
                    if page is not None and page.id not in redirect_pages and page.id not in resolved.entries:
                        resolved.existing.append(page)
                        resolved.entries[page.id] = {}
            titles = next_titles
        if redirect_list:
            query["redirects"] = ResultList(redirect_list, "r")

    # --- output -----------------------------------------------------------------------------

    def _emit(self, query: dict[str, Any], resolved: Resolved, fv2: bool) -> None:
        ordered: list[tuple[int, dict[str, Any]]] = []
        for fake, title in resolved.missing:
            entry = {"ns": title.namespace, "title": title.prefixed_text, "missing": True}
            resolved.entries[fake] = entry
            ordered.append((fake, entry))
        for fake, text, err in resolved.invalid:
            entry = {"title": text, "invalidreason": err.reason, "invalid": True}
            resolved.entries[fake] = entry
            ordered.append((fake, entry))
        for page_id in resolved.missing_ids:
            entry = {"pageid": page_id, "missing": True}
            resolved.entries[page_id] = entry
            ordered.append((page_id, entry))
        for fake, title in resolved.special:
            entry = {"ns": title.namespace, "title": title.prefixed_text, "special": True}
            if not TitleParser.special_exists(title):
                entry["missing"] = True
            resolved.entries[fake] = entry
            ordered.append((fake, entry))
        for page in resolved.existing:
            entry = resolved.entries[page.id]
            entry.update({"pageid": page.id, "ns": page.namespace, "title": page.title.prefixed_text})
            ordered.append((page.id, entry))
        if not ordered:
            return
        if fv2:
            query["pages"] = ResultList([e for _, e in sorted(ordered, key=lambda x: x[0])], "page")
        else:
            pages_obj: dict[str, Any] = {str(k): e for k, e in ordered}
            pages_obj["_element"] = "page"
            query["pages"] = pages_obj
