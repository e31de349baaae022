"""action=managetags: define, activate and deactivate change tags (ApiManageTags)."""

from __future__ import annotations

from typing import Any

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.params import Param


class ManageTags(ApiModule):
    name = "managetags"
    classname = "ApiManageTags"
    token = "csrf"
    write = True
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Managetags",)
    description = "Perform management tasks relating to change tags."
    params = (
        Param("operation", ("create", "delete", "activate", "deactivate"), required=True),
        Param("tag", "string", required=True),
        Param("reason", "string", default=""),
        Param("ignorewarnings", "boolean"),
        Param("tags", "string", multi=True),
    )

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        wiki = ctx.wiki
        op, tag = p["operation"], p["tag"]
        right = {"create": "managechangetags", "delete": "deletechangetags"}.get(op, "managechangetags")
        if not ctx.actor.has_right(right):
            raise ApiError("permissiondenied", wiki.protection.group_list(right))
        with wiki.db.write() as conn:
            known = wiki.changetags.get(conn, tag)
            if op == "create":
                if known is not None:
                    raise ApiError("tags-create-already-exists", f'The tag "{tag}" already exists.')
                if not tag or any(c in tag for c in ",|/") or len(tag) > 255:
                    raise ApiError(
                        "tags-create-invalid-chars",
                        "Tag names must not contain commas (<code>,</code>), pipes "
                        "(<code>|</code>), or slashes (<code>/</code>).",
                    )
                wiki.changetags.create(conn, tag)
            else:
                if known is None:
                    raise ApiError("tags-manage-no-such-tag", f'There is no tag named "{tag}".')
                if known[1] == "software":
                    raise ApiError("tags-manage-blocked", f'The tag "{tag}" cannot be managed manually.')
                if op == "delete":
                    wiki.changetags.set_active(conn, tag, False)
                else:
                    wiki.changetags.set_active(conn, tag, op == "activate")
            special = wiki.titles.parse("Special:Tags")
            log_id = wiki.pages.logs.log(
                conn,
                type="managetags",
                action=op,
                actor=ctx.actor,
                title=special,
                comment=p["reason"],
                params={"tag": tag, "count": 0},
                tags=list(p["tags"] or []),
            )
        ctx.result["managetags"] = {"operation": op, "tag": tag, "success": True, "logid": log_id}
