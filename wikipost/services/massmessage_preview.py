"""Special:MassMessage's preview: the section a delivery would append, and MassMessage's warnings.

The request goes through the same ``validate`` as ``action=massmessage`` (so the page and the API
refuse the same sends with the same messages), the targets through the same normalisation as
``submit`` (so the count is the one the send will have), and the section is built with the
delivery job's own builders and pre-save transform, as the delivery account on a mock page, as
MassMessage does (``Project:MassMessage:A page that should not exist``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wikipost.namespaces import PROJECT
from wikipost.services import wikitext
from wikipost.services.massmessage_text import (
    badhtml_warning,
    has_signature,
    hidden_comment,
    message_body,
    section_title,
    unclosed_tags,
)

if TYPE_CHECKING:
    from wikipost.actor import Actor
    from wikipost.services.massmessage import MassMessageService, SendRequest

MOCK_TARGET = "MassMessage:A_page_that_should_not_exist"
NO_TIMESTAMP = "Warning: Your message does not include a timestamp or signature."


@dataclass(frozen=True)
class SendPreview:
    spamlist: str  # the list's title after one redirect (prefixed text)
    count: int  # targets the send would have
    subject: str  # the section heading
    wikitext: str  # the section as a delivery appends it: "== subject ==\n\nbody"
    warnings: tuple[str, ...]  # MassMessage's preview warnings (plain text)


def build_preview(service: MassMessageService, actor: Actor, request: SendRequest) -> SendPreview:
    """Raises ApiError with every validation failure, as ``action=massmessage`` reports them."""
    settings = service.settings
    with service.db.read() as conn:
        resolved, subject, message, page_message = service.validate(conn, request)
        count = sum(1 for _ in service.normalise_targets(conn, resolved.raw_targets))
        page_text = None
        if page_message:
            page = service.pages.get_page(conn, service.titles.parse(page_message))
            page_text = service.pages.get_text(conn, page)
    heading = wikitext.heading_text(section_title(subject))
    comment = hidden_comment(actor.name, settings.site.wiki_id, resolved.url)
    body = wikitext.pre_save_transform(
        message_body(message, page_text, comment),
        title=service.titles.make(PROJECT, MOCK_TARGET),
        user_name=settings.massmessage.delivery_user,
        anonymous=False,
        now=service.clock.now(),
    )
    section = wikitext.new_section_text(None, heading, body)
    warnings: list[str] = []
    tags = unclosed_tags(message)
    if tags:
        warnings.append(badhtml_warning(tags))
    if not has_signature(section):
        warnings.append(NO_TIMESTAMP)
    return SendPreview(resolved.title.prefixed_text, count, heading, section, tuple(warnings))
