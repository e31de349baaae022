"""One web request as the page modules see it: who is asking, what they sent, and the session
they share with api.php (the same cookies, the same tokens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from wikipost.actor import Actor
from wikipost.api.request import normalise_value

if TYPE_CHECKING:
    from wikipost.services.sessions import Session
    from wikipost.services.titles import Title
    from wikipost.wiki import Wiki


def clean_pairs(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Decoded form pairs by name, with invalid UTF-8 and stray controls made U+FFFD."""
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(normalise_value(name)[0], []).append(normalise_value(value)[0])
    return out


@dataclass
class PageContext:
    wiki: Wiki
    method: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    client_ip: str
    scheme: str
    session: Session
    actor: Actor
    body_too_large: bool = False
    # Filled by the page: extra response headers and the HTTP status of the page.
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def posted(self) -> bool:
        return self.method == "POST"

    def param(self, name: str, default: str = "") -> str:
        """WebRequest::getVal: the POSTed value, else the query string's."""
        for source in (self.form, self.query):
            values = source.get(name)
            if values:
                return values[0]
        return default

    # --- tokens --------------------------------------------------------------------------------

    def token(self, token_type: str = "csrf") -> str:
        return self.wiki.tokens.get(self.session, self.actor, token_type)

    def token_ok(self, field_name: str = "wpEditToken", token_type: str = "csrf") -> bool:
        """The POSTed token (never one from the query string) matches this session's."""
        values = self.form.get(field_name)
        if not values:
            return False
        return self.wiki.tokens.check(self.session, self.actor, token_type, values[0])

    # --- URLs ----------------------------------------------------------------------------------

    @property
    def script(self) -> str:
        return f"{self.wiki.settings.site.script_path}/index.php"

    def url(self, title: str | Title, **query: str) -> str:
        """A local URL for a page: the article path without a query, index.php?title= with one."""
        text = title if isinstance(title, str) else title.prefixed_dbkey
        dbkey = text.replace(" ", "_")
        if not query:
            return f"{self.script}/{quote(dbkey, safe='/:@!$()*,;~')}"
        return f"{self.script}?{urlencode({'title': dbkey, **query}, safe=':/')}"
