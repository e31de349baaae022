"""Users, groups, preferences, bot passwords and blocks."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql.expression import false as sa_false

from wikipost.db.schema.base import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("password_hash", Text, nullable=True),
    Column("email", String(255), nullable=False, default=""),
    # Unix seconds when the address was confirmed; NULL while unconfirmed.
    Column("email_authenticated", BigInteger, nullable=True),
    Column("registration", BigInteger, nullable=False),
    Column("editcount", Integer, nullable=False, default=0),
    Column("gender", String(16), nullable=False, default="unknown"),
    Column("is_system", Boolean, nullable=False, default=False),
    # user_newtalk: the user's talk page changed since they last looked (uiprop=hasmsg).
    Column("newtalk", Boolean, nullable=False, default=False),
    # sha256 of the "remember me" token behind the <wiki_id>Token cookie; NULL: none issued.
    Column("remember_token_hash", String(64), nullable=True),
)

user_groups = Table(
    "user_groups",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_name", String(64), primary_key=True),
    Column("expiry", BigInteger, nullable=True),
)

user_options = Table(
    "user_options",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("value", Text, nullable=False),
)

bot_passwords = Table(
    "bot_passwords",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("app_id", String(32), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("grants", Text, nullable=False, default="[]"),
    Column("created", BigInteger, nullable=False),
)

blocks = Table(
    "blocks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("by_user_id", Integer, nullable=True),
    Column("by_name", String(255), nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("timestamp", BigInteger, nullable=False),
    Column("expiry", BigInteger, nullable=True),  # NULL: infinite
    Column("sitewide", Boolean, nullable=False, default=True),
    Column("block_email", Boolean, nullable=False, default=False),
    Column("create_account", Boolean, nullable=False, default=True),
    Column("allow_usertalk", Boolean, nullable=False, default=True),
    # Autoblock the user's IP addresses (recorded for list=blocks; migration 0007).
    Column("autoblock", Boolean, nullable=False, default=False, server_default=sa_false()),
    UniqueConstraint("user_id", name="uq_blocks_user_id"),
)

email_tokens = Table(
    "email_tokens",
    metadata,
    Column("token_hash", String(128), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(255), nullable=False),
    Column("expires", BigInteger, nullable=False),
    Column("used", Boolean, nullable=False, default=False),
)
