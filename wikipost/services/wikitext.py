"""The wikitext MediaWiki itself interprets on save (pages.md §2.4, §2.6, §4): pre-save
transform, section=new and section replacement, redirects, categories, article counting,
automatic summaries and the three-way merge of a stale edit."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

from wikipost.namespaces import CATEGORY, FILE, MAIN, SPECIAL, TEMPLATE
from wikipost.services.titles import InvalidTitle, Title, TitleParser

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_NOWIKI = re.compile(r"(<nowiki>.*?</nowiki>|<!--.*?-->|<pre>.*?</pre>)", re.S | re.I)
_REDIRECT = re.compile(r"^\s*#REDIRECT\s*:?\s*\[\[([^\]|]+)(?:\|[^\]]*)?\]\]", re.I)
_LINK = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
_TEMPLATE = re.compile(r"\{\{([^{}|]+)(\|[^{}]*)?\}\}")
_DEFAULTSORT = re.compile(r"\{\{\s*DEFAULTSORT(?:KEY)?\s*:([^{}]*)\}\}", re.I)
_HEADING = re.compile(r"^(={1,6})(.+?)(={1,6})[ \t]*$", re.M)
_PIPE_TRICK = re.compile(r"\[\[([^\[\]|]+)\|\]\]")
BAD_REDIRECT_SPECIALS = {"Userlogout", "Filepath", "Mypage", "Mytalk", "Redirect"}


def mw_date(ts: float) -> str:
    d = datetime.fromtimestamp(int(ts), UTC)
    return f"{d:%H:%M}, {d.day} {MONTHS[d.month - 1]} {d.year} (UTC)"


def signature(user_name: str, anonymous: bool) -> str:
    if anonymous:
        return f"[[Special:Contributions/{user_name}|{user_name}]]"
    return f"[[User:{user_name}|{user_name}]] ([[User talk:{user_name}|talk]])"


def _outside_nowiki(text: str, fn: Callable[[str], str]) -> str:
    parts = _NOWIKI.split(text)
    return "".join(p if i % 2 else fn(p) for i, p in enumerate(parts))


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def pre_save_transform(text: str, *, title: Title, user_name: str, anonymous: bool, now: float) -> str:
    """Parser::preSaveTransform for the parts a bot or script meets."""
    text = normalize_newlines(text).rstrip()
    sig = signature(user_name, anonymous)
    date = mw_date(now)
    magic = {
        "PAGENAME": title.text,
        "FULLPAGENAME": title.prefixed_text,
        "NAMESPACE": title.ns_text,
        "PAGENAMEE": title.dbkey,
        "FULLPAGENAMEE": title.prefixed_dbkey,
    }

    def transform(part: str) -> str:
        part = part.replace("~~~~~", date).replace("~~~~", f"{sig} {date}").replace("~~~", sig)
        part = re.sub(r"\{\{\s*subst:\s*([A-Z]+)\s*\}\}", lambda m: magic.get(m.group(1), m.group(0)), part)
        return _PIPE_TRICK.sub(_pipe_trick, part)

    return _outside_nowiki(text, transform).rstrip()


def _pipe_trick(m: re.Match[str]) -> str:
    target = m.group(1)
    label = target.split(":", 1)[1] if ":" in target.lstrip(":") else target.lstrip(":")
    label = re.sub(r"\s*\([^()]*\)\s*$", "", label).split(",")[0].strip()
    return f"[[{target}|{label}]]"


# --- sections -------------------------------------------------------------------------------


def heading_text(raw: str) -> str:
    """Outer ``=`` signs and spaces stripped, as section=new does with sectiontitle."""
    m = re.fullmatch(r"\s*(=+)\s*(.*?)\s*(=+)\s*", raw, re.S)
    if m and m.group(2):
        return m.group(2)
    return raw.strip()


def new_section_text(old_text: str | None, heading: str, body: str) -> str:
    block = f"== {heading} ==\n\n{body}" if heading else body
    if old_text is None or not old_text.strip():
        return block
    return f"{old_text}\n\n{block}"


def section_summary(heading: str) -> str:
    """``/* heading */ new section`` with links reduced to their text and tags removed."""
    plain = _LINK.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(1), heading)
    plain = re.sub(r"<[^<>]*>", "", plain)
    plain = " ".join(plain.split())
    return f"/* {plain} */ new section"


def _headings(text: str) -> list[tuple[int, int]]:
    """(offset, level) of every section heading."""
    out = []
    masked = _NOWIKI.sub(lambda m: " " * len(m.group(0)), text)
    for m in _HEADING.finditer(masked):
        level = min(len(m.group(1)), len(m.group(3)))
        out.append((m.start(), level))
    return out


def get_section(text: str, number: int) -> str | None:
    heads = _headings(text)
    if number == 0:
        return text[: heads[0][0]] if heads else text
    if number > len(heads):
        return None
    start, level = heads[number - 1]
    end = next((o for o, lvl in heads[number:] if lvl <= level), len(text))
    return text[start:end]


def replace_section(text: str, number: int, new: str) -> str | None:
    heads = _headings(text)
    if number == 0:
        start, end = 0, heads[0][0] if heads else len(text)
    else:
        if number > len(heads):
            return None
        start, level = heads[number - 1]
        end = next((o for o, lvl in heads[number:] if lvl <= level), len(text))
    middle = new + "\n\n" if new != "" else ""
    return text[:start] + middle + text[end:]


# --- redirects, categories, links -----------------------------------------------------------


@dataclass(frozen=True)
class CategoryLink:
    name: str  # DB key without prefix
    sortkey_prefix: str


def redirect_target(text: str, titles: TitleParser) -> Title | None:
    m = _REDIRECT.match(text)
    if not m:
        return None
    raw = m.group(1)
    if "%" in raw:
        raw = unquote(raw)
    try:
        target = titles.parse(raw)
    except InvalidTitle:
        return None
    if target.dbkey == "":
        return None
    if target.namespace == SPECIAL and target.dbkey.split("/")[0] in BAD_REDIRECT_SPECIALS:
        return None
    return target


def expand_templates(
    text: str, titles: TitleParser, fetch: Callable[[Title], str | None], depth: int = 0
) -> str:
    """Transclusion enough for category links: ``{{Name}}`` becomes the template's text with
    ``<noinclude>`` parts removed and ``<includeonly>`` kept."""
    if depth > 5 or "{{" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        name = m.group(1).strip()
        if name.startswith("#") or name.lower().startswith(("subst:", "safesubst:")):
            return m.group(0)
        if ":" in name and name.split(":", 1)[0].strip().upper() in ("DEFAULTSORT", "DEFAULTSORTKEY"):
            return m.group(0)
        try:
            title = titles.parse(name, TEMPLATE)
        except InvalidTitle:
            return m.group(0)
        if title.namespace < 0 or title.is_external:
            return m.group(0)
        body = fetch(title)
        if body is None:
            return f"[[:{title.prefixed_text}]]"
        body = re.sub(r"<noinclude>.*?(</noinclude>|$)", "", body, flags=re.S)
        body = re.sub(r"</?includeonly>", "", body)
        body = re.sub(r"<onlyinclude>|</onlyinclude>", "", body)
        return expand_templates(body, titles, fetch, depth + 1)

    return _outside_nowiki(text, lambda part: _TEMPLATE.sub(repl, part))


def _for_links(text: str) -> str:
    text = _NOWIKI.sub("", text)
    text = re.sub(r"<includeonly>.*?</includeonly>", "", text, flags=re.S)
    return re.sub(r"</?(noinclude|onlyinclude)>", "", text)


def categories(expanded: str, titles: TitleParser) -> tuple[list[CategoryLink], str]:
    """Category links (last sort key wins) and the DEFAULTSORT key ("" when none)."""
    text = _for_links(expanded)
    found: dict[str, CategoryLink] = {}
    for m in _LINK.finditer(text):
        target = m.group(1)
        if target.strip().startswith(":"):
            continue
        try:
            title = titles.parse(target)
        except InvalidTitle:
            continue
        if title.namespace != CATEGORY or title.is_external:
            continue
        found.pop(title.dbkey, None)
        found[title.dbkey] = CategoryLink(title.dbkey, (m.group(2) or "").strip())
    default = ""
    for m in _DEFAULTSORT.finditer(text):
        default = m.group(1).strip()
    return list(found.values()), default


def has_wiki_link(expanded: str, titles: TitleParser) -> bool:
    """$wgArticleCountMethod = link: at least one internal link that is not a category tag."""
    for m in _LINK.finditer(_for_links(expanded)):
        target = m.group(1)
        leading_colon = target.strip().startswith(":")
        try:
            title = titles.parse(target)
        except InvalidTitle:
            continue
        if title.is_external:
            continue
        if not leading_colon and title.namespace in (CATEGORY, FILE):
            continue
        return True
    return False


def sortkey(prefix: str, title: Title) -> bytes:
    """$wgCategoryCollation = uppercase."""
    raw = f"{prefix}\n{title.text}" if prefix else title.text
    return raw.upper().encode()


# --- automatic summaries --------------------------------------------------------------------


def _quote(template: str, text: str, limit: int = 500) -> str:
    flat = text.replace("\n", " ")
    full = template.format(flat)
    if len(full) <= limit:
        return full
    room = limit - len(template.format("")) - 3
    return template.format(flat[: max(room, 0)] + "...")


def auto_summary(
    *,
    old_text: str | None,
    new_text: str,
    submitted: str,
    old_redirect: Title | None,
    new_redirect: Title | None,
    new_redirect_raw: str | None,
) -> str:
    if new_redirect is not None and (old_redirect is None or old_redirect != new_redirect):
        if old_redirect is None:
            return f"Redirected page to [[{new_redirect_raw}]]"
        return f"Changed redirect target from [[{old_redirect.prefixed_text}]] to [[{new_redirect_raw}]]"
    if old_redirect is not None and new_redirect is None:
        return f"Removed redirect to [[{old_redirect.prefixed_text}]]"
    if old_text is None:
        if new_text == "":
            return "Created blank page"
        return _quote('Created page with "{}"', submitted.strip())
    if old_text != "" and new_text == "":
        return "Blanked the page"
    if len(old_text.encode()) > 10 * len(new_text.encode()) and new_text:
        return _quote('Replaced content with "{}"', submitted.strip())
    return ""


def redirect_link_text(target: Title | None) -> str | None:
    """The target as the automatic summary links it: canonical title plus fragment."""
    if target is None:
        return None
    frag = f"#{target.fragment}" if target.fragment else ""
    return target.prefixed_text + frag


def truncate_comment(comment: str, limit: int = 500) -> str:
    comment = comment.strip()
    if len(comment) > limit:
        return comment[: limit - 3] + "..."
    return comment


# --- three-way merge ------------------------------------------------------------------------


def merge3(base: str, mine: str, theirs: str) -> str | None:
    """Line-based diff3 merge: None when the two sides change the same or adjacent lines."""
    b, m, t = base.split("\n"), mine.split("\n"), theirs.split("\n")

    def changes(other: list[str]) -> list[tuple[int, int, list[str]]]:
        ops = difflib.SequenceMatcher(None, b, other, autojunk=False).get_opcodes()
        return [(i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]

    cm, ct = changes(m), changes(t)
    for s1, e1, _ in cm:
        for s2, e2, _ in ct:
            if s1 <= e2 and s2 <= e1:  # overlapping or touching
                return None
    out: list[str] = []
    pos = 0
    for start, end, lines in sorted(cm + ct, key=lambda c: (c[0], c[1])):
        out.extend(b[pos:start])
        out.extend(lines)
        pos = end
    out.extend(b[pos:])
    return "\n".join(out)


def is_main(title: Title) -> bool:
    return title.namespace == MAIN
