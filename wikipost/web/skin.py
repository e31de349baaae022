"""The frame around every page: personal tools, navigation, the tools box, ``mw.config``.

Plain, server-rendered HTML from autoescaping Jinja2 templates. What user scripts rely on is
kept from MediaWiki: the element ids (``#firstHeading``, ``#mw-content-text``, ``#p-tb``,
``#t-emailuser``, ``#pt-login`` …) and the ``mw.config`` keys. ``mw.config`` travels as JSON in
a ``<script type="application/json">`` element, so the pages need no inline script and the
Content-Security-Policy can forbid inline scripts altogether.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

from wikipost.namespaces import SPECIAL, USER, USER_TALK
from wikipost.services.emailuser import EmailUserError
from wikipost.services.titles import Title
from wikipost.web.context import PageContext
from wikipost.web.special import PageOutput

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, must-revalidate, max-age=0",
}


@dataclass(frozen=True)
class Link:
    id: str
    href: str
    label: str
    title: str = ""


def json_for_html(value: Any) -> str:
    """JSON that cannot end its ``<script>`` element or open a comment inside it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class Skin:
    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("wikipost.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render_fragment(self, template: str, **values: Any) -> str:
        return self.env.get_template(template).render(**values)

    def render(self, ctx: PageContext, title: Title, output: PageOutput) -> HTMLResponse:
        relevant_user = output.relevant_user or _user_of(title)
        site = ctx.wiki.settings.site
        static = f"{site.script_path}/static"
        values = {
            "ctx": ctx,
            "site": site,
            "page": output,
            "title": title,
            "static": static,
            "personal": self.personal_tools(ctx, title),
            "navigation": self.navigation(ctx),
            "tools": self.tools(ctx, relevant_user),
            "views": self.views(ctx, title),
            "config": json_for_html(self.config(ctx, title, relevant_user, output)),
            "scripts": [f"{static}/{name}" for name in output.scripts] + self.user_scripts(ctx),
            **output.values,
        }
        body = self.env.get_template(output.template).render(**values)
        return HTMLResponse(body, status_code=output.status, headers={**SECURITY_HEADERS, **ctx.headers})

    # --- mw.config -----------------------------------------------------------------------------

    def config(
        self, ctx: PageContext, title: Title, relevant_user: str | None, output: PageOutput
    ) -> dict[str, Any]:
        wiki, actor = ctx.wiki, ctx.actor
        site = wiki.settings.site
        article_id = 0
        revision = 0
        if title.namespace >= 0:
            with wiki.db.read() as conn:
                page = wiki.pages.get_page(conn, title)
            if page is not None:
                article_id, revision = page.id, page.latest_rev_id
        special = title.dbkey.split("/")[0] if title.namespace == SPECIAL else False
        return {
            "wgTitle": title.text,
            "wgPageName": title.prefixed_dbkey,
            "wgNamespaceNumber": title.namespace,
            "wgCanonicalNamespace": wiki.namespaces.name(title.namespace) if title.namespace else "",
            "wgCanonicalSpecialPageName": special,
            "wgArticleId": article_id,
            "wgCurRevisionId": revision,
            "wgIsArticle": title.namespace >= 0 and output.template == "view.html",
            "wgAction": ctx.param("action", "view") if title.namespace >= 0 else "view",
            "wgUserName": None if actor.is_anon else actor.name,
            "wgUserId": None if actor.is_anon else actor.id,
            "wgUserGroups": list(actor.all_groups),
            "wgRelevantUserName": relevant_user,
            "wgScriptPath": site.script_path,
            "wgScript": f"{site.script_path}/index.php",
            "wgArticlePath": f"{site.script_path}/index.php/$1",
            "wgServer": site.server,
            "wgSiteName": site.name,
            "wgContentLanguage": site.language,
            "wgUserLanguage": site.language,
        }

    # --- links ---------------------------------------------------------------------------------

    def personal_tools(self, ctx: PageContext, title: Title) -> list[Link]:
        if ctx.actor.is_anon:
            returnto = {"returnto": title.prefixed_dbkey} if title.namespace != SPECIAL else {}
            return [Link("pt-login", ctx.url("Special:UserLogin", **returnto), "Log in")]
        name = ctx.actor.name
        return [
            Link("pt-userpage", ctx.url(f"User:{name}"), name),
            Link("pt-mytalk", ctx.url(f"User talk:{name}"), "Talk"),
            Link("pt-preferences", ctx.url("Special:Preferences"), "Preferences"),
            Link("pt-botpasswords", ctx.url("Special:BotPasswords"), "Bot passwords"),
            Link("pt-logout", ctx.url("Special:UserLogout", returnto=title.prefixed_dbkey), "Log out"),
        ]

    def navigation(self, ctx: PageContext) -> list[Link]:
        links = [
            Link("n-mainpage-description", ctx.url("Main Page"), "Main page"),
            Link("n-emailuser", ctx.url("Special:EmailUser"), "Email a user"),
            Link("n-massmessage", ctx.url("Special:MassMessage"), "Send a mass message"),
            Link(
                "n-createmassmessagelist", ctx.url("Special:CreateMassMessageList"), "Create a delivery list"
            ),
            Link("n-log", ctx.url("Special:Log"), "Logs"),
        ]
        if ctx.actor.has_right("block"):
            links.append(Link("n-block", ctx.url("Special:Block"), "Block a user"))
        return links

    def tools(self, ctx: PageContext, relevant_user: str | None) -> list[Link]:
        if not relevant_user:
            return []
        tools = [Link("t-log", ctx.url("Special:Log", user=relevant_user), "User logs")]
        if self.may_email(ctx, relevant_user):
            tools.append(
                Link("t-emailuser", ctx.url(f"Special:EmailUser/{relevant_user}"), "Email this user")
            )
        if ctx.actor.has_right("block"):
            tools.append(Link("t-blockip", ctx.url(f"Special:Block/{relevant_user}"), "Block user"))
        return tools

    def views(self, ctx: PageContext, title: Title) -> list[Link]:
        if title.namespace < 0:
            return []
        subject, talk = title.subject_page(), title.talk_page()
        return [
            Link("ca-nstab", ctx.url(subject), "Page" if subject.namespace != USER else "User page"),
            Link("ca-talk", ctx.url(talk), "Discussion"),
            Link("ca-view", ctx.url(title), "Read"),
            Link("ca-history", ctx.url(title, action="history"), "View history"),
        ]

    @staticmethod
    def may_email(ctx: PageContext, user_name: str) -> bool:
        """Whether the viewer may email this user now: the checks of action=emailuser (target,
        then sender), so ``#t-emailuser`` shows exactly when a send would be accepted."""
        wiki = ctx.wiki
        try:
            with wiki.db.read() as conn:
                wiki.emailuser.check(conn, ctx.actor, user_name)
        except EmailUserError:
            return False
        return True

    def user_scripts(self, ctx: PageContext) -> list[str]:
        """The viewer's own ``User:NAME/common.js`` when ``[site] allow_user_js`` ($wgAllowUserJs)."""
        if ctx.actor.is_anon or not ctx.wiki.settings.site.allow_user_js:
            return []
        return [ctx.url(f"User:{ctx.actor.name}/common.js", action="raw", ctype="text/javascript")]


def _user_of(title: Title) -> str | None:
    """The user a User: or User talk: page belongs to (the root page of a subpage)."""
    if title.namespace in (USER, USER_TALK):
        return title.text.split("/")[0]
    return None
