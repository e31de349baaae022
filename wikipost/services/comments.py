"""Edit summaries as HTML (``parsedcomment``): autocomment section links and wiki links,
as Linker::formatComment renders them."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import quote

from wikipost.services.titles import InvalidTitle, Title, TitleParser

_AUTOCOMMENT = re.compile(r"/\*\s*(.*?)\s*\*/")
_LINK = re.compile(r"\[\[:?([^\[\]|]+)(?:\|([^\[\]]*))?\]\]")


def _anchor(text: str) -> str:
    return text.replace(" ", "_")


def format_comment(
    comment: str, title: Title | None, titles: TitleParser, script_path: str, exists: Callable[[Title], bool]
) -> str:
    """``exists`` says whether a linked page exists (red links otherwise)."""
    if not comment:
        return ""

    def link(m: re.Match[str]) -> str:
        try:
            target = titles.parse(m.group(1))
        except InvalidTitle:
            return html.escape(m.group(0), quote=False)
        label = html.escape(m.group(2) if m.group(2) else m.group(1).lstrip(":"), quote=False)
        dbkey = quote(target.prefixed_dbkey, safe=":/")
        name = html.escape(target.prefixed_text)
        if target.namespace >= 0 and not exists(target):
            return (
                f'<a href="{script_path}/index.php?title={dbkey}&amp;action=edit&amp;redlink=1"'
                f' class="new" title="{name} (page does not exist)">{label}</a>'
            )
        frag = f"#{_anchor(target.fragment)}" if target.fragment else ""
        return f'<a href="{script_path}/index.php/{dbkey}{frag}" title="{name}">{label}</a>'

    def text_part(part: str) -> str:
        pieces = _LINK.split(part)
        out = []
        # split yields: text, target, label, text, ...
        for i in range(0, len(pieces), 3):
            out.append(html.escape(pieces[i]).replace("&#x27;", "&#039;"))
            if i + 1 < len(pieces):
                label = pieces[i + 2]
                raw = f"[[{pieces[i + 1]}{'|' + label if label is not None else ''}]]"
                m = _LINK.match(raw)
                out.append(link(m) if m else html.escape(raw))
        return "".join(out)

    m = _AUTOCOMMENT.search(comment)
    if m is None or title is None:
        return text_part(comment)
    section = m.group(1)
    before, after = comment[: m.start()], comment[m.end() :]
    href = f"{script_path}/index.php/{quote(title.prefixed_dbkey, safe=':/')}#{_anchor(section)}"
    sep = ": " if after.strip() else ""
    auto = (
        f'<span dir="auto"><span class="autocomment"><a href="{html.escape(href)}" '
        f'title="{html.escape(title.prefixed_text)}">→\u200e{html.escape(section)}</a>{sep}</span>'
        f"{text_part(after)}</span>"
    )
    return text_part(before) + auto
