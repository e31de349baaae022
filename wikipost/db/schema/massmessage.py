"""Tables of the massmessage domain: one row per send, one per (send, normalised target).

The target row is the per-(send, target) delivery record of DECISIONS D4: it changes from
``pending`` to its final state in the same transaction as the page save, so a delivery that
runs twice (a lost lease, a crash after the save) finds it settled and does nothing.
"""

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from wikipost.db.schema.base import metadata

massmessage_sends = Table(
    "massmessage_sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender_id", Integer, nullable=False),
    Column("sender_name", String(255), nullable=False),
    Column("spamlist", Text, nullable=False),  # prefixed text of the resolved list / category
    Column("list_rev_id", Integer, nullable=False, default=0),  # 0 for categories
    Column("list_url", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("page_message", Text, nullable=False, default=""),
    Column("total", Integer, nullable=False, default=0),  # the API's count
    Column("fanned_out", Integer, nullable=False, default=0),  # delivery jobs queued so far
    # queued|delivering|done|cancelled
    Column("status", String(16), nullable=False, default="queued"),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),  # done, or the time of the cancel
    # The send's ``massmessage/send`` log entry (Special:Log links an entry to its send; the
    # entry's own params stay as MassMessage writes them). NULL for sends made before 0006.
    Column("log_id", Integer, nullable=True),
    # Who cancelled it: a user name, "" for the command line, NULL while not cancelled.
    Column("cancelled_by", String(255), nullable=True),
    Index("ix_massmessage_sends_log_id", "log_id"),
)

massmessage_targets = Table(
    "massmessage_targets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("send_id", Integer, ForeignKey("massmessage_sends.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text, nullable=False),  # normalised prefixed text at submit time
    # pending|delivered|skipped|failed|cancelled
    Column("status", String(16), nullable=False, default="pending"),
    Column("reason", String(255), nullable=False, default=""),  # skip action or error code
    Column("rev_id", Integer, nullable=True),
    Column("updated_at", Float, nullable=True),
    UniqueConstraint("send_id", "title", name="uq_massmessage_targets_send_title"),
    Index("ix_massmessage_targets_send_status", "send_id", "status"),
)

__all__ = ["massmessage_sends", "massmessage_targets"]
