"""action=edit: create and edit pages (ApiEditPage), checks in 1.39's order (pages.md §2)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy import Connection, select

from wikipost.api.context import ApiContext
from wikipost.api.errors import ApiError
from wikipost.api.module import ApiModule
from wikipost.api.params import Param
from wikipost.clock import iso8601, parse_iso8601
from wikipost.db.schema.pages import revisions
from wikipost.services import wikitext
from wikipost.services.content import (
    CONTENT_FORMATS,
    CONTENT_MODELS,
    MODEL_FORMATS,
    TEXT_MODELS,
    ContentError,
)
from wikipost.services.content import validate as validate_content
from wikipost.services.pages import PageRecord
from wikipost.services.ratelimit import RATELIMITED_TEXT
from wikipost.services.titles import InvalidTitle, Title, default_content_model
from wikipost.services.watchlist import apply_watch

MAX_ARTICLE_BYTES = 2048 * 1024
_SECTION = re.compile(r"^((T-)?\d+|new)$")


def bad_timestamp(name: str, value: str) -> ApiError:
    return ApiError("badtimestamp", f'Invalid value "{value}" for timestamp parameter "{name}".')


def parse_timestamp(ctx: ApiContext, name: str, value: str | None) -> float | None:
    if value is None:
        return None
    if value == "":
        ctx.warn(
            None,
            "deprecation-timestamp",
            f'Passing "" for timestamp parameter "{name}" has been deprecated. If for some '
            "reason you need to explicitly specify the current time without calculating it "
            'client-side, use "now".',
        )
        return None
    if value == "now":
        return ctx.wiki.clock.now()
    stamp = parse_iso8601(value)
    if stamp is None and value.isdigit():
        stamp = float(value)
    if stamp is None:
        raise bad_timestamp(name, value)
    return stamp


def check_tags(ctx: ApiContext, conn: Connection, tags: list[str]) -> None:
    allowed = ctx.wiki.changetags.applicable(conn)
    bad = [t for t in tags if t not in allowed]
    if len(bad) == 1:
        raise ApiError(
            "badtags", f'The tag "{bad[0]}" is not allowed to be manually applied.', {"disallowedtags": bad}
        )
    if bad:
        raise ApiError(
            "badtags",
            "The following tags are not allowed to be manually applied: " + ", ".join(bad),
            {"disallowedtags": bad},
        )


class Edit(ApiModule):
    name = "edit"
    blocking = True
    classname = "ApiEditPage"
    token = "csrf"
    write = True
    helpurls = ("https://www.mediawiki.org/wiki/Special:MyLanguage/API:Edit",)
    description = "Create and edit pages."
    params = (
        Param("title", "title"),
        Param("pageid", "integer"),
        Param("section", "string"),
        Param("sectiontitle", "string"),
        Param("text", "text"),
        Param("summary", "string"),
        Param("tags", "string", multi=True),
        Param("minor", "boolean"),
        Param("notminor", "boolean"),
        Param("bot", "boolean"),
        Param("baserevid", "integer"),
        Param("basetimestamp", "timestamp"),
        Param("starttimestamp", "timestamp"),
        Param("recreate", "boolean"),
        Param("createonly", "boolean"),
        Param("nocreate", "boolean"),
        Param("watch", "boolean", deprecated=True),
        Param("unwatch", "boolean", deprecated=True),
        Param("watchlist", ("watch", "unwatch", "preferences", "nochange"), default="preferences"),
        Param("md5", "string"),
        Param("prependtext", "text"),
        Param("appendtext", "text"),
        Param("undo", "integer", min=0),
        Param("undoafter", "integer", min=0),
        Param("redirect", "boolean"),
        Param("contentformat", CONTENT_FORMATS),
        Param("contentmodel", CONTENT_MODELS),
    )
    examples = (
        (
            "action=edit&title=Test&summary=test%20summary&text=article%20content&"
            "baserevid=1234567&token=123ABC",
            "Edit a page.",
        ),
    )

    def execute(self, ctx: ApiContext, p: dict[str, Any]) -> None:
        wiki = ctx.wiki
        base_ts = parse_timestamp(ctx, "basetimestamp", p["basetimestamp"])
        start_ts = parse_timestamp(ctx, "starttimestamp", p["starttimestamp"])
        with wiki.db.write() as conn:
            if p["tags"]:
                check_tags(ctx, conn, p["tags"])
            if all(p[k] is None for k in ("text", "appendtext", "prependtext", "undo")):
                raise ApiError(
                    "missingparam",
                    'At least one of the parameters "text", '
                    '"appendtext", "prependtext" and "undo" is required.',
                )
            title, page = self._target(ctx, conn, p)
            redirect_info = None
            is_new_section = p["section"] == "new"
            if p["redirect"]:
                if p["appendtext"] is None and p["prependtext"] is None and not is_new_section:
                    raise ApiError(
                        "redirect-appendonly",
                        "You have attempted to edit using the "
                        "redirect-following mode, which must be used in conjunction "
                        'with "section=new", "prependtext", or "appendtext".',
                    )
                if page is not None and page.is_redirect:
                    target = wiki.pages.redirect_target(conn, page.id)
                    if target is not None:
                        redirect_info = {"from": title.prefixed_text, "to": target.prefixed_text}
                        if not target.can_exist:
                            raise ApiError(
                                "edit-invalidredirect",
                                f'Cannot edit "{title.prefixed_text}" while following redirects, '
                                f'as target "{target.prefixed_text}" is not valid.',
                                {"redirects": redirect_info},
                            )
                        title = target.with_fragment("")
                        page = wiki.pages.get_page(conn, title)
            current_model = page.content_model if page else default_content_model(title)
            model = p["contentmodel"] or current_model
            if p["contentformat"] and p["contentformat"] not in MODEL_FORMATS.get(model, ()):
                raise ApiError(
                    "badformat",
                    f"The requested format {p['contentformat']} is not "
                    f"supported for content model {model} used by {title.prefixed_dbkey}.",
                )
            if p["createonly"] and page is not None:
                raise ApiError("articleexists", "The article you tried to create has been created already.")
            if p["nocreate"] and page is None:
                raise ApiError("missingtitle", "The page you specified doesn't exist.")
            errors = wiki.protection.edit_errors(conn, ctx.actor, title, page)
            if errors:
                raise ApiError.many(errors)
            old_text = wiki.pages.get_text(conn, page) if page else None
            text = self._build_text(ctx, p, model, old_text, is_new_section)
            if p["tags"] and not ctx.actor.has_right("applychangetags"):
                raise ApiError(
                    "tags-apply-no-permission",
                    "You do not have permission to apply change tags along with your changes.",
                )
            if model != current_model and not ctx.actor.has_right("editcontentmodel"):
                raise ApiError(
                    "cantchangecontentmodel",
                    "You don't have permission to change the content model of a page.",
                )
            if not wiki.ratelimiter.hit("edit", ctx.actor, ctx.request.client_ip):
                raise ApiError("ratelimited", RATELIMITED_TEXT)
            if len(text.encode()) > MAX_ARTICLE_BYTES:
                raise ApiError(
                    "contenttoobig",
                    "The content you supplied exceeds the article size limit of 2,048 kibibytes.",
                )
            if (
                page is None
                and not p["recreate"]
                and start_ts is not None
                and wiki.pages.deleted_since(conn, title, start_ts)
            ):
                raise ApiError("pagedeleted", "The page has been deleted since you fetched its timestamp.")
            if page is not None and not is_new_section:
                text = self._resolve_conflict(ctx, conn, page, old_text or "", text, base_ts, p["baserevid"])
            if (
                is_new_section
                and page is not None
                and not (p["text"] or p["appendtext"] or p["prependtext"] or "")
            ):
                raise ApiError("missingcommenttext", "Please enter a comment.")
            if model not in TEXT_MODELS:
                try:
                    text = validate_content(model, text, wiki.titles)
                except ContentError as err:
                    raise ApiError(err.code, err.info) from None
            result = self._save(ctx, conn, p, title, page, old_text, text, model, is_new_section)
            watched = apply_watch(conn, ctx.actor, title, p["watchlist"], p["watch"], p["unwatch"])
        out: dict[str, Any] = {}
        if result.new:
            out["new"] = True
        out.update(
            {
                "result": "Success",
                "pageid": result.page_id,
                "title": title.prefixed_text,
                "contentmodel": model,
            }
        )
        if result.nochange:
            out["nochange"] = True
        else:
            out.update(
                {
                    "oldrevid": result.old_rev_id,
                    "newrevid": result.rev_id,
                    "newtimestamp": iso8601(result.timestamp),
                }
            )
        if watched:
            out["watched"] = True
        if redirect_info is not None:
            ctx.result["redirects"] = redirect_info
        ctx.result["edit"] = out

    # --- steps ------------------------------------------------------------------------------

    def _target(
        self, ctx: ApiContext, conn: Connection, p: dict[str, Any]
    ) -> tuple[Title, PageRecord | None]:
        wiki = ctx.wiki
        if p["title"] is not None and p["pageid"] is not None:
            raise ApiError("invalidparammix", 'The parameters "title" and "pageid" can not be used together.')
        if p["title"] is None and p["pageid"] is None:
            raise ApiError("missingparam", 'One of the parameters "title" and "pageid" is required.')
        if p["pageid"] is not None:
            page = wiki.pages.get_page_by_id(conn, p["pageid"])
            if page is None:
                raise ApiError("nosuchpageid", f"There is no page with ID {p['pageid']}.")
            return page.title, page
        try:
            title = wiki.titles.parse(p["title"])
        except InvalidTitle:
            raise ApiError("invalidtitle", f'Bad title "{p["title"]}".') from None
        if title.is_external:
            raise ApiError("invalidtitle", f'Bad title "{p["title"]}".')
        if not title.can_exist:
            raise ApiError("pagecannotexist", "Namespace doesn't allow actual pages.")
        title = title.with_fragment("")
        return title, wiki.pages.get_page(conn, title)

    def _build_text(
        self, ctx: ApiContext, p: dict[str, Any], model: str, old_text: str | None, new_section: bool
    ) -> str:
        section = p["section"]
        if section is not None and model not in TEXT_MODELS - {"javascript", "css", "text"}:
            raise ApiError("sectionsnotsupported", f"Sections are not supported for content model {model}.")
        text = p["text"]
        if p["appendtext"] is not None or p["prependtext"] is not None:
            if model not in TEXT_MODELS and model not in ("json", "MassMessageListContent"):
                raise ApiError("appendnotsupported", f"Can't append to pages using content model {model}.")
            if new_section:
                current = ""
            elif section is not None and section != "new":
                current = self._section(old_text, section) if old_text is not None else ""
            else:
                current = old_text or ""
            text = (p["prependtext"] or "") + current + (p["appendtext"] or "")
            digest_source = (p["prependtext"] or "") + (p["appendtext"] or "")
        else:
            digest_source = text or ""
        if p["md5"] is not None and hashlib.md5(digest_source.encode()).hexdigest() != p["md5"]:
            raise ApiError("badmd5", "The supplied MD5 hash was incorrect.")
        text = text or ""
        if section is not None:
            if not _SECTION.match(section):
                raise ApiError(
                    "invalidsection", 'The "section" parameter must be a valid section ID or "new".'
                )
            if section != "new":
                number = int(section.removeprefix("T-"))
                if number > 0 and (old_text is None or wikitext.get_section(old_text, number) is None):
                    raise ApiError("nosuchsection", f"There is no section {number}.")
                if old_text is not None:
                    replaced = wikitext.replace_section(
                        old_text, number, wikitext.normalize_newlines(text).rstrip()
                    )
                    assert replaced is not None
                    text = replaced
        return text

    @staticmethod
    def _section(old_text: str, section: str) -> str:
        number = int(section.removeprefix("T-"))
        found = wikitext.get_section(old_text, number)
        if found is None:
            raise ApiError("nosuchsection", f"There is no section {number}.")
        return found

    def _resolve_conflict(
        self,
        ctx: ApiContext,
        conn: Connection,
        page: PageRecord,
        current: str,
        text: str,
        base_ts: float | None,
        base_rev: int | None,
    ) -> str:
        if base_ts is None and base_rev is None:
            return text
        latest = conn.execute(
            select(revisions.c.timestamp).where(revisions.c.id == page.latest_rev_id)
        ).scalar()
        if base_rev is not None:
            base_row = conn.execute(
                select(revisions).where(revisions.c.id == base_rev, revisions.c.page_id == page.id)
            ).first()
            if base_rev == page.latest_rev_id:
                return text
        else:
            if latest == int(base_ts or 0):
                return text
            base_row = conn.execute(
                select(revisions)
                .where(revisions.c.page_id == page.id, revisions.c.timestamp <= int(base_ts or 0))
                .order_by(revisions.c.id.desc())
                .limit(1)
            ).first()
        if base_row is None:
            raise ApiError("editconflict", "Edit conflict.")
        others = conn.execute(
            select(revisions.c.user_id, revisions.c.user_name).where(
                revisions.c.page_id == page.id, revisions.c.id > base_row.id
            )
        ).all()
        if all(r.user_name == ctx.actor.name for r in others):
            return text
        merged = wikitext.merge3(base_row.text, wikitext.normalize_newlines(text).rstrip(), current)
        if merged is None:
            raise ApiError("editconflict", "Edit conflict.")
        return merged

    def _save(
        self,
        ctx: ApiContext,
        conn: Connection,
        p: dict[str, Any],
        title: Title,
        page: PageRecord | None,
        old_text: str | None,
        text: str,
        model: str,
        new_section: bool,
    ) -> Any:
        actor = ctx.actor
        summary = p["summary"] or ""
        minor = bool(p["minor"]) and actor.has_right("minoredit")
        bot = bool(p["bot"]) and actor.has_right("bot")
        tags = list(p["tags"] or [])
        if new_section:
            heading = p["sectiontitle"] if p["sectiontitle"] is not None else summary
            heading = wikitext.heading_text(heading)
            if p["sectiontitle"] is not None and summary:
                pass
            elif heading:
                summary = ""
            return ctx.wiki.pages.save(
                conn,
                title=title,
                actor=actor,
                append_section=(heading, text),
                summary=summary,
                minor=minor,
                bot=bot,
                tags=tags,
                content_model=model,
                page=page,
                old_text=old_text,
                submitted=text,
            )
        if old_text is None or page is None:
            minor = False
        return ctx.wiki.pages.save(
            conn,
            title=title,
            actor=actor,
            text=text,
            summary=summary,
            minor=minor,
            bot=bot,
            tags=tags,
            content_model=model,
            page=page,
            old_text=old_text,
            submitted=p["text"] if p["text"] is not None else text,
        )
