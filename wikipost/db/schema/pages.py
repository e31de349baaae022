"""Tables of the pages domain: pages, revisions, links derived from text, protection, logs,
recent changes, change tags and the site statistics row. Timestamps are Unix seconds."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from wikipost.db.schema.base import metadata

pages = Table(
    "pages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("namespace", Integer, nullable=False),
    Column("dbkey", String(255), nullable=False),
    Column("content_model", String(64), nullable=False, default="wikitext"),
    Column("is_redirect", Boolean, nullable=False, default=False),
    Column("is_new", Boolean, nullable=False, default=True),
    Column("is_article", Boolean, nullable=False, default=False),  # counts in "articles"
    Column("touched", BigInteger, nullable=False),
    Column("latest_rev_id", Integer, nullable=False, default=0),
    Column("length", Integer, nullable=False, default=0),
    UniqueConstraint("namespace", "dbkey", name="uq_pages_title"),
    # A deleted page's id stays its own (its revisions and log entries keep naming it): SQLite
    # would otherwise hand the highest id out again. PostgreSQL's sequences never reuse one.
    sqlite_autoincrement=True,
)

revisions = Table(
    "revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("page_id", Integer, nullable=False),
    Column("parent_id", Integer, nullable=False, default=0),
    Column("user_id", Integer, nullable=False, default=0),
    Column("user_name", String(255), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("minor", Boolean, nullable=False, default=False),
    Column("comment", Text, nullable=False, default=""),
    Column("size", Integer, nullable=False),
    Column("sha1", String(40), nullable=False),
    Column("content_model", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("tags", Text, nullable=False, default=""),  # "|"-joined, for display
    Column("deleted", Boolean, nullable=False, default=False),  # page deleted (archived)
    Index("ix_revisions_page", "page_id", "id"),
)

categorylinks = Table(
    "categorylinks",
    metadata,
    Column("page_id", Integer, primary_key=True),
    Column("category", String(255), primary_key=True),  # category DB key, no prefix
    Column("sortkey", LargeBinary, nullable=False),
    Column("sortkey_prefix", String(255), nullable=False, default=""),
    Column("type", String(8), nullable=False),  # page | subcat | file
    Column("timestamp", BigInteger, nullable=False),
    Index("ix_categorylinks_sort", "category", "type", "sortkey", "page_id"),
    Index("ix_categorylinks_time", "category", "timestamp", "page_id"),
)

redirects = Table(
    "redirects",
    metadata,
    Column("page_id", Integer, primary_key=True),
    Column("namespace", Integer, nullable=False),
    Column("dbkey", String(255), nullable=False),
    Column("fragment", String(255), nullable=False, default=""),
    Column("interwiki", String(32), nullable=False, default=""),
)

page_restrictions = Table(
    "page_restrictions",
    metadata,
    Column("page_id", Integer, primary_key=True),
    Column("type", String(16), primary_key=True),  # edit | move
    Column("level", String(32), nullable=False),
    Column("expiry", BigInteger, nullable=True),  # None: infinity
    Column("cascade", Boolean, nullable=False, default=False),
)

protected_titles = Table(
    "protected_titles",
    metadata,
    Column("namespace", Integer, primary_key=True),
    Column("dbkey", String(255), primary_key=True),
    Column("level", String(32), nullable=False),
    Column("expiry", BigInteger, nullable=True),
    Column("user_id", Integer, nullable=False, default=0),
    Column("reason", Text, nullable=False, default=""),
    Column("timestamp", BigInteger, nullable=False),
)

logging = Table(
    "logging",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("type", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("user_id", Integer, nullable=False, default=0),
    Column("user_name", String(255), nullable=False),
    Column("namespace", Integer, nullable=False),
    Column("dbkey", String(255), nullable=False),
    Column("page_id", Integer, nullable=False, default=0),
    Column("comment", Text, nullable=False, default=""),
    Column("params", Text, nullable=False, default="{}"),  # JSON object
    Column("tags", Text, nullable=False, default=""),
    Index("ix_logging_type", "type", "timestamp", "id"),
    Index("ix_logging_time", "timestamp", "id"),
    Index("ix_logging_title", "namespace", "dbkey", "timestamp"),
)

recentchanges = Table(
    "recentchanges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("type", String(8), nullable=False),  # edit | new | log
    Column("user_id", Integer, nullable=False, default=0),
    Column("user_name", String(255), nullable=False),
    Column("namespace", Integer, nullable=False),
    Column("dbkey", String(255), nullable=False),
    Column("page_id", Integer, nullable=False, default=0),
    Column("rev_id", Integer, nullable=False, default=0),
    Column("old_rev_id", Integer, nullable=False, default=0),
    Column("minor", Boolean, nullable=False, default=False),
    Column("bot", Boolean, nullable=False, default=False),
    Column("new", Boolean, nullable=False, default=False),
    Column("old_len", Integer, nullable=True),
    Column("new_len", Integer, nullable=True),
    Column("comment", Text, nullable=False, default=""),
    Column("patrolled", Integer, nullable=False, default=0),  # 0 no, 1 patrolled, 2 autopatrolled
    Column("log_id", Integer, nullable=False, default=0),
    Column("log_type", String(32), nullable=True),
    Column("log_action", String(32), nullable=True),
    Column("log_params", Text, nullable=True),
    Column("redirect", Boolean, nullable=False, default=False),
    Column("sha1", String(40), nullable=True),
    Column("tags", Text, nullable=False, default=""),
    Index("ix_recentchanges_time", "timestamp", "id"),
    Index("ix_recentchanges_title", "namespace", "dbkey", "timestamp"),
)

# One row per (tag, change); lets rctag/letag/rvtag filter through an index.
change_tags = Table(
    "change_tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag", String(255), nullable=False),
    Column("rc_id", Integer, nullable=True),
    Column("rev_id", Integer, nullable=True),
    Column("log_id", Integer, nullable=True),
    Index("ix_change_tags_rc", "tag", "rc_id"),
    Index("ix_change_tags_rev", "tag", "rev_id"),
    Index("ix_change_tags_log", "tag", "log_id"),
)

change_tag_defs = Table(
    "change_tag_defs",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("source", String(16), nullable=False, default="manual"),  # manual | software
    Column("hitcount", Integer, nullable=False, default=0),
)

watchlist = Table(
    "watchlist",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("namespace", Integer, primary_key=True),
    Column("dbkey", String(255), primary_key=True),
)

site_stats = Table(
    "site_stats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pages", BigInteger, nullable=False, default=0),
    Column("articles", BigInteger, nullable=False, default=0),
    Column("edits", BigInteger, nullable=False, default=0),
    Column("images", BigInteger, nullable=False, default=0),
    Column("users", BigInteger, nullable=False, default=0),
)

TABLES = [
    pages,
    revisions,
    categorylinks,
    redirects,
    page_restrictions,
    protected_titles,
    logging,
    recentchanges,
    change_tags,
    change_tag_defs,
    watchlist,
    site_stats,
]

__all__ = ["metadata", "TABLES", *[t.name for t in TABLES]]
