"""Tables of the mail domain: the durable outbox and the emailuser duplicate guard.

A mail is a row of ``mail_outbox`` from the moment it is accepted (D3) until an admin purges
it. ``status`` moves queued → sending → sent, or → failed (permanent refusal or too many
attempts); a ``sending`` row whose lease ran out was claimed by a process that died, and is
retried. ``message_id`` is fixed at composition, so a retried delivery is recognisable.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from wikipost.db.schema.base import metadata

mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),  # emailuser | emailuser-copy | confirmemail
    Column("envelope_from", String(255), nullable=False),
    Column("recipients", Text, nullable=False),  # JSON list of addresses
    Column("subject", Text, nullable=False, default=""),  # decoded, for `wikipost mail list`
    Column("raw", LargeBinary, nullable=False),  # the complete message, CRLF line endings
    Column("status", String(16), nullable=False, default="queued"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created", Float, nullable=False),
    Column("next_attempt", Float, nullable=False),
    Column("lease_until", Float, nullable=True),
    Column("sent_at", Float, nullable=True),
    Column("last_error", Text, nullable=False, default=""),
)
Index("ix_mail_outbox_status_next", mail_outbox.c.status, mail_outbox.c.next_attempt)

# One row per accepted emailuser request (D4): the primary key makes a concurrent identical
# request fail its insert, so exactly one of them queues mail.
emailuser_requests = Table(
    "emailuser_requests",
    metadata,
    Column("dedupe_key", String(64), primary_key=True),
    Column("created", BigInteger, nullable=False, index=True),
)

__all__ = ["emailuser_requests", "mail_outbox", "metadata"]
