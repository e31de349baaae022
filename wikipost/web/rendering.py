"""The one wikitext renderer (wikipost.render) wired to this wiki: its titles, its links, and
which pages exist — shared by page views, previews and (later) action=parse."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from sqlalchemy import select, tuple_

from wikipost.db.schema.pages import pages as pages_table
from wikipost.namespaces import SPECIAL
from wikipost.render import LinkTarget, Rendered, Renderer
from wikipost.services.titles import InvalidTitle, TitleParser
from wikipost.wiki import Wiki


def renderer_for(wiki: Wiki) -> Renderer:
    script = f"{wiki.settings.site.script_path}/index.php"
    titles: TitleParser = wiki.titles

    def parse_title(text: str) -> LinkTarget | None:
        try:
            title = titles.parse(text)
        except InvalidTitle:
            return None
        if title.is_external:
            return None
        return LinkTarget(title.prefixed_text, title.prefixed_dbkey, title.fragment, title.namespace)

    def article_url(dbkey: str) -> str:
        return f"{script}/{quote(dbkey, safe='/:@!$()*,;~')}"

    def edit_url(dbkey: str) -> str:
        return f"{script}?{urlencode({'title': dbkey, 'action': 'edit', 'redlink': '1'})}"

    def existing(dbkeys: list[str]) -> set[str]:
        keys: dict[tuple[int, str], str] = {}
        found: set[str] = set()
        for dbkey in dbkeys:
            try:
                title = titles.parse(dbkey)
            except InvalidTitle:
                continue
            if title.namespace == SPECIAL:
                found.add(dbkey)
            elif title.namespace >= 0:
                keys[(title.namespace, title.dbkey)] = dbkey
        if keys:
            with wiki.db.read() as conn:
                rows = conn.execute(
                    select(pages_table.c.namespace, pages_table.c.dbkey).where(
                        tuple_(pages_table.c.namespace, pages_table.c.dbkey).in_(list(keys))
                    )
                )
                found.update(keys[(r.namespace, r.dbkey)] for r in rows)
        return found

    return Renderer(parse_title=parse_title, article_url=article_url, edit_url=edit_url, existing=existing)


def render_wikitext(wiki: Wiki, text: str) -> Rendered:
    return renderer_for(wiki).render(text)
