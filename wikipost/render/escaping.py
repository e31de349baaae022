"""Escaping for the renderer's output.

Every string that comes from wikitext reaches the HTML only through these functions (via
:class:`~wikipost.render.writer.HtmlWriter`), so the output is safe by construction rather than
by sanitising finished HTML. Character references are the one piece of wikitext markup kept
verbatim, and only when they name a real character: MediaWiki keeps ``&amp;``, ``&nbsp;``,
``&#123;`` and ``&#x7B;`` as written and shows an unknown ``&foo;`` as text.
"""

from __future__ import annotations

import html
import html.entities
import re

_ENTITY = re.compile(r"&(?:#[xX]([0-9A-Fa-f]{1,8})|#([0-9]{1,8})|([A-Za-z][A-Za-z0-9]{0,31}));")
_WHITESPACE = re.compile(r"\s+")


def _allowed_codepoint(cp: int) -> bool:
    """Characters XML allows; the rest (NUL, C0 controls, surrogates, FFFE/FFFF) are refused."""
    return (
        cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or 0x10000 <= cp <= 0x10FFFF
    )


def _entity_value(m: re.Match[str]) -> str | None:
    """The character(s) a matched reference stands for, or None when it is not a valid one."""
    hexa, dec, name = m.groups()
    if name is not None:
        return html.entities.html5.get(f"{name};")
    cp = int(hexa, 16) if hexa is not None else int(dec)
    return chr(cp) if _allowed_codepoint(cp) else None


def escape_text(text: str) -> str:
    """Escape text content, keeping valid character references as written."""
    if "&" not in text:
        return html.escape(text, quote=False)
    out: list[str] = []
    pos = 0
    for m in _ENTITY.finditer(text):
        out.append(html.escape(text[pos : m.start()], quote=False))
        ref = m.group(0)
        out.append(ref if _entity_value(m) is not None else html.escape(ref, quote=False))
        pos = m.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def escape_attr(value: str) -> str:
    """Escape an attribute value for a double-quoted attribute (everything, no exceptions)."""
    return html.escape(value, quote=True)


def decode_entities(text: str) -> str:
    """Replace valid character references by their characters; leave anything else alone."""
    if "&" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        value = _entity_value(m)
        return m.group(0) if value is None else value

    return _ENTITY.sub(repl, text)


def anchor_encode(text: str) -> str:
    """Plain text as MediaWiki's HTML5 anchors spell it: whitespace runs become ``_``."""
    return _WHITESPACE.sub(" ", text).strip().replace(" ", "_")
