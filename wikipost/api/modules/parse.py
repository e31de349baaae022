"""action=parse: wikitext to HTML (ApiParse, 1.39), through the one renderer the page views use
(``wikipost/web/rendering.py`` on ``wikipost/render``).

Three ways in, as in 1.39: a page (``page``/``pageid``, its current text; ``redirects`` follows
one redirect), a revision (``oldid``), or ``text`` in the context of ``title`` (``API`` when none
is given). ``section``, ``sectiontitle``, ``pst``/``onlypst`` and ``summary`` work on the text.

Answered: ``title``, ``pageid``, ``revid``, ``text`` (the rendered HTML), ``categories``,
``sections``, ``displaytitle``, ``wikitext`` (and ``psttext``), ``parsedsummary``, and empty
``langlinks``, ``parsewarnings`` and ``properties`` (this wiki has no language links, and the
renderer neither warns nor sets page properties). The other ``prop`` values are accepted and
answered with nothing: the renderer does not expand templates, and link tables are not kept.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import mwparserfromhell
from mwparserfromhell.nodes import Heading
from sqlalchemy import Connection, select

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.api.result import ResultList, content
from wikipost.db.schema.pages import pages as pages_table
from wikipost.namespaces import CATEGORY
from wikipost.render import Rendered
from wikipost.services import wikitext
from wikipost.services.comments import format_comment
from wikipost.services.content import CONTENT_FORMATS, CONTENT_MODELS, MODEL_FORMATS
from wikipost.services.titles import InvalidTitle, Title, default_content_model
from wikipost.web.rendering import render_wikitext

PROPS = (
    "text",
    "langlinks",
    "categories",
    "categorieshtml",
    "links",
    "templates",
    "images",
    "externallinks",
    "sections",
    "revid",
    "displaytitle",
    "subtitle",
    "headhtml",
    "modules",
    "jsconfigvars",
    "encodedjsconfigvars",
    "indicators",
    "iwlinks",
    "wikitext",
    "properties",
    "limitreportdata",
    "limitreporthtml",
    "parsetree",
    "parsewarnings",
    "headitems",
)
DEFAULT_PROPS = (
    "text|langlinks|categories|links|templates|images|externallinks|sections|revid|displaytitle|"
    "iwlinks|properties|parsewarnings"
)
SKINS = ("apioutput", "fallback", "vector", "vector-2022")
WRAPPER = '<div class="mw-parser-output">'
_SECTION = re.compile(r"^((T-)?\d+|new)$")
# requireMaxOneParameter, three times: text and title (or revid) go together, nothing else does.
EXCLUSIVE = (
    ("page", "pageid", "oldid", "text"),
    ("page", "pageid", "oldid", "title"),
    ("page", "pageid", "oldid", "revid"),
)


def quoted_list(names: list[str]) -> str:
    """Language::listToText of ``"name"`` items: ``"a", "b" and "c"``."""
    items = [f'"{n}"' for n in names]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class Source:
    """What gets rendered, and the facts about where it came from."""

    title: Title
    text: str
    model: str
    page_id: int
    revid: int | None = None
    redirects: list[dict[str, str]] | None = None
    pst_text: str | None = None


class Parse(ApiModule):
    name = "parse"
    classname = "ApiParse"
    blocking = True  # rendering a large page takes a while: not on the event loop
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Parsing_wikitext",)
    description = "Parses content and returns parser output."
    params = (
        Param("title", "string"),
        Param("text", "text"),
        Param("revid", "integer"),
        Param("summary", "string"),
        Param("page", "string"),
        Param("pageid", "integer"),
        Param("redirects", "boolean"),
        Param("oldid", "integer"),
        Param("prop", PROPS, multi=True, default=DEFAULT_PROPS),
        Param("wrapoutputclass", "string", default="mw-parser-output"),
        Param("pst", "boolean"),
        Param("onlypst", "boolean"),
        Param("effectivelanglinks", "boolean", deprecated=True),
        Param("section", "string"),
        Param("sectiontitle", "string"),
        Param("disablepp", "boolean", deprecated=True),
        Param("disablelimitreport", "boolean"),
        Param("disableeditsection", "boolean"),
        Param("disablestylededuplication", "boolean"),
        Param("showstrategykeys", "boolean"),
        Param("generatexml", "boolean", deprecated=True),
        Param("preview", "boolean"),
        Param("sectionpreview", "boolean"),
        Param("disabletoc", "boolean"),
        Param("useskin", SKINS),
        Param("contentformat", CONTENT_FORMATS),
        Param("contentmodel", CONTENT_MODELS),
    )
    examples = (
        ("action=parse&page=Project:Sandbox", "Parse a page."),
        ("action=parse&text={{Project:Sandbox}}&contentmodel=wikitext", "Parse wikitext."),
        ("action=parse&text={{PAGENAME}}&title=Test", "Parse wikitext, specifying the page title."),
        ("action=parse&summary=Some+[[link]]&prop=", "Parse a summary."),
    )

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        order = [param.name for param in self.params]
        for group in EXCLUSIVE:
            given = [n for n in order if n in group and p[n] is not None]
            if len(given) > 1:
                raise ApiError(
                    "invalidparammix", f"The parameters {quoted_list(given)} can not be used together."
                )
        section = p["section"]
        if section is not None and not _SECTION.match(section):
            raise ApiError("invalidsection", 'The "section" parameter must be a valid section ID or "new".')
        props = set(p["prop"] or [])
        wiki = ctx.wiki
        with wiki.db.read() as conn:
            if p["oldid"] is not None or p["pageid"] is not None or p["page"] is not None:
                if section == "new":
                    raise ApiError(
                        "invalidparammix",
                        '"section=new" cannot be combined with the "oldid", "pageid" or "page" '
                        'parameters. Please use "title" and "text".',
                    )
                source = self._from_page(ctx, conn, p, props)
            else:
                source = self._from_text(ctx, conn, p, props)
                if p["onlypst"]:
                    ctx.result["parse"] = self._only_pst(ctx, conn, p, source, props)
                    return
        ctx.result["parse"] = self._result(ctx, p, props, source)

    # --- where the text comes from ---------------------------------------------------------

    def _from_page(self, ctx: ApiContext, conn: Connection, p: dict[str, Any], props: set[str]) -> Source:
        wiki = ctx.wiki
        if p["oldid"] is not None:
            revision = wiki.pages.get_revision(conn, p["oldid"])
            page = wiki.pages.get_page_by_id(conn, revision.page_id) if revision else None
            if revision is None or page is None:
                raise ApiError("nosuchrevid", f"There is no revision with ID {p['oldid']}.")
            text = self._section(revision.text, p["section"], page.title.prefixed_text)
            return Source(page.title, text, revision.content_model, page.id, revision.id)
        redirects = None
        if p["pageid"] is not None:
            page = wiki.pages.get_page_by_id(conn, p["pageid"])
            if page is None:
                raise ApiError("nosuchpageid", f"There is no page with ID {p['pageid']}.")
        else:
            title = self._title(ctx, p["page"])
            page = wiki.pages.get_page(conn, title) if title.can_exist else None
            if page is None:
                raise ApiError("missingtitle", "The page you specified doesn't exist.")
        if p["redirects"] and page.is_redirect:
            target = wiki.pages.redirect_target(conn, page.id)
            if target is not None and target.can_exist:
                entry = {"from": page.title.prefixed_text, "to": target.prefixed_text}
                if target.fragment:
                    entry["tofragment"] = target.fragment
                redirects = [entry]
                page = wiki.pages.get_page(conn, target.with_fragment(""))
                if page is None:
                    raise ApiError("missingtitle", "The page you specified doesn't exist.")
        what = page.title.prefixed_text if p["pageid"] is None else f"page ID {p['pageid']}"
        text = self._section(wiki.pages.get_text(conn, page), p["section"], what)
        revid = page.latest_rev_id if "revid" in props else None
        return Source(page.title, text, page.content_model, page.id, revid, redirects)

    def _from_text(self, ctx: ApiContext, conn: Connection, p: dict[str, Any], props: set[str]) -> Source:
        wiki = ctx.wiki
        title_given = p["title"] is not None
        title = self._title(ctx, p["title"] if title_given else "API")
        if p["revid"] is not None:
            revision = wiki.pages.get_revision(conn, p["revid"])
            page = wiki.pages.get_page_by_id(conn, revision.page_id) if revision else None
            if revision is None or page is None:
                raise ApiError("nosuchrevid", f"There is no revision with ID {p['revid']}.")
            if title_given and page.title != title:
                ctx.warn(None, "revwrongpage", f"r{revision.id} is not a revision of {title.prefixed_text}.")
            title, title_given = page.title, True
        text = p["text"]
        if text is None:
            if title_given and props:
                if p["revid"] is not None:
                    ctx.warn(
                        None,
                        "parse-revidwithouttext",
                        '"revid" used without "text", and parsed page properties were requested. '
                        'Did you mean to use "oldid" instead of "revid"?',
                    )
                else:
                    ctx.warn(
                        None,
                        "parse-titlewithouttext",
                        '"title" used without "text", and parsed page properties were requested. '
                        'Did you mean to use "page" instead of "title"?',
                    )
            text = ""
        model = p["contentmodel"]
        if p["text"] is not None and not title_given and model is None:
            model = "wikitext"
            ctx.warn(
                None, "parse-nocontentmodel", 'No "title" or "contentmodel" was given, assuming wikitext.'
            )
        elif model is None:
            model = default_content_model(title)
        if p["contentformat"] and p["contentformat"] not in MODEL_FORMATS.get(model, ()):
            raise ApiError(
                "badformat",
                f"The requested format {p['contentformat']} is not supported for content model {model}.",
            )
        text = wikitext.normalize_newlines(text)
        if p["section"] == "new":
            if p["sectiontitle"] is not None:
                text = f"== {p['sectiontitle']} ==\n\n{text}"
        else:
            text = self._section(text, p["section"], title.prefixed_text)
        pst_text = None
        if p["pst"] or p["onlypst"]:
            pst_text = wikitext.pre_save_transform(
                text, title=title, user_name=ctx.actor.name, anonymous=ctx.actor.is_anon, now=wiki.clock.now()
            )
        page = wiki.pages.get_page(conn, title) if title.can_exist else None
        source = Source(title, text, model, page.id if page else 0, pst_text=pst_text)
        return source

    @staticmethod
    def _title(ctx: ApiContext, text: str) -> Title:
        try:
            title = ctx.wiki.titles.parse(text)
        except InvalidTitle:
            raise ApiError("invalidtitle", f'Bad title "{text}".') from None
        if title.is_external:
            raise ApiError("invalidtitle", f'Bad title "{text}".')
        return title.with_fragment("")

    @staticmethod
    def _section(text: str, section: str | None, what: str) -> str:
        if section is None or section == "new":
            return text
        number = int(section.removeprefix("T-"))
        found = wikitext.get_section(text, number)
        if found is None:
            raise ApiError("nosuchsection", f"There is no section {section} in {what}.")
        return found

    # --- the answer -----------------------------------------------------------------------

    def _only_pst(
        self, ctx: ApiContext, conn: Connection, p: dict[str, Any], source: Source, props: set[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self._bc(ctx, source.pst_text or "")}
        if "wikitext" in props:
            out["wikitext"] = self._bc(ctx, source.text)
        if p["summary"] is not None or (p["sectiontitle"] is not None and p["section"] == "new"):
            out["parsedsummary"] = self._bc(ctx, self._summary(ctx, conn, p, source.title))
        return out

    def _result(self, ctx: ApiContext, p: dict[str, Any], props: set[str], source: Source) -> dict[str, Any]:
        wiki = ctx.wiki
        body = source.pst_text if source.pst_text is not None else source.text
        rendered = render_wikitext(wiki, body) if source.model == "wikitext" else None
        out: dict[str, Any] = {"title": source.title.prefixed_text, "pageid": source.page_id}
        if source.revid is not None:
            out["revid"] = source.revid
        if p["redirects"] and source.redirects is not None:
            out["redirects"] = ResultList(source.redirects, "r")
        if "text" in props:
            out["text"] = self._bc(ctx, self._html(rendered, source, body, p["wrapoutputclass"]))
        if p["summary"] is not None or (p["sectiontitle"] is not None and p["section"] == "new"):
            with wiki.db.read() as conn:
                out["parsedsummary"] = self._bc(ctx, self._summary(ctx, conn, p, source.title))
        if "langlinks" in props:
            out["langlinks"] = ResultList([], "ll")
        if "categories" in props:
            out["categories"] = self._categories(ctx, body, rendered)
        if "sections" in props:
            out["sections"] = self._sections(source.title, body, rendered)
        if "parsewarnings" in props:
            out["parsewarnings"] = ResultList([], "pw")
        if "displaytitle" in props:
            out["displaytitle"] = html.escape(source.title.prefixed_text, quote=False)
        if "wikitext" in props:
            out["wikitext"] = self._bc(ctx, source.text)
            if source.pst_text is not None:
                out["psttext"] = self._bc(ctx, source.pst_text)
        if "properties" in props:
            out["properties"] = ResultList([], "pp")
        return out

    @staticmethod
    def _bc(ctx: ApiContext, value: str) -> Any:
        """A "BC subelement": ``{"*": value}`` in format version 1 (and XML text), else a string."""
        return value if ctx.formatversion == 2 else content("*", value)

    @staticmethod
    def _html(rendered: Rendered | None, source: Source, body: str, wrapper_class: str) -> str:
        if rendered is not None:
            markup = rendered.html
        else:  # code and data pages: their source, as the page view shows it
            markup = (
                f'{WRAPPER}<pre class="mw-code mw-{source.model}" dir="ltr">{html.escape(body)}</pre></div>'
            )
        if wrapper_class != "mw-parser-output" and markup.startswith(WRAPPER) and markup.endswith("</div>"):
            inner = markup[len(WRAPPER) : -len("</div>")]
            if not wrapper_class:
                return inner
            return f'<div class="{html.escape(wrapper_class)}">{inner}</div>'
        return markup

    @staticmethod
    def _summary(ctx: ApiContext, conn: Connection, p: dict[str, Any], title: Title) -> str:
        """The edit summary as HTML, as EditPage would save it (formatSummary)."""
        summary = p["summary"] or ""
        section_title = p["sectiontitle"] or ""
        if p["section"] == "new" and (not section_title or not summary):
            if section_title:
                summary = section_title
            if summary:
                summary = wikitext.section_summary(wikitext.heading_text(summary))
        wiki = ctx.wiki
        return format_comment(
            summary,
            title,
            wiki.titles,
            wiki.settings.site.script_path,
            lambda t: wiki.pages.get_page(conn, t) is not None,
        )

    def _categories(self, ctx: ApiContext, body: str, rendered: Rendered | None) -> ResultList:
        """Each category with its sort key, ``missing`` when the category page does not exist."""
        if rendered is None or not rendered.categories:
            return ResultList([], "cl")
        keys = {link.name: link.sortkey_prefix for link in wikitext.categories(body, ctx.wiki.titles)[0]}
        with ctx.wiki.db.read() as conn:
            known = set(
                conn.execute(
                    select(pages_table.c.dbkey).where(
                        pages_table.c.namespace == CATEGORY, pages_table.c.dbkey.in_(rendered.categories)
                    )
                ).scalars()
            )
        out = []
        for name in rendered.categories:
            entry = content("category", name, sortkey=keys.get(name, ""))
            if name not in known:
                entry["missing"] = True
            out.append(entry)
        return ResultList(out, "cl")

    @staticmethod
    def _sections(title: Title, body: str, rendered: Rendered | None) -> ResultList:
        if rendered is None:
            return ResultList([], "s")
        offsets = _heading_offsets(body)
        if len(offsets) != len(rendered.sections):
            offsets = [None] * len(rendered.sections)
        out = []
        for section, offset in zip(rendered.sections, offsets, strict=True):
            out.append(
                {
                    "toclevel": section.number.count(".") + 1,
                    "level": str(section.level),
                    "line": section.line,
                    "number": section.number,
                    "index": str(section.index),
                    "fromtitle": title.prefixed_dbkey,
                    "byteoffset": offset,
                    "anchor": section.anchor,
                    "linkAnchor": section.anchor,
                }
            )
        return ResultList(out, "s")


def _heading_offsets(text: str) -> list[int | None]:
    """Byte offsets of the top-level headings, in order (a section's ``byteoffset``)."""
    code = mwparserfromhell.parse(text.replace("\r\n", "\n").replace("\r", "\n"), skip_style_tags=True)
    out: list[int | None] = []
    at = 0
    for node in code.nodes:
        piece = str(node)
        if isinstance(node, Heading):
            out.append(at)
        at += len(piece.encode())
    return out
