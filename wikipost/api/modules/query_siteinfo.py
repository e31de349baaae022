"""meta=siteinfo: what clients read at start-up about the wiki (ApiQuerySiteinfo).

Only the properties below are implemented; any other ``siprop`` value gets MediaWiki's
``Unrecognized value for parameter "siprop"`` warning, which pywikibot treats as "not
available" and falls back to a default.
"""

from __future__ import annotations

import platform
import sqlite3
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError

import wikipost
from wikipost.api.context import ApiContext
from wikipost.api.module import QueryModule
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.api.result import ResultList
from wikipost.clock import iso8601
from wikipost.db.schema.accounts import user_groups, users
from wikipost.namespaces import MEDIAWIKI, Namespaces
from wikipost.services.userrights import all_groups

if TYPE_CHECKING:
    from wikipost.wiki import Wiki

PROPS = (
    "general",
    "namespaces",
    "namespacealiases",
    "specialpagealiases",
    "magicwords",
    "dbrepllag",
    "statistics",
    "usergroups",
    "extensions",
    "fileextensions",
    "rightsinfo",
    "restrictions",
    "extensiontags",
    "protocols",
)
THUMB_LIMITS = (120, 150, 180, 200, 250, 300)
IMAGE_LIMITS = ((320, 240), (640, 480), (800, 600), (1024, 768), (1280, 1024), (2560, 2048))
MAGIC_LINKS = {"ISBN": False, "PMID": False, "RFC": False}
LEGAL_TITLE_CHARS = " %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+"
STATISTICS_KEYS = (
    "pages",
    "articles",
    "edits",
    "images",
    "users",
    "activeusers",
    "admins",
    "jobs",
    "queued-massmessages",
)
PROTOCOLS = (
    "bitcoin:",
    "ftp://",
    "ftps://",
    "geo:",
    "git://",
    "gopher://",
    "http://",
    "https://",
    "irc://",
    "ircs://",
    "magnet:",
    "mailto:",
    "matrix:",
    "mms://",
    "news:",
    "nntp://",
    "redis://",
    "sftp://",
    "sip:",
    "sips:",
    "sms:",
    "ssh://",
    "svn://",
    "tel:",
    "telnet://",
    "urn:",
    "worldwind://",
    "xmpp:",
    "//",
)


def _db_version(wiki: Wiki) -> str:
    dialect = wiki.db.engine.dialect
    if dialect.name == "sqlite":
        return sqlite3.sqlite_version
    return ".".join(str(v) for v in (dialect.server_version_info or ()))


def site_statistics(wiki: Wiki) -> dict[str, int]:
    """The statistics counters; zeros for what the storage cannot tell yet (pages.md §9).

    Page counts come from ``wiki.pages.statistics()`` once the pages service exists; the number
    of administrators is read from the accounts tables here when it does not provide it.
    """
    stats = dict.fromkeys(STATISTICS_KEYS, 0)
    pages = getattr(wiki, "pages", None)
    provided: dict[str, Any] = {}
    if pages is not None and hasattr(pages, "statistics"):
        try:
            provided = dict(pages.statistics())
        except SQLAlchemyError:
            provided = {}
    for key in STATISTICS_KEYS:
        if isinstance(provided.get(key), int):
            stats[key] = provided[key]
    if "admins" not in provided:
        try:
            with wiki.db.read() as conn:
                stats["admins"] = int(
                    conn.execute(
                        select(func.count())
                        .select_from(user_groups)
                        .where(user_groups.c.group_name == "sysop")
                    ).scalar_one()
                )
        except SQLAlchemyError:
            stats["admins"] = 0
    return stats


def _group_sizes(wiki: Wiki) -> dict[str, int]:
    """Members of each explicit group now (expired memberships left out); ``user``: every
    registered user."""
    now = int(wiki.clock.now())
    current = or_(user_groups.c.expiry.is_(None), user_groups.c.expiry > now)
    with wiki.db.read() as conn:
        rows = conn.execute(
            select(user_groups.c.group_name, func.count()).where(current).group_by(user_groups.c.group_name)
        ).all()
        everyone = conn.execute(select(func.count()).select_from(users)).scalar_one()
    sizes = {str(name): int(count) for name, count in rows}
    sizes["user"] = int(everyone)
    return sizes


