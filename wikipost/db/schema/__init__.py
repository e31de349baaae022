"""All tables, on one MetaData. Each domain declares its tables in its own file."""

from wikipost.db.schema import accounts, core, jobs, mail, massmessage, pages, ratelimits, workers
from wikipost.db.schema.base import metadata

__all__ = ["metadata", "accounts", "core", "jobs", "mail", "massmessage", "pages", "ratelimits", "workers"]
