"""MassMessage: validate a send, resolve its targets, record it and queue its delivery.

A send is accepted synchronously (``action=massmessage``): the request is validated with every
failure collected (massmessage.md §3.2), the list is read and its targets normalised and
de-duplicated (§4), and in ONE transaction the send, one record per target, the ``send`` log
entry (its id kept on the send, for Special:Log) and the submit job are written. Delivery runs
in the background (:mod:`wikipost.services.massmessage_delivery`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, func, insert, select

from wikipost.actor import Actor
from wikipost.api.errors import ApiError, ApiMessage
from wikipost.clock import Clock
from wikipost.db import Database
from wikipost.db.schema.jobs import jobs
from wikipost.db.schema.massmessage import massmessage_sends, massmessage_targets
from wikipost.jobs import JobQueue
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
    raw_targets: list[str] = field(default_factory=list)


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
        jobs: JobQueue,
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

    def resolve_list(self, conn: Connection, spamlist: str) -> ResolvedList | ApiMessage:
        """The list a ``spamlist`` names and its raw targets, or the reason it is unusable."""
        missing = ApiMessage(
            "massmessage-spamlist-doesnotexist",
            "The specified delivery list page or category does not exist.",
            key="massmessage-spamlist-doesnotexist",
        )
        invalid = ApiMessage(
            "massmessage-spamlist-invalid",
            "The specified page does not contain a valid delivery list.",
            key="massmessage-spamlist-invalid",
        )
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
            members = self.pages.category_members(conn, title.dbkey)
            return ResolvedList(title, 0, self._list_url(title, 0), [m.prefixed_text for m in members])
        assert page is not None
        resolved = ResolvedList(title, page.latest_rev_id, self._list_url(title, page.latest_rev_id))
        text = self.pages.get_text(conn, page)
        if page.content_model == lists.CONTENT_MODEL:
            try:
                data = lists.parse_list_text(text, self.titles)
            except lists.ListContentError:
                return invalid
            resolved.raw_targets = lists.usable_targets(data, self.sites)
        elif page.content_model == "wikitext":
            resolved.raw_targets = list(lists.valid_wikitext_titles(text, self.titles, self.sites))
        else:
            return invalid
        return resolved

    def normalise_targets(self, conn: Connection, raw: list[str]) -> Iterator[str]:
        """§4: User → User talk, one redirect hop, canonical text, duplicates dropped (in order)."""
        seen: set[str] = set()
        for start in range(0, len(raw), 500):
            chunk = raw[start : start + 500]
            parsed: list[Any] = []
            for text in chunk:
                try:
                    title = self.titles.parse(text)
                except Exception:
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
                if name not in seen:
                    seen.add(name)
                    yield name

    # --- validation (massmessage.md §3.2 step 6) -------------------------------------------

    def validate(self, conn: Connection, request: SendRequest) -> tuple[ResolvedList, str, str, str]:
        """(list, subject, message, page_message) trimmed, or ApiError with every failure."""
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
        resolved = self.resolve_list(conn, php_trim(request.spamlist))
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
            resolved, subject, message, page_message = self.validate(conn, request)
            now = self.clock.now()
            send_id = conn.execute(
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
                    created_at=now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            count = 0
            chunk: list[dict[str, Any]] = []
            for name in self.normalise_targets(conn, resolved.raw_targets):
                chunk.append({"send_id": send_id, "title": name, "status": "pending", "reason": ""})
                if len(chunk) >= INSERT_CHUNK:
                    conn.execute(insert(massmessage_targets), chunk)
                    count += len(chunk)
                    chunk = []
            if chunk:
                conn.execute(insert(massmessage_targets), chunk)
                count += len(chunk)
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
            self.jobs.enqueue(conn, SUBMIT_JOB, {"send": send_id, "after": 0})
        self.jobs.notify()
        return int(send_id), count

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


def is_user_namespace(ns: int) -> bool:
    return ns in (USER, USER_TALK)
