"""MassMessage: validate a send, resolve its targets, record it and queue its delivery.

A send is accepted synchronously (``action=massmessage``): the request is validated with every
failure collected (massmessage.md §3.2), the list is read and its targets normalised and
de-duplicated (§4), and in ONE transaction the send, one record per target, the ``send`` log
entry (its id kept on the send, for Special:Log) and the submit job are written. Delivery runs
in the background (:mod:`wikipost.services.massmessage_delivery`).

Memory stays flat in the size of the list: the targets stream from the list's text (or a
category, a page of members at a time) through normalisation into the target table, a chunk at
a time; the table's unique (send, title) drops duplicates (``ON CONFLICT DO NOTHING``), so no
set of every target is held either. Only the list's text itself is held, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, func, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from wikipost.actor import Actor
from wikipost.api.errors import ApiError, ApiMessage
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.jobs import jobs
from wikipost.db.schema.massmessage import massmessage_sends, massmessage_targets
from wikipost.db.schema.pages import categorylinks, pages
from wikipost.jobs.backend import JobBackend
from wikipost.namespaces import CATEGORY, USER, USER_TALK
from wikipost.services import massmessage_lists as lists
from wikipost.services.massmessage_preview import SendPreview, build_preview
from wikipost.services.massmessage_status import CancelError, SendStatus, SendStatusMixin
from wikipost.services.massmessage_text import php_trim
from wikipost.settings import Settings

__all__ = ["CancelError", "MassMessageService", "SendPreview", "SendRequest", "SendStatus", "php_trim"]

SUBMIT_JOB = "massmessage-submit"
DELIVER_JOB = "massmessage-deliver"
INSERT_CHUNK = 1000
NORMALISE_CHUNK = 500  # titles looked up together (one query per namespace)
CATEGORY_PAGE = 1000  # category members read per query


@dataclass(frozen=True)
class SendRequest:
    spamlist: str
    subject: str
    message: str | None  # None: not given
    page_message: str | None


@dataclass
class ResolvedList:
    title: Any  # Title of the list page (after one redirect hop) or category
    rev_id: int  # latest revision of the list page; 0 for a category
    url: str
    # The raw targets, read afresh on each call (from the list's text or the category).
    targets: Callable[[], Iterator[str]]
    # A JSON list whose titles were not checked yet (``validate(check_titles=False)``): an
    # unparsable one is an invalid list, found while the targets are recorded.
    unchecked: lists.ListText | None = None

    @property
    def raw_targets(self) -> Iterator[str]:
        return self.targets()


def spamlist_missing() -> ApiMessage:
    return ApiMessage(
        "massmessage-spamlist-doesnotexist",
        "The specified delivery list page or category does not exist.",
        key="massmessage-spamlist-doesnotexist",
    )


def spamlist_invalid() -> ApiMessage:
    return ApiMessage(
        "massmessage-spamlist-invalid",
        "The specified page does not contain a valid delivery list.",
        key="massmessage-spamlist-invalid",
    )


def wf_urlencode(text: str) -> str:
    """wfUrlencode: urlencode, with ``;@$!*(),/~:`` left as they are."""
    return quote(text, safe=";@$!*(),/~:")


class MassMessageService(SendStatusMixin):
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        *,
        users: Any,
        pages: Any,
        titles: Any,
        jobs: JobBackend,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.users = users
        self.pages = pages
        self.titles = titles
        self.jobs = jobs
        self.sites = lists.Sites.of(settings.site.host, settings.site.wiki_id)

    # --- the list --------------------------------------------------------------------------

    def _list_url(self, title: Any, rev_id: int) -> str:
        site = self.settings.site
        key = wf_urlencode(title.prefixed_dbkey)
        if title.namespace == CATEGORY:
            return f"{site.server}{site.script_path}/index.php/{key}"
        return f"{site.server}{site.script_path}/index.php?title={key}&oldid={rev_id}"

    def resolve_list(
        self, conn: Connection, spamlist: str, *, check_titles: bool = True
    ) -> ResolvedList | ApiMessage:
        """The list a ``spamlist`` names and its raw targets, or the reason it is unusable.

        ``check_titles=False`` leaves the titles of a JSON list unchecked (``unchecked``): the
        caller checks them as it reads them, instead of parsing every title twice."""
        missing = spamlist_missing()
        invalid = spamlist_invalid()
        try:
            title = self.titles.parse(spamlist)
        except Exception:
            return missing
        if not title.can_exist:
            return missing
        page = self.pages.get_page(conn, title)
        if page is None and title.namespace != CATEGORY:
            return missing
        if page is not None and page.is_redirect:
            target = self.pages.resolve_redirect(conn, title)
            if target.interwiki or not target.can_exist:
                return invalid
            title = target
            page = self.pages.get_page(conn, title)
            if page is None and title.namespace != CATEGORY:
                return invalid
        if title.namespace == CATEGORY:
            dbkey = title.dbkey
            return ResolvedList(
                title, 0, self._list_url(title, 0), lambda: self._category_members(conn, dbkey)
            )
        assert page is not None
        url = self._list_url(title, page.latest_rev_id)
        text = self.pages.get_text(conn, page)
        if page.content_model == lists.CONTENT_MODEL:
            try:
                scanned = lists.scan_list_text(text)
                if check_titles:
                    scanned.check_titles(self.titles)
            except lists.ListContentError:
                return invalid
            if check_titles:
                return ResolvedList(title, page.latest_rev_id, url, lambda: scanned.usable_titles(self.sites))
            return ResolvedList(
                title,
                page.latest_rev_id,
                url,
                lambda: scanned.usable_titles(self.sites, check=self.titles),
                unchecked=scanned,
            )
        if page.content_model == "wikitext":
            # mwparserfromhell parses the whole page; a wikitext list is never large in practice.
            return ResolvedList(
                title,
                page.latest_rev_id,
                url,
                lambda: iter(lists.valid_wikitext_titles(text, self.titles, self.sites)),
            )
        return invalid

    def _category_members(self, conn: Connection, dbkey: str) -> Iterator[str]:
        """The category's members in its order (type, sort key, page id), a page at a time."""
        order = (categorylinks.c.type, categorylinks.c.sortkey, categorylinks.c.page_id)
        query = (
            select(pages.c.namespace, pages.c.dbkey, *order)
            .join(categorylinks, categorylinks.c.page_id == pages.c.id)
            .where(categorylinks.c.category == dbkey)
            .order_by(*order)
            .limit(CATEGORY_PAGE)
        )
        after: tuple[Any, ...] | None = None
        while True:
            page = query if after is None else query.where(tuple_(*order) > tuple_(*after))
            rows = conn.execute(page).all()
            for row in rows:
                yield self.titles.make(row.namespace, row.dbkey).prefixed_text
            if len(rows) < CATEGORY_PAGE:
                return
            after = (rows[-1].type, rows[-1].sortkey, rows[-1].page_id)

    def normalise_targets(self, conn: Connection, raw: Iterable[str]) -> Iterator[str]:
        """§4: User → User talk, one redirect hop, canonical text, duplicates dropped (in order).

        Holds the names seen: for counting (the preview); ``submit`` lets the database drop
        duplicates instead."""
        seen: set[str] = set()
        for name in self.normalised(conn, raw):
            if name not in seen:
                seen.add(name)
                yield name

    def normalised(self, conn: Connection, raw: Iterable[str], *, strict: bool = False) -> Iterator[str]:
        """§4 without dropping duplicates, NORMALISE_CHUNK titles at a time. ``strict``: an
        unparsable title is an invalid list (ListContentError) rather than a target kept as
        written."""
        targets = iter(raw)
        while chunk := list(islice(targets, NORMALISE_CHUNK)):
            parsed: list[Any] = []
            for text in chunk:
                try:
                    title = self.titles.parse(text)
                except Exception:
                    if strict:
                        raise lists.ListContentError(*lists.INVALID_CONTENT) from None
                    parsed.append(text)  # unparsable: kept as written, skipped at delivery
                    continue
                if title.namespace == USER and not title.interwiki:
                    title = title.talk_page()
                parsed.append(title)
            existing = self.pages.get_pages(conn, [t for t in parsed if not isinstance(t, str)])
            for item in parsed:
                if isinstance(item, str):
                    name = item
                else:
                    page = existing.get((item.namespace, item.dbkey))
                    if page is not None and page.is_redirect:
                        target = self.pages.redirect_target(conn, page.id)
                        if target is not None and not target.interwiki:
                            item = target.with_fragment("") if target.fragment else target
                    name = item.prefixed_text
                yield name

    # --- validation (massmessage.md §3.2 step 6) -------------------------------------------

    def validate(
        self, conn: Connection, request: SendRequest, *, check_titles: bool = True
    ) -> tuple[ResolvedList, str, str, str]:
        """(list, subject, message, page_message) trimmed, or ApiError with every failure.

        ``check_titles=False`` (submit): when nothing else fails, a JSON list's titles are left
        for the caller to check while it records them (``ResolvedList.unchecked``)."""
        errors: list[ApiMessage] = []
        subject = php_trim(request.subject)
        message = php_trim(request.message or "")
        page_message = php_trim(request.page_message or "")
        if not subject:
            errors.append(
                ApiMessage(
                    "massmessage-empty-subject",
                    "No subject has been provided for the message.",
                    key="massmessage-empty-subject",
                )
            )
        resolved = self.resolve_list(conn, php_trim(request.spamlist), check_titles=check_titles)
        list_error_at = len(errors)
        if isinstance(resolved, ApiMessage):
            errors.append(resolved)
        if page_message:
            problem = self.page_message_problem(conn, page_message)
            if problem is not None:
                errors.append(problem)
        if not message and not page_message:
            errors.append(
                ApiMessage(
                    "massmessage-empty-message",
                    "The message body is empty. Provide the message body, or select a page to be sent "
                    "as message.",
                    key="massmessage-empty-message",
                )
            )
        if errors and not isinstance(resolved, ApiMessage) and resolved.unchecked is not None:
            try:  # the request fails anyway: report the list too if it is invalid
                resolved.unchecked.check_titles(self.titles)
            except lists.ListContentError:
                errors.insert(list_error_at, spamlist_invalid())
        if errors:
            raise ApiError.many(errors)
        assert not isinstance(resolved, ApiMessage)
        return resolved, subject, message, page_message

    def page_message_problem(self, conn: Connection, name: str) -> ApiMessage | None:
        try:
            title = self.titles.parse(name)
        except Exception:
            title = None
        if title is None or not title.can_exist:
            return ApiMessage(
                "massmessage-page-message-invalid",
                f'The page "{name}", selected to be sent as message is invalid.',
                key="massmessage-page-message-invalid",
            )
        page = self.pages.get_page(conn, title)
        if page is None:
            return ApiMessage(
                "massmessage-page-message-not-found",
                f'The page "{title.prefixed_text}", selected to be sent as message, was not found.',
                key="massmessage-page-message-not-found",
            )
        if not self.pages.get_text(conn, page).strip():
            return ApiMessage(
                "massmessage-page-message-empty",
                f'The page "{name}", selected to be sent as message, has no content.',
                key="massmessage-page-message-empty",
            )
        return None

    # --- submit ----------------------------------------------------------------------------

    def submit(self, actor: Actor, request: SendRequest) -> tuple[int, int]:
        """Validate, record and queue a send; (send id, count)."""
        with self.db.write() as conn:
            resolved, subject, message, page_message = self.validate(conn, request, check_titles=False)
            try:
                # A savepoint: an invalid title met while recording undoes the send, even when
                # this write joined an enclosing one.
                with conn.begin_nested():
                    send_id, count = self._record(conn, actor, resolved, subject, message, page_message)
            except lists.ListContentError:
                raise ApiError.many([spamlist_invalid()]) from None
        self.jobs.notify()
        return send_id, count

    def _record(
        self,
        conn: Connection,
        actor: Actor,
        resolved: ResolvedList,
        subject: str,
        message: str,
        page_message: str,
    ) -> tuple[int, int]:
        """The send, its targets (streamed), its log entry and its submit job; (id, count)."""
        send_id = int(
            conn.execute(
                insert(massmessage_sends).values(
                    sender_id=actor.id,
                    sender_name=actor.name,
                    spamlist=resolved.title.prefixed_text,
                    list_rev_id=resolved.rev_id,
                    list_url=resolved.url,
                    subject=subject,
                    message=message,
                    page_message=page_message,
                    total=0,
                    fanned_out=0,
                    status="queued",
                    created_at=self.clock.now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        names = self.normalised(conn, resolved.targets(), strict=resolved.unchecked is not None)
        add_targets = _insert_ignoring_duplicates(conn)
        while chunk := list(islice(names, INSERT_CHUNK)):
            conn.execute(
                add_targets,
                [{"send_id": send_id, "title": n, "status": "pending", "reason": ""} for n in chunk],
            )
        count = int(
            conn.execute(
                select(func.count())
                .select_from(massmessage_targets)
                .where(massmessage_targets.c.send_id == send_id)
            ).scalar_one()
        )
        log_id = self.pages.log(
            conn,
            type="massmessage",
            action="send",
            actor=actor,
            title=resolved.title,
            comment=subject,
            params={"revid": resolved.rev_id, "pageMessage": page_message},
        )
        conn.execute(
            massmessage_sends.update()
            .where(massmessage_sends.c.id == send_id)
            .values(total=count, log_id=log_id)
        )
        self.jobs.enqueue(
            conn, SUBMIT_JOB, {"send": send_id, "after": 0}, queueing_lock=f"{SUBMIT_JOB}:{send_id}"
        )
        return send_id, count

    # --- preview (Special:MassMessage) ------------------------------------------------------

    def preview(self, actor: Actor, request: SendRequest) -> SendPreview:
        """What ``submit`` would send, without sending: raises ApiError as ``submit`` would."""
        return build_preview(self, actor, request)

    def queued_deliveries(self) -> int:
        """Delivery jobs not yet done (siteinfo ``queued-massmessages``)."""
        with self.db.read() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(jobs)
                    .where(jobs.c.type == DELIVER_JOB, jobs.c.status.in_(("queued", "running")))
                ).scalar()
                or 0
            )


def _insert_ignoring_duplicates(conn: Connection) -> Any:
    """INSERT of target rows where a (send, title) already recorded is skipped: the unique
    constraint ``uq_massmessage_targets_send_title`` drops the duplicates of a list, in order
    (the first one stays, with the lower id)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(massmessage_targets).on_conflict_do_nothing(index_elements=["send_id", "title"])


def is_user_namespace(ns: int) -> bool:
    return ns in (USER, USER_TALK)
