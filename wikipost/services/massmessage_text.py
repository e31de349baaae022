"""The text of a mass message: the section a delivery appends, and MassMessage's preview checks.

Kept apart from the delivery job so the preview (Special:MassMessage) builds the section with
exactly the code the job uses: what the sender previews is what lands on the talk pages.
"""

from __future__ import annotations

import re

_TAGS = re.compile(r"<[^>]*>")
# SpecialMassMessage::getUnclosedTags: start tags without a "/" (those count as self-closing)
# and end tags; element names are ASCII word characters, as PHP's \w without /u.
_START_TAG = re.compile(r"<(\w+)[^/]*?>", re.ASCII)
_END_TAG = re.compile(r"</(\w+)", re.ASCII)
# Elements that never need an end tag (the list MassMessage takes from the W3C syntax page).
VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "command",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
# A signature or a timestamp as pre-save transform writes it ("12:34, 5 May 2024 (UTC)").
_SIGNATURE = re.compile(r"~~~~|\d{2}:\d{2}, \d{1,2} \w+ \d{4} \(UTC\)")


def php_trim(text: str) -> str:
    return text.strip(" \t\n\r\0\x0b")


def section_title(subject: str) -> str:
    """§7.1: newlines removed, tags stripped (strip_tags), right-trimmed."""
    return _TAGS.sub("", subject.replace("\r", "").replace("\n", "")).rstrip(" \t\n\r\0\x0b")


def hidden_comment(sender: str, wiki_id: str, url: str) -> str:
    return f"<!-- Message sent by User:{sender}@{wiki_id} using the list at {url} -->"


def message_body(message: str, page_text: str | None, comment: str) -> str:
    """§7.2: trim([page message + "\\n\\n"] + rtrim(message)) + "\\n" + hidden comment."""
    text = message.rstrip(" \t\n\r\0\x0b")
    if page_text is not None:
        text = page_text + "\n\n" + text
    return php_trim(text) + "\n" + comment


def unclosed_tags(message: str) -> list[str]:
    """The tags MassMessage's preview warns about: ``<b>`` opened more often than closed,
    ``</b>`` closed more often than opened — elements in the order MassMessage counts them
    (start tags first, then end tags).

    Start and end tags are both counted, as MassMessage does since the fix of REL1_39's
    short-circuit (which skipped the end tags whenever a start tag was present, so that even
    ``<b>bold</b>`` was reported).
    """
    balance: dict[str, int] = {}
    for name in _START_TAG.findall(message):
        if name not in VOID_ELEMENTS:
            balance[name] = balance.get(name, 0) + 1
    for name in _END_TAG.findall(message):
        balance[name] = balance.get(name, 0) - 1
    return [f"<{n}>" if count > 0 else f"</{n}>" for n, count in balance.items() if count]


def badhtml_warning(tags: list[str]) -> str:
    """``massmessage-badhtml`` in English (Language::commaList joins with ", ")."""
    noun = "an unclosed HTML tag" if len(tags) == 1 else "unclosed HTML tags"
    return f"Your message may have {noun}: {', '.join(tags)}."


def has_signature(text: str) -> bool:
    """Whether a message carries a signature or timestamp (``massmessage-no-timestamp``)."""
    return _SIGNATURE.search(text) is not None
