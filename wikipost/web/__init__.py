"""The wiki in the browser: /w/index.php, special pages, page views, mw.config and mw.Api."""

from __future__ import annotations

from wikipost.web.index import index_routes

__all__ = ["index_routes"]
