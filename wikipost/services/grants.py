"""Bot-password grants and the rights they carry ($wgGrantPermissions of MediaWiki 1.39).

A bot-password session holds the user's own rights intersected with the rights of its grants;
``basic`` is always granted implicitly (auth.md §4.2). MassMessage adds ``massmessage`` to
``highvolume``.
"""

from __future__ import annotations

from collections.abc import Iterable

_EDIT = ("edit", "minoredit", "applychangetags", "changetags")

GRANT_RIGHTS: dict[str, tuple[str, ...]] = {
    "basic": (
        "autocreateaccount",
        "autoconfirmed",
        "autopatrol",
        "editsemiprotected",
        "ipblock-exempt",
        "nominornewtalk",
        "patrolmarks",
        "purge",
        "read",
        "unwatchedpages",
        "writeapi",
    ),
    "highvolume": ("bot", "apihighlimits", "noratelimit", "markbotedits", "massmessage"),
    "import": ("import", "importupload"),
    "editpage": _EDIT + ("editcontentmodel",),
    "editprotected": _EDIT + ("editprotected",),
    "editmycssjs": _EDIT + ("editmyusercss", "editmyuserjson", "editmyuserjs"),
    "editmyoptions": ("editmyoptions", "editmyuserjson"),
    "editinterface": _EDIT + ("editinterface", "edituserjson", "editsitejson"),
    "editsiteconfig": _EDIT
    + (
        "editinterface",
        "edituserjson",
        "editsitejson",
        "editusercss",
        "edituserjs",
        "editsitecss",
        "editsitejs",
    ),
    "createeditmovepage": (
        "createpage",
        "createtalk",
        "delete-redirect",
        "move",
        "move-rootuserpages",
        "move-subpages",
        "move-categorypages",
        "suppressredirect",
    ),
    "uploadfile": ("upload", "reupload-own"),
    "uploadeditmovefile": (
        "upload",
        "reupload",
        "reupload-own",
        "reupload-shared",
        "upload_by_url",
        "movefile",
        "suppressredirect",
    ),
    "patrol": ("patrol",),
    "rollback": ("rollback",),
    "blockusers": ("block", "blockemail"),
    "viewdeleted": ("browsearchive", "deletedhistory", "deletedtext"),
    "viewrestrictedlogs": ("suppressionlog",),
    "delete": (
        "browsearchive",
        "deletedhistory",
        "deletedtext",
        "delete",
        "bigdelete",
        "deletelogentry",
        "deleterevision",
        "undelete",
    ),
    "oversight": ("suppressrevision", "viewsuppressed", "hideuser"),
    "protect": _EDIT + ("editprotected", "protect"),
    "viewmywatchlist": ("viewmywatchlist",),
    "editmywatchlist": ("editmywatchlist",),
    "sendemail": ("sendemail",),
    "createaccount": ("createaccount",),
    "privateinfo": ("viewmyprivateinfo",),
    "mergehistory": ("mergehistory",),
    "managechangetags": ("managechangetags", "deletechangetags"),
}

# The grants' names as Special:BotPasswords shows them (grant-<name> messages, 1.39 en), in the
# order of $wgGrantPermissions, the order the page lists them in.
GRANT_LABELS: dict[str, str] = {
    "basic": "Basic rights",
    "highvolume": "High-volume editing",
    "import": "Import revisions",
    "editpage": "Edit existing pages",
    "editprotected": "Edit protected pages",
    "editmycssjs": "Edit your user CSS/JSON/JavaScript",
    "editmyoptions": "Edit your user preferences and JSON configuration",
    "editinterface": "Edit the MediaWiki namespace and sitewide/user JSON",
    "editsiteconfig": "Edit sitewide and user CSS/JS",
    "createeditmovepage": "Create, edit, and move pages",
    "uploadfile": "Upload new files",
    "uploadeditmovefile": "Upload, replace, and move files",
    "patrol": "Patrol changes to pages",
    "rollback": "Rollback changes to pages",
    "blockusers": "Block and unblock users",
    "viewdeleted": "View deleted files and pages",
    "viewrestrictedlogs": "View restricted log entries",
    "delete": "Delete pages, revisions, and log entries",
    "oversight": "Hide users and suppress revisions",
    "protect": "Protect and unprotect pages",
    "viewmywatchlist": "View your watchlist",
    "editmywatchlist": "Edit your watchlist",
    "sendemail": "Send email to other users",
    "createaccount": "Create accounts",
    "privateinfo": "Access private information",
    "mergehistory": "Merge page histories",
    "managechangetags": "Manage change tags",
}

# Grants every bot password has whether chosen or not (MWGrants::getHiddenGrants).
IMPLICIT_GRANTS: tuple[str, ...] = ("basic",)

# Grants a bot password can be given; "basic" is implicit and never listed.
GRANTABLE: tuple[str, ...] = tuple(sorted(g for g in GRANT_RIGHTS if g != "basic"))


class UnknownGrantError(ValueError):
    pass


def check_grants(grants: Iterable[str]) -> list[str]:
    """The grants, de-duplicated, in the given order; raises on an unknown one."""
    out: list[str] = []
    for grant in grants:
        grant = grant.strip()
        if not grant:
            continue
        if grant not in GRANT_RIGHTS:
            raise UnknownGrantError(f"unknown grant: {grant}")
        if grant not in out:
            out.append(grant)
    return out


def rights_for_grants(grants: Iterable[str]) -> frozenset[str]:
    """Every right the grants (plus the implicit ``basic``) allow."""
    rights = set(GRANT_RIGHTS["basic"])
    for grant in grants:
        rights.update(GRANT_RIGHTS.get(grant, ()))
    return frozenset(rights)
