"""Wikipost: MediaWiki's Action API for user email and MassMessage."""

__version__ = "0.1.0"
MEDIAWIKI_VERSION = "1.39.17"
