"""Header injection: no subject, text or user name can add or split a mail header.

Generated subjects, texts and user names — CR, LF, NUL, Unicode line separators, header-looking
text, typed encoded-words — go through the emailuser service (the one the API, the web form
and the CLI share) into the memory mail backend. Each mail is parsed with Python's ``email``
package: its header set is exactly 1.39's, each header appears once, every raw header line is a
header or a continuation, and the subject, the names and the body decode to what was sent
(folding aside: whitespace right after a header's colon is not part of its value).
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.properties.budget import Budget
from tests.properties.conftest import build_fuzz_wiki
from wikipost.mail.message import OutgoingMail
from wikipost.services.emailuser import COPY_SUBJECT, FOOTER
from wikipost.services.usernames import creatable_name
from wikipost.settings import DEFAULT_RATELIMITS
from wikipost.wiki import Wiki

MAIL_CASES = 300
HEADERS = [
    "From",
    "Return-Path",
    "Reply-To",
    "Date",
    "Message-ID",
    "X-Mailer",
    "List-Unsubscribe",
    "MIME-Version",
    "Content-type",
    "Content-transfer-encoding",
    "Subject",
    "To",
]
_HEADER_LINE = re.compile(rb"[!-9;-~]+: ")
_PHP_RTRIM = " \t\n\r\0\x0b"
TRICKY = [
    "\r",
    "\n",
    "\r\n",
    "\x00",
    "\u2028",
    "\u2029",
    "\u0085",
    "\x0b",
    "\x0c",
    "\t",
    " ",
    '"',
    "\\",
    "'",
    ",",
    ";",
    "=",
    "?",
    "_",
    "=?UTF-8?Q?",
    "?=",
    "\r\nBcc: victim@evil.test",
    "\nTo: victim@evil.test",
    "\r\n\r\nInjected body",
    "Subject: again",
    "\u00e9",
    "\U0001f4e7",
]
tricky_text = st.lists(
    st.one_of(st.sampled_from(TRICKY), st.text(st.characters(exclude_categories=["Cs"]), max_size=8)),
    max_size=12,
).map("".join)
# Names that may be user names: no CR/LF/NUL here (not legal in titles), but quotes,
# backslashes, commas, non-ASCII and header-looking words.
NAME_PARTS = [
    '"',
    "\\",
    "'",
    ",",
    ";",
    "(",
    ")",
    "Bcc",
    "To",
    "Subject",
    "\u00e9",
    "\u4e2d",
    "?",
    "_",
    "  ",
    "x",
]
user_names = st.lists(
    st.one_of(st.sampled_from(NAME_PARTS), st.text(st.characters(exclude_categories=["Cs"]), max_size=4)),
    min_size=1,
    max_size=6,
).map("".join)


@dataclass
class MailWiki:
    """A wiki that sends at once (delivery = "sync") into its memory backend."""

    wiki: Wiki
    emails: dict[str, str] = field(default_factory=dict)  # user name -> address

    def user(self, raw: str) -> str | None:
        """The canonical name of a (new or known) confirmed user called ``raw``; None if invalid."""
        name = creatable_name(raw)
        if name is None:
            return None
        if name not in self.emails:
            address = f"user{len(self.emails)}@mail.test"
            self.wiki.users.create(name, None, email=address, confirmed=True, groups=("sysop",))
            self.emails[name] = address
        return name

    def sent(self) -> list[OutgoingMail]:
        outbox: list[OutgoingMail] = self.wiki.mailer.outbox  # type: ignore[attr-defined]
        return outbox


@pytest.fixture(scope="module")
def mail_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailWiki]:
    unlimited = {
        **DEFAULT_RATELIMITS,
        "emailuser": {"ip": [10**9, 1], "newbie": [10**9, 1], "user": [10**9, 1]},
    }
    wiki = build_fuzz_wiki(
        tmp_path_factory.mktemp("mailwiki"),
        mail={"backend": "memory", "delivery": "sync", "dedupe_seconds": 0},
        ratelimits={"limits": unlimited},
    )
    yield MailWiki(wiki)
    wiki.close()


def check_mail(
    mail: OutgoingMail, *, to: tuple[str, str], reply_to: tuple[str, str], subject: str, body: str
) -> None:
    head, _, _ = mail.raw.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        assert b"\r" not in line and b"\n" not in line, f"a bare line break in {line!r}"
        assert line[:1] in (b" ", b"\t") or _HEADER_LINE.match(line), f"not a header line: {line!r}"
    msg = email.message_from_bytes(mail.raw, policy=email.policy.default)
    assert list(msg.keys()) == HEADERS, msg.keys()
    assert not msg.defects, msg.defects
    # Folding aside: a plain value's leading blanks read as the space after the colon.
    assert str(msg["Subject"]) in (subject, subject.lstrip(" \t"))
    for header, (name, address) in (("To", to), ("Reply-To", reply_to)):
        parsed = msg[header].addresses
        assert [(a.display_name, a.addr_spec) for a in parsed] == [(name, address)], (header, msg[header])
    assert msg["From"].addresses[0].addr_spec == "wiki@anchor.test"
    assert mail.recipients == (to[1],)
    text = msg.get_content().replace("\r\n", "\n")
    assert text == body.replace("\r\n", "\n").replace("\r", "\n") + "\n"


def test_no_generated_value_adds_or_splits_a_header(mail_wiki: MailWiki, budget: Budget) -> None:
    site = mail_wiki.wiki.settings.site

    @budget.settings(MAIL_CASES)
    @given(sender=user_names, target=user_names, subject=tricky_text, text=tricky_text, ccme=st.booleans())
    def no_injection(sender: str, target: str, subject: str, text: str, ccme: bool) -> None:
        budget.count("mail-headers")
        sender_name = mail_wiki.user(sender)
        target_name = mail_wiki.user(target)
        assume(sender_name is not None and target_name is not None)
        assert sender_name is not None and target_name is not None
        user = mail_wiki.wiki.users.get_by_name(sender_name)
        assert user is not None
        actor = mail_wiki.wiki.users.actor_for(user)
        before = len(mail_wiki.sent())
        result = mail_wiki.wiki.emailuser.send(actor, "127.0.0.1", target_name, subject, text, ccme)
        assert result.result == "Success"
        mails = mail_wiki.sent()[before:]
        copy = ccme and sender_name != target_name
        assert len(mails) == (2 if copy else 1)
        body = (
            text.rstrip(_PHP_RTRIM)
            + "\n\n-- \n"
            + FOOTER.format(sender=sender_name, target=target_name, site=site.name)
        )
        sender_address = (sender_name, mail_wiki.emails[sender_name])
        target_address = (target_name, mail_wiki.emails[target_name])
        check_mail(mails[0], to=target_address, reply_to=sender_address, subject=subject, body=body)
        if copy:
            copy_subject = COPY_SUBJECT.format(target=target_name, subject=subject)
            check_mail(mails[1], to=sender_address, reply_to=sender_address, subject=copy_subject, body=body)

    no_injection()
