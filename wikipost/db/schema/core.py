"""Server-side sessions."""

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from wikipost.db.schema.base import metadata

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False, default=0),
    Column("bot_app", String(255), nullable=True),
    Column("data", Text, nullable=False, default="{}"),
    Column("expires", BigInteger, nullable=False, index=True),
)

# Failed-login counters ($wgPasswordAttemptThrottle): one row per (condition, ip, user) key,
# a fixed window that starts at the first attempt and ends at ``expires``.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("count", Integer, nullable=False, default=0),
    Column("expires", BigInteger, nullable=False, index=True),
)
