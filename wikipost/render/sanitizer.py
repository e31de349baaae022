"""Which HTML tags and attributes written in wikitext reach the output.

An allowlist in the spirit of MediaWiki's Sanitizer: formatting and structural tags only, never
anything that loads, links, scripts or submits (no ``a``, ``img``, ``script``, ``style``,
``iframe``, ``form``…), and for attributes only presentational ones — no event handlers and no
URL-carrying attributes at all. ``style`` is kept only when it cannot fetch or execute anything.
The tag and attribute *names* that reach the output always come from the sets below; values are
escaped by the writer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mwparserfromhell.nodes.extras import Attribute

from wikipost.render.escaping import decode_entities

INLINE_TAGS = frozenset(
    "b i u s strike del ins em strong small big sub sup code tt kbd samp var dfn q cite abbr span "
    "font ruby rt rp bdi bdo mark data time".split()
)
BLOCK_TAGS = frozenset(
    "div p blockquote pre center h1 h2 h3 h4 h5 h6 ul ol li dl dt dd "
    "table caption thead tbody tfoot tr td th hr".split()
)
VOID_TAGS = frozenset({"br", "hr", "wbr"})
ALLOWED_TAGS = INLINE_TAGS | BLOCK_TAGS | VOID_TAGS
# Block tags that may be left unclosed in the text (closed at the end of their container); any
# other block tag that mwparserfromhell could not pair is shown as text, so a stray <table>,
# <li> or <p> cannot produce content that browsers would rearrange.
UNPAIRED_BLOCK_TAGS = frozenset({"div", "blockquote", "center", "hr"})

_COMMON_ATTRS = frozenset(
    "class id style title lang dir role aria-describedby aria-flowto aria-hidden aria-label "
    "aria-labelledby aria-owns".split()
)
_CELL_ATTRS = frozenset(
    "align valign width height bgcolor colspan rowspan nowrap abbr axis headers scope".split()
)
_TAG_ATTRS: dict[str, frozenset[str]] = {
    "table": frozenset("border cellpadding cellspacing width align bgcolor summary frame rules".split()),
    "td": _CELL_ATTRS,
    "th": _CELL_ATTRS,
    "tr": frozenset("align valign bgcolor".split()),
    "caption": frozenset({"align"}),
    "thead": frozenset("align valign".split()),
    "tbody": frozenset("align valign".split()),
    "tfoot": frozenset("align valign".split()),
    "hr": frozenset("width size noshade align".split()),
    "br": frozenset({"clear"}),
    "font": frozenset("size color face".split()),
    "ol": frozenset("type start reversed".split()),
    "ul": frozenset({"type"}),
    "li": frozenset("type value".split()),
    "del": frozenset({"datetime"}),
    "ins": frozenset({"datetime"}),
    "time": frozenset({"datetime"}),
    "data": frozenset({"value"}),
    "pre": frozenset({"width"}),
    **{name: frozenset({"align"}) for name in "div p center h1 h2 h3 h4 h5 h6".split()},
}

# Anything that can fetch a resource, run script or hide such a thing from this check.
_CSS_FORBIDDEN = (
    "url(",
    "image(",
    "image-set(",
    "attr(",
    "expression",
    "javascript:",
    "vbscript:",
    "behavior",
    "behaviour",
    "-moz-binding",
    "-o-link",
    "@import",
    "/*",
    "\\",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")

Attrs = list[tuple[str, str]]


def safe_css(value: str) -> bool:
    """True when a ``style`` value (entities already decoded) can only style."""
    if _CONTROL.search(value):
        return False
    squeezed = _SPACES.sub("", value.lower())
    return not any(bad in squeezed for bad in _CSS_FORBIDDEN)


def allowed_attribute(tag: str, name: str) -> bool:
    return name in _COMMON_ATTRS or name in _TAG_ATTRS.get(tag, frozenset())


def sanitize_attributes(tag: str, attributes: Iterable[Attribute]) -> Attrs:
    """The allowed attributes of a tag as (name, decoded value) pairs; the last duplicate wins."""
    kept: dict[str, str] = {}
    for attr in attributes:
        name = str(attr.name).strip().lower()
        if not allowed_attribute(tag, name):
            continue
        value = "" if attr.value is None else decode_entities(str(attr.value)).strip()
        if name == "style" and not safe_css(value):
            continue
        if name == "id" and not value:
            continue
        kept[name] = value
    return list(kept.items())
