"""Pages and revisions: reading them and saving an edit (pages.md §3, §4).

``save`` does everything an edit's save does inside the caller's write transaction and nothing
else: no permission, protection or rate-limit checks (the action=edit module and MassMessage do
their own). It runs a handful of indexed statements so deliveries stay fast.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, func, insert, select, update

from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.accounts import user_groups, users
from wikipost.db.schema.pages import (
    categorylinks,
    change_tags,
    logging,
    pages,
    recentchanges,
    redirects,
    revisions,
    site_stats,
)
from wikipost.db.writebuffer import WriteBuffer
from wikipost.namespaces import CATEGORY, FILE, MAIN
from wikipost.services import notices, wikitext
from wikipost.services.changetags import ChangeTags
from wikipost.services.content import stored_form
from wikipost.services.logs import LogService
from wikipost.services.titles import Title, TitleParser, default_content_model
from wikipost.settings import Settings

ACTIVE_USER_SECONDS = 30 * 86400

# The statements of the edit path, built once: building a Core statement per call costs ten
# times more than running it (MassMessage saves thousands of pages in a row).
_PAGE_BY_TITLE = select(pages).where(
    pages.c.namespace == bindparam("b_ns"), pages.c.dbkey == bindparam("b_dbkey")
)
_REVISION_TEXT = select(revisions.c.text).where(revisions.c.id == bindparam("b_id"))
_RECENT_TEXTS = (
    select(revisions.c.text)
    .where(revisions.c.page_id == bindparam("b_page"))
    .order_by(revisions.c.id.desc())
    .limit(bindparam("b_limit"))
)
_REDIRECT_OF = select(redirects).where(redirects.c.page_id == bindparam("b_page"))
_CATEGORIES_OF = select(categorylinks).where(categorylinks.c.page_id == bindparam("b_page"))
_INSERT_PAGE = insert(pages)
# $wgManualRevertSearchRadius: an edit restoring one of the page's 15 latest revisions (its own
# included, so 14 earlier ones) is a manual revert (EditResultBuilder, RevisionStore).
MANUAL_REVERT_RADIUS = 15
_RECENT_SHA1S = (
    select(revisions.c.sha1)
    .where(revisions.c.page_id == bindparam("b_page"))
    .order_by(revisions.c.timestamp.desc(), revisions.c.id.desc())
    .limit(MANUAL_REVERT_RADIUS - 1)
)
_INSERT_REVISION = insert(revisions)
_UPDATE_PAGE = update(pages).where(pages.c.id == bindparam("b_page"))
_INSERT_RC = insert(recentchanges)
_INSERT_CHANGE_TAG = insert(change_tags)
_INSERT_LOG = insert(logging)
_BUMP_STATS = (
    update(site_stats)
    .where(site_stats.c.id == 1)
    .values(
        edits=site_stats.c.edits + 1,
        pages=site_stats.c.pages + bindparam("d_pages"),
        articles=site_stats.c.articles + bindparam("d_articles"),
    )
)
_BUMP_EDITCOUNT = (
    update(users).where(users.c.id == bindparam("b_user")).values(editcount=users.c.editcount + 1)
)


@dataclass
class SaveCounters:
    """Site statistics and edit counts of several saves, written once (PageService.save)."""

    edits: int = 0
    pages: int = 0
    articles: int = 0
    editcounts: dict[int, int] = field(default_factory=dict)

    def add(self, user_id: int, d_pages: int, d_articles: int) -> None:
        self.edits += 1
        self.pages += d_pages
        self.articles += d_articles
        if user_id:
            self.editcounts[user_id] = self.editcounts.get(user_id, 0) + 1

    def clear(self) -> None:
        self.edits = self.pages = self.articles = 0
        self.editcounts.clear()


@dataclass(frozen=True)
class PageRecord:
    id: int
    namespace: int
    dbkey: str
    title: Title
    latest_rev_id: int
    content_model: str
    is_redirect: bool
    touched: int
    length: int
    is_new: bool = False
    is_article: bool = False


@dataclass(frozen=True)
class SaveResult:
    page_id: int
    rev_id: int
    old_rev_id: int
    new: bool
    timestamp: int
    nochange: bool
    title: Title | None = None
    content_model: str = "wikitext"


@dataclass(frozen=True)
class RevisionRecord:
    id: int
    page_id: int
    parent_id: int
    user_id: int
    user_name: str
    timestamp: int
    minor: bool
    comment: str
    size: int
    sha1: str
    content_model: str
    text: str
    tags: tuple[str, ...]


def sha1_hex(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def split_tags(value: str) -> tuple[str, ...]:
    return tuple(t for t in value.split("|") if t)


class PageService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        titles: TitleParser,
        tags: ChangeTags,
        logs: LogService,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.titles = titles
        self.tags = tags
        self.logs = logs

    # --- reading ----------------------------------------------------------------------------

    def _record(self, row: Any) -> PageRecord:
        return PageRecord(
            row.id,
            row.namespace,
            row.dbkey,
            self.titles.make(row.namespace, row.dbkey),
            row.latest_rev_id,
            row.content_model,
            bool(row.is_redirect),
            row.touched,
            row.length,
            bool(row.is_new),
            bool(row.is_article),
        )

    def get_page(self, conn: Connection, title: Title) -> PageRecord | None:
        if not title.can_exist:
            return None
        row = conn.execute(_PAGE_BY_TITLE, {"b_ns": title.namespace, "b_dbkey": title.dbkey}).first()
        return self._record(row) if row is not None else None

    def get_page_by_id(self, conn: Connection, page_id: int) -> PageRecord | None:
        row = conn.execute(select(pages).where(pages.c.id == page_id)).first()
        return self._record(row) if row is not None else None

    def get_pages(self, conn: Connection, titles: Sequence[Title]) -> dict[tuple[int, str], PageRecord]:
        """Existing pages among ``titles``, keyed by (namespace, dbkey)."""
        out: dict[tuple[int, str], PageRecord] = {}
        by_ns: dict[int, list[str]] = {}
        for t in titles:
            if t.can_exist:
                by_ns.setdefault(t.namespace, []).append(t.dbkey)
        for ns, keys in by_ns.items():
            for i in range(0, len(keys), 500):
                rows = conn.execute(
                    select(pages).where(pages.c.namespace == ns, pages.c.dbkey.in_(keys[i : i + 500]))
                )
                for row in rows:
                    out[(row.namespace, row.dbkey)] = self._record(row)
        return out

    def get_text(self, conn: Connection, page: PageRecord) -> str:
        value = conn.execute(_REVISION_TEXT, {"b_id": page.latest_rev_id}).scalar()
        return str(value) if value is not None else ""

    def get_revision(self, conn: Connection, rev_id: int) -> RevisionRecord | None:
        row = conn.execute(
            select(revisions).where(revisions.c.id == rev_id, revisions.c.deleted.is_(False))
        ).first()
        return revision_record(row) if row is not None else None

    def history(self, conn: Connection, page_id: int, limit: int = 50) -> list[RevisionRecord]:
        """The page's revisions, newest first (the history view)."""
        rows = conn.execute(
            select(revisions)
            .where(revisions.c.page_id == page_id, revisions.c.deleted.is_(False))
            .order_by(revisions.c.id.desc())
            .limit(limit)
        )
        return [revision_record(r) for r in rows]

    def recent_revision_texts(self, conn: Connection, page_id: int, limit: int = 5) -> list[str]:
        rows = conn.execute(_RECENT_TEXTS, {"b_page": page_id, "b_limit": limit})
        return [r.text for r in rows]

    def resolve_redirect(self, conn: Connection, title: Title) -> Title:
        """One hop, like MediaWiki: the target of a redirect page, else ``title`` itself."""
        page = self.get_page(conn, title)
        if page is None or not page.is_redirect:
            return title
        target = self.redirect_target(conn, page.id)
        return target if target is not None else title

    def redirect_target(self, conn: Connection, page_id: int) -> Title | None:
        row = conn.execute(_REDIRECT_OF, {"b_page": page_id}).first()
        if row is None:
            return None
        if row.interwiki:
            return self.titles.parse(f"{row.interwiki}:{row.dbkey}")
        return self.titles.make(row.namespace, row.dbkey, row.fragment)

    def in_category(self, conn: Connection, page_id: int, category_dbkey: str) -> bool:
        return (
            conn.execute(
                select(categorylinks.c.page_id).where(
                    categorylinks.c.page_id == page_id, categorylinks.c.category == category_dbkey
                )
            ).first()
            is not None
        )

    def category_members(self, conn: Connection, category_dbkey: str) -> list[Title]:
        rows = conn.execute(
            select(pages.c.namespace, pages.c.dbkey)
            .join(categorylinks, categorylinks.c.page_id == pages.c.id)
            .where(categorylinks.c.category == category_dbkey)
            .order_by(categorylinks.c.type, categorylinks.c.sortkey, categorylinks.c.page_id)
        )
        return [self.titles.make(r.namespace, r.dbkey) for r in rows]

    def page_categories(self, conn: Connection, page_id: int) -> list[Any]:
        return list(
            conn.execute(
                select(categorylinks)
                .where(categorylinks.c.page_id == page_id)
                .order_by(categorylinks.c.category)
            )
        )

    def deleted_since(self, conn: Connection, title: Title, since: float) -> bool:
        """Whether ``title`` was deleted after ``since`` (the pagedeleted check)."""
        return self.logs.last_deletion(conn, title, since)

    # --- saving -----------------------------------------------------------------------------

    def save(
        self,
        conn: Connection,
        *,
        title: Title,
        actor: Actor,
        text: str | None = None,
        append_section: tuple[str, str] | None = None,
        summary: str = "",
        minor: bool = False,
        bot: bool = False,
        tags: Sequence[str] = (),
        content_model: str | None = None,
        log_action: str | None = None,
        submitted: str | None = None,
        page: PageRecord | None = None,
        old_text: str | None = None,
        auto_summary: bool = True,
        talk_notice: bool = True,
        counters: SaveCounters | None = None,
        buffer: WriteBuffer | None = None,
        page_loaded: bool = False,
    ) -> SaveResult:
        """Save a new revision of ``title``.

        ``text`` replaces the page; ``append_section=(heading, body)`` adds a section like
        ``section=new``. An empty ``summary`` gets the automatic one. ``page``/``old_text`` may
        be passed when the caller already loaded them. ``auto_summary=False`` keeps an empty
        summary empty. ``log_action`` is reserved. ``talk_notice=False``: the caller sets the
        new-message notice itself (mass-message deliveries set a whole batch's at once).
        ``counters``: the site statistics and the actor's edit count are added up there, for the
        caller to write once (:meth:`apply_counters`) instead of once per save. ``buffer``
        (PostgreSQL): the new rows and the page update wait there to be sent with other saves'
        (wikipost/db/writebuffer.py); the caller flushes it before reading this page again.
        ``page_loaded``: ``page`` is what the store holds now, ``None`` meaning no page yet.
        """
        del log_action
        now = int(self.clock.now())
        if page is None and not page_loaded:
            page = self.get_page(conn, title)
        if page is not None and old_text is None:
            old_text = self.get_text(conn, page)
        if page is None:
            old_text = None
        model = content_model or (page.content_model if page else default_content_model(title))
        pst = lambda t: wikitext.pre_save_transform(  # noqa: E731
            t, title=title, user_name=actor.name, anonymous=actor.is_anon, now=now
        )
        heading = None
        if append_section is not None:
            heading = wikitext.heading_text(append_section[0])
            body = pst(append_section[1])
            new_text = wikitext.new_section_text(old_text, heading, body)
            raw = append_section[1]
        else:
            raw = text or ""
            new_text = pst(raw) if model == "wikitext" else stored_form(model, raw.rstrip())
        if submitted is not None:
            raw = submitted
        if page is not None and new_text == old_text and model == page.content_model:
            return SaveResult(
                page.id, page.latest_rev_id, page.latest_rev_id, False, now, True, page.title, model
            )
        old_target = self.redirect_target(conn, page.id) if page and page.is_redirect else None
        new_target = wikitext.redirect_target(new_text, self.titles) if model == "wikitext" else None
        comment = wikitext.truncate_comment(summary)
        if not comment and auto_summary:
            if heading:
                comment = wikitext.section_summary(heading)
            elif heading is None or page is None:
                comment = wikitext.auto_summary(
                    old_text=old_text,
                    new_text=new_text,
                    submitted=raw,
                    old_redirect=old_target,
                    new_redirect=new_target,
                    new_redirect_raw=wikitext.redirect_link_text(new_target),
                )
        all_tags = list(dict.fromkeys(tags))
        if new_target is not None and old_target is None:
            all_tags.append("mw-new-redirect")
        if page is not None and model != page.content_model:
            all_tags.append("mw-contentmodelchange")
        minor = minor and page is not None
        size = len(new_text.encode())
        sha1 = sha1_hex(new_text)
        if buffer and page is not None and page.id in buffer.pages:
            buffer.flush()
        if (
            page is not None
            and not {"mw-undo", "mw-rollback"} & set(all_tags)
            and sha1 in (conn.execute(_RECENT_SHA1S, {"b_page": page.id}).scalars())
        ):
            all_tags.append("mw-manual-revert")
        if buffer and "{{" in new_text:  # templates are read from the store
            buffer.flush()
        expanded = self._expand(conn, new_text) if model == "wikitext" else ""
        is_article = (
            title.namespace == MAIN
            and new_target is None
            and model == "wikitext"
            and wikitext.has_wiki_link(expanded, self.titles)
        )
        if page is None:
            new_page = dict(
                namespace=title.namespace,
                dbkey=title.dbkey,
                content_model=model,
                is_redirect=new_target is not None,
                is_new=True,
                is_article=is_article,
                touched=now,
                latest_rev_id=0,
                length=size,
            )
            if buffer is not None:
                page_id = new_page["id"] = buffer.next_id(pages)
                buffer.add(_INSERT_PAGE, new_page, page_id)
            else:
                page_id = conn.execute(_INSERT_PAGE, new_page).inserted_primary_key[0]  # type: ignore[index]
            old_rev, old_len = 0, 0
        else:
            page_id, old_rev, old_len = page.id, page.latest_rev_id, page.length
        rev_id = self._write(
            conn,
            buffer,
            _INSERT_REVISION,
            revisions,
            page_id,
            dict(
                page_id=page_id,
                parent_id=old_rev,
                user_id=actor.id,
                user_name=actor.name,
                timestamp=now,
                minor=minor,
                comment=comment,
                size=size,
                sha1=sha1,
                content_model=model,
                text=new_text,
                tags="|".join(all_tags),
                deleted=False,
            ),
        )
        page_update = dict(
            b_page=page_id,
            latest_rev_id=rev_id,
            length=size,
            touched=now,
            content_model=model,
            is_redirect=new_target is not None,
            is_new=page is None,
            is_article=is_article,
        )
        if buffer is not None:
            buffer.add(_UPDATE_PAGE, page_update, page_id)
        else:
            conn.execute(_UPDATE_PAGE, page_update)
        if model == "wikitext" or (page is not None and page.content_model == "wikitext"):
            # a new page without category links has none to compare with: nothing to read
            if buffer is None or page is not None or wikitext.categories(expanded, self.titles)[0]:
                if buffer:
                    buffer.flush()
                self._update_categories(conn, page_id, title, expanded, now)
        if new_target is not None or old_target is not None:
            if buffer:
                buffer.flush()
            self._update_redirect(conn, page_id, new_target)
        rc_id = self._write(
            conn,
            buffer,
            _INSERT_RC,
            recentchanges,
            page_id,
            dict(
                timestamp=now,
                type="new" if page is None else "edit",
                user_id=actor.id,
                user_name=actor.name,
                namespace=title.namespace,
                dbkey=title.dbkey,
                page_id=page_id,
                rev_id=rev_id,
                old_rev_id=old_rev,
                minor=minor,
                bot=bot,
                new=page is None,
                old_len=old_len,
                new_len=size,
                comment=comment,
                patrolled=2 if actor.has_right("autopatrol") else 0,
                redirect=new_target is not None,
                sha1=sha1,
                tags="|".join(all_tags),
            ),
        )
        for tag in all_tags:
            change_tag = {"tag": tag, "rc_id": rc_id, "rev_id": rev_id}
            if buffer is not None:
                buffer.add(_INSERT_CHANGE_TAG, change_tag, page_id)
            else:
                conn.execute(_INSERT_CHANGE_TAG, change_tag)
        was_article = bool(page and page.is_article)
        d_pages, d_articles = (1 if page is None else 0), int(is_article) - int(was_article)
        if counters is not None:
            counters.add(actor.id, d_pages, d_articles)
        else:
            conn.execute(_BUMP_STATS, {"d_pages": d_pages, "d_articles": d_articles})
            if actor.id:
                conn.execute(_BUMP_EDITCOUNT, {"b_user": actor.id})
        if talk_notice:
            notices.set_for_edit(conn, title, actor, minor=minor)
        if page is None:
            # PageUpdater::doCreate's ``create/create`` entry. It has no recent-changes row of its
            # own: the ``new`` change above already shows the creation.
            self._write(
                conn,
                buffer,
                _INSERT_LOG,
                logging,
                page_id,
                dict(
                    type="create",
                    action="create",
                    timestamp=now,
                    user_id=actor.id,
                    user_name=actor.name,
                    namespace=title.namespace,
                    dbkey=title.dbkey,
                    page_id=page_id,
                    comment=comment,
                    params="{}",
                    tags="",
                ),
            )
        old_model = default_content_model(title) if page is None else page.content_model
        if model != old_model:
            self.logs.log(
                conn,
                type="contentmodel",
                action="new" if page is None else "change",
                actor=actor,
                title=title,
                comment=comment if summary else "",
                page_id=page_id,
                params={"oldmodel": None if page is None else old_model, "newmodel": model},
            )
        return SaveResult(page_id, rev_id, old_rev, page is None, now, False, title, model)

    @staticmethod
    def _write(
        conn: Connection,
        buffer: WriteBuffer | None,
        statement: Any,
        table: Table,
        page_id: int,
        row: dict[str, Any],
    ) -> int:
        """Insert a row; its id. With a buffer the id is reserved now and the row sent later."""
        if buffer is None:
            return int(conn.execute(statement, row).inserted_primary_key[0])  # type: ignore[index]
        row["id"] = buffer.next_id(table)
        buffer.add(statement, row, page_id)
        return int(row["id"])

    def _expand(self, conn: Connection, text: str) -> str:
        def fetch(t: Title) -> str | None:
            page = self.get_page(conn, t)
            return self.get_text(conn, page) if page is not None else None

        return wikitext.expand_templates(text, self.titles, fetch)

    def _update_categories(
        self, conn: Connection, page_id: int, title: Title, expanded: str, now: int
    ) -> None:
        links, default_key = wikitext.categories(expanded, self.titles)
        old = {r.category: r for r in conn.execute(_CATEGORIES_OF, {"b_page": page_id})}
        kind = "subcat" if title.namespace == CATEGORY else "file" if title.namespace == FILE else "page"
        wanted = {}
        for link in links:
            prefix = link.sortkey_prefix or default_key
            wanted[link.name] = (prefix, wikitext.sortkey(prefix, title))
        for name in old.keys() - wanted.keys():
            conn.execute(
                delete(categorylinks).where(
                    categorylinks.c.page_id == page_id, categorylinks.c.category == name
                )
            )
        for name, (prefix, key) in wanted.items():
            if name in old:
                if old[name].sortkey != key or old[name].sortkey_prefix != prefix:
                    conn.execute(
                        update(categorylinks)
                        .where(categorylinks.c.page_id == page_id, categorylinks.c.category == name)
                        .values(sortkey=key, sortkey_prefix=prefix)
                    )
            else:
                conn.execute(
                    insert(categorylinks).values(
                        page_id=page_id,
                        category=name,
                        sortkey=key,
                        sortkey_prefix=prefix,
                        type=kind,
                        timestamp=now,
                    )
                )

    def _update_redirect(self, conn: Connection, page_id: int, target: Title | None) -> None:
        conn.execute(delete(redirects).where(redirects.c.page_id == page_id))
        if target is not None:
            conn.execute(
                insert(redirects).values(
                    page_id=page_id,
                    namespace=target.namespace,
                    dbkey=target.dbkey if not target.interwiki else target.dbkey,
                    fragment=target.fragment,
                    interwiki=target.interwiki,
                )
            )

    # --- logs and tags (facades E codes against) --------------------------------------------

    def log(
        self,
        conn: Connection,
        *,
        type: str,
        action: str,
        actor: Actor,
        title: Title,
        comment: str,
        params: dict[str, Any],
        tags: Sequence[str] = (),
        page_id: int | None = None,
    ) -> int:
        if page_id is None:
            page = self.get_page(conn, title)
            page_id = page.id if page else 0
        return self.logs.log(
            conn,
            type=type,
            action=action,
            actor=actor,
            title=title,
            comment=comment,
            params=params,
            tags=tags,
            page_id=page_id,
        )

    def apply_counters(self, conn: Connection, counters: SaveCounters) -> None:
        """Write what :meth:`save` added up: one statement for the site, one per editor. Late in
        a transaction, so that concurrent batches hold these hot rows only briefly."""
        if counters.edits:
            conn.execute(
                update(site_stats)
                .where(site_stats.c.id == 1)
                .values(
                    edits=site_stats.c.edits + counters.edits,
                    pages=site_stats.c.pages + counters.pages,
                    articles=site_stats.c.articles + counters.articles,
                )
            )
        for user_id, n in sorted(counters.editcounts.items()):
            conn.execute(update(users).where(users.c.id == user_id).values(editcount=users.c.editcount + n))
        counters.clear()

    def ensure_tag(self, conn: Connection, name: str) -> None:
        self.tags.ensure(conn, name)

    # --- statistics -------------------------------------------------------------------------

    def statistics(self) -> dict[str, int]:
        """pages, articles, edits, images, users, activeusers, admins (siteinfo statistics)."""
        with self.db.read() as conn:
            row = conn.execute(select(site_stats).where(site_stats.c.id == 1)).first()
            since = int(self.clock.now()) - ACTIVE_USER_SECONDS
            bots = select(user_groups.c.user_id).where(user_groups.c.group_name == "bot")
            active = (
                conn.execute(
                    select(func.count(func.distinct(recentchanges.c.user_id))).where(
                        and_(
                            recentchanges.c.timestamp >= since,
                            recentchanges.c.user_id != 0,
                            recentchanges.c.user_id.not_in(bots),
                        )
                    )
                ).scalar()
                or 0
            )
            admins = (
                conn.execute(
                    select(func.count()).select_from(user_groups).where(user_groups.c.group_name == "sysop")
                ).scalar()
                or 0
            )
        stats = {
            k: int(getattr(row, k)) if row else 0 for k in ("pages", "articles", "edits", "images", "users")
        }
        return {**stats, "activeusers": int(active), "admins": int(admins)}

    def count_new_user(self, conn: Connection) -> None:
        """A sign-up through the normal path (statistics ``users``)."""
        conn.execute(update(site_stats).where(site_stats.c.id == 1).values(users=site_stats.c.users + 1))


def revision_record(row: Any) -> RevisionRecord:
    return RevisionRecord(
        row.id,
        row.page_id,
        row.parent_id,
        row.user_id,
        row.user_name,
        row.timestamp,
        bool(row.minor),
        row.comment,
        row.size,
        row.sha1,
        row.content_model,
        row.text,
        split_tags(row.tags),
    )


def log_params_json(params: dict[str, Any]) -> str:
    return json.dumps(params, ensure_ascii=False)