class QuerySiteinfo(QueryModule):
    name = "siteinfo"
    group = "meta"
    prefix = "si"
    classname = "ApiQuerySiteinfo"
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Siteinfo",)
    description = "Return general information about the site."
    params = (
        Param("prop", PROPS, multi=True, default="general", help="Which information to get."),
        Param(
            "filteriw",
            ("local", "!local"),
            help="Return only local or only nonlocal entries of the interwiki map.",
        ),
        Param("showalldb", "boolean", help="List all database servers, not just the one lagging the most."),
        Param("numberingroup", "boolean", help="Lists the number of users in user groups."),
        Param("inlanguagecode", "string", help="Language code for localised language names."),
    )
    examples = (
        (
            "action=query&meta=siteinfo&siprop=general|namespaces|namespacealiases|statistics",
            "Fetch site information.",
        ),
    )

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        query = query_result(ctx)
        for prop in params["prop"]:
            query[prop] = getattr(self, f"_{prop}")(ctx, params)

    # --- properties, one method each ------------------------------------------------------

    def _general(self, ctx: ApiContext, params: dict[str, Any]) -> dict[str, Any]:
        site = ctx.wiki.settings.site
        fv2 = ctx.formatversion == 2
        article_path = f"{site.script_path}/index.php/$1"
        data: dict[str, Any] = {
            "mainpage": "Main Page",
            "base": f"{site.server}{site.script_path}/index.php/Main_Page",
            "sitename": site.name,
            "mainpageisdomainroot": False,
            "logo": f"{site.server}{site.script_path}/resources/assets/change-your-logo.svg",
            "generator": f"MediaWiki {wikipost.MEDIAWIKI_VERSION}",
            "phpversion": platform.python_version(),
            "phpsapi": "asgi",
            "dbtype": ctx.wiki.db.engine.dialect.name,
            "dbversion": _db_version(ctx.wiki),
            "imagewhitelistenabled": False,
            "langconversion": True,
            "linkconversion": True,
            "titleconversion": True,
            "linkprefixcharset": "",
            "linkprefix": "",
            "linktrail": "/^([a-z]+)(.*)$/sD",
            "legaltitlechars": LEGAL_TITLE_CHARS,
            "invalidusernamechars": "@:>=",
            "allunicodefixes": False,
            "fixarabicunicode": True,
            "fixmalayalamunicode": True,
            "case": "first-letter",
            "lang": site.language,
            "fallback": ResultList([], "lang"),
            "rtl": False,
            "fallback8bitEncoding": "windows-1252",
            "readonly": bool(site.read_only),
        }
        if site.read_only:
            data["readonlyreason"] = site.read_only
        data.update(
            {
                "writeapi": True,
                "maxarticlesize": 2097152,
                "timezone": "UTC",
                "timeoffset": 0,
                "articlepath": article_path,
                "scriptpath": site.script_path,
                "script": f"{site.script_path}/index.php",
                "variantarticlepath": False,
                "server": site.server,
                "servername": urlsplit(site.server).hostname or "",
                "wikiid": site.wiki_id,
                "time": iso8601(ctx.wiki.clock.now()),
                "misermode": False,
                "uploadsenabled": False,
                "maxuploadsize": 104857600,
                "minuploadchunksize": 1024,
                "galleryoptions": {
                    "imagesPerRow": 0,
                    "imageWidth": 120,
                    "imageHeight": 120,
                    "captionLength": True,
                    "showBytes": True,
                    "mode": "traditional",
                    "showDimensions": True,
                },
            }
        )
        # 'BCassoc' in MediaWiki: a list in formatversion 1 (and XML), an object in 2.
        if fv2:
            data["thumblimits"] = {str(i): v for i, v in enumerate(THUMB_LIMITS)}
            data["imagelimits"] = {str(i): {"width": w, "height": h} for i, (w, h) in enumerate(IMAGE_LIMITS)}
        else:
            data["thumblimits"] = ResultList(THUMB_LIMITS, "limit")
            data["imagelimits"] = ResultList([{"width": w, "height": h} for w, h in IMAGE_LIMITS], "limit")
        data["favicon"] = f"{site.server}/favicon.ico"
        data["centralidlookupprovider"] = "local"
        data["allcentralidlookupproviders"] = ResultList(["local"], "provider")
        data["interwikimagic"] = True
        if fv2:
            data["magiclinks"] = dict(MAGIC_LINKS)
        else:  # fv1 drops false booleans, then keeps the values as a list
            data["magiclinks"] = ResultList(["" for v in MAGIC_LINKS.values() if v], "magiclink")
        data["categorycollation"] = "uppercase"
        data["nofollowlinks"] = True
        data["nofollownsexceptions"] = ResultList([], "ns")
        data["nofollowdomainexceptions"] = ResultList(["mediawiki.org"], "domain")
        data["externallinktarget"] = False
        return data

    def _namespaces(self, ctx: ApiContext, params: dict[str, Any]) -> dict[str, Any]:
        # Keyed by id in JSON; <ns id="…"> items in XML (the id attribute carries the key).
        out: dict[str, Any] = {"_element": "ns", "_kvpkeyname": "id"}
        for ns in Namespaces(ctx.wiki.settings.site.name).all():
            item: dict[str, Any] = {
                "id": ns.id,
                "case": "first-letter",
                "name": ns.name,
                "_content": "name",
                "subpages": ns.subpages,
            }
            if ns.canonical:
                item["canonical"] = ns.canonical
            item["content"] = ns.content
            item["nonincludable"] = False
            if ns.id == MEDIAWIKI:
                item["namespaceprotection"] = "editinterface"
            out[str(ns.id)] = item
        return out

    def _namespacealiases(self, ctx: ApiContext, params: dict[str, Any]) -> ResultList:
        from wikipost.namespaces import ALIASES

        return ResultList(
            [{"id": ns_id, "alias": alias, "_content": "alias"} for alias, ns_id in ALIASES.items()], "ns"
        )

    def _specialpagealiases(self, ctx: ApiContext, params: dict[str, Any]) -> ResultList:
        names = (
            "EmailUser",
            "MassMessage",
            "CreateMassMessageList",
            "EditMassMessageList",
            "Version",
            "ApiHelp",
        )
        return ResultList(
            [{"realname": n, "aliases": ResultList([n], "alias")} for n in names], "specialpage"
        )

    def _magicwords(self, ctx: ApiContext, params: dict[str, Any]) -> ResultList:
        words = (
            ("redirect", ["#REDIRECT"], False),
            ("notoc", ["__NOTOC__"], False),
            ("defaultsort", ["DEFAULTSORT:", "DEFAULTSORTKEY:", "DEFAULTCATEGORYSORT:"], True),
            ("target", ["target"], False),
        )
        return ResultList(
            [{"name": n, "aliases": ResultList(a, "alias"), "case-sensitive": cs} for n, a, cs in words],
            "magicword",
        )

    def _dbrepllag(self, ctx: ApiContext, params: dict[str, Any]) -> ResultList:
        return ResultList([{"host": "", "lag": 0}], "db")

    def _statistics(self, ctx: ApiContext, params: dict[str, Any]) -> dict[str, Any]:
        return dict(site_statistics(ctx.wiki))

    def _usergroups(self, ctx: ApiContext, params: dict[str, Any]) -> ResultList:
        """Each group's rights; with ``sinumberingroup`` its size (none for ``*`` and the
        autopromoted ``autoconfirmed``); and what its members may change
        (``[users] add_groups`` … as ``$wgAddGroups`` …), when anything."""
        settings = ctx.wiki.settings
        changeable = all_groups(settings.permissions)
        tables = {
            "add": settings.users.add_groups,
            "remove": settings.users.remove_groups,
            "add-self": settings.users.groups_add_to_self,
            "remove-self": settings.users.groups_remove_from_self,
        }
        sizes = _group_sizes(ctx.wiki) if params["numberingroup"] else {}
        groups = []
        for group, rights in settings.permissions.items():
            item: dict[str, Any] = {
                "name": group,
                "rights": ResultList(list(dict.fromkeys(rights)), "permission"),
            }
            if params["numberingroup"] and group not in ("*", "autoconfirmed"):
                item["number"] = sizes.get(group, 0)
            for kind, table in tables.items():
                names = [g for g in table.get(group, []) if g in changeable]
                if names:
                    item[kind] = ResultList(names, "group")
            groups.append(item)
        return ResultList(groups, "group")

    def _extensions(self, ctx: ApiContext, params: dict[str, Any]) -> ResultList:
        script = ctx.wiki.settings.site.script_path
        version_page = f"{script}/index.php/Special:Version"
        return ResultList(
            [
                {
                    "type": "specialpage",
                    "name": "MassMessage",
                    "descriptionmsg": "massmessage-desc",
                    "author": "Kunal Mehta, wctaiwan",
                    "url": "https://www.mediawiki.org/wiki/Extension:MassMessage",
                    "version": "0.5.0",
                    "license-name": "GPL-2.0-or-later",
                    "license": f"{version_page}/License/MassMessage",
                    "credits": f"{version_page}/Credits/MassMessage",
                },
                {
                    "type": "other",
                    "name": "Wikipost",
                    "description": "A standalone server for MediaWiki's emailuser and MassMessage "
                    "Action API.",
                    "version": wikipost.__version__,
                    "license-name": "GPL-2.0-or-later",
                    "license": f"{version_page}/License/Wikipost",
                    "credits": f"{version_page}/Credits/Wikipost",
                },
            ],
            "ext",
        )

    def _fileextensions(self, ctx: ApiContext, params: dict[str, Any]) -> ResultList:
        return ResultList([{"ext": e} for e in ("png", "gif", "jpg", "jpeg", "webp")], "fe")

    def _rightsinfo(self, ctx: ApiContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "", "text": ""}

    def _restrictions(self, ctx: ApiContext, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "types": ResultList(["create", "edit", "move", "upload"], "type"),
            "levels": ResultList(["", "autoconfirmed", "sysop"], "level"),
            "cascadinglevels": ResultList(["sysop"], "level"),
            "semiprotectedlevels": ResultList(["autoconfirmed"], "level"),
        }

    def _extensiontags(self, ctx: ApiContext, params: dict[str, Any]) -> ResultList:
        return ResultList(["<pre>", "<nowiki>", "<gallery>", "<indicator>", "<langconvert>"], "t")

    def _protocols(self, ctx: ApiContext, params: dict[str, Any]) -> ResultList:
        return ResultList(list(PROTOCOLS), "p")
