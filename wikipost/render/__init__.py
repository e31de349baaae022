"""Rendering wikitext to HTML for display; see :mod:`wikipost.render.wikitext_html`."""

from wikipost.render.wikitext_html import LinkTarget, Rendered, Renderer, Section

__all__ = ["LinkTarget", "Rendered", "Renderer", "Section"]
