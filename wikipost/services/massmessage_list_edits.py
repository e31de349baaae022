"""Creating and editing delivery lists: the one path behind ``action=editmassmessagelist``,
Special:CreateMassMessageList and the forms of a list page.

MassMessage 1.39 sends every list change through an internal ``action=edit``; here the same
checks run in the same order (rights, protection, blocks, the ``edit`` rate limit, content
validation) on the page service the API uses, so the web pages and the API cannot drift apart.
Failures are :class:`ApiError` with the API's codes and texts; a page shows their texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from wikipost.actor import Actor
from wikipost.api.errors import ApiError, ApiMessage
from wikipost.namespaces import CATEGORY
from wikipost.services import massmessage_lists as lists
from wikipost.services.content import ContentError
from wikipost.services.content import validate as validate_content
from wikipost.services.pages import PageRecord
from wikipost.services.ratelimit import RATELIMITED_TEXT
from wikipost.services.titles import Title
from wikipost.services.watchlist import apply_watch

if TYPE_CHECKING:
    from wikipost.wiki import Wiki

# $wgMaxArticleSize as action=edit enforces it (api/modules/edit.py: MAX_ARTICLE_BYTES).
MAX_ARTICLE_BYTES = 2048 * 1024

# MassMessage's messages for Special:CreateMassMessageList (i18n/en.json, REL1_39).
CREATE_INVALID_TITLE = "The specified title is invalid."
CREATE_EXISTS = "A page already exists with the specified title."
CREATE_NO_PERMISSION = "You do not have permission to create a list with this title."
CREATE_INVALID_SOURCE = (
    "The specified source is not a valid delivery list or category with at least one page."
)
SUMMARY_CREATE = "Create mass message delivery list"
# Create-restrictions and the create right are action=edit's concern, not userCan('edit')'s.
_CREATE_ONLY_CODES = frozenset({"cantcreate", "cantcreate-anon", "protectedpage"})


def create_error(key: str, text: str) -> ApiError:
    return ApiError(key, text, key=key)


@dataclass(frozen=True)
class ListEditResult:
    """What an add/remove/description request did (the API module turns it into its result)."""

    title: Title
    change: lists.ListChange
    missing: frozenset[str]  # added local titles whose page does not exist


@dataclass(frozen=True)
class DeliveryList:
    """A list page as read for display: its record, content and who may change it."""

    page: PageRecord
    data: dict[str, Any]
    edit_errors: tuple[ApiMessage, ...]

    @property
    def editable(self) -> bool:
        return not self.edit_errors


class DeliveryListEditor:
    """List edits on top of the wiki's page, protection and rate-limit services. Cheap to
    build; holds no state of its own, so callers build one per request (``of(wiki)``)."""

    def __init__(self, wiki: Wiki) -> None:
        self.wiki = wiki

    @classmethod
    def of(cls, wiki: Wiki) -> DeliveryListEditor:
        return cls(wiki)

    @property
    def sites(self) -> lists.Sites:
        return self.wiki.massmessage.sites

    # --- reading ----------------------------------------------------------------------------

    def load(self, conn: Connection, spamlist: str) -> tuple[PageRecord, dict[str, Any]]:
        """The list page named ``spamlist`` and its content, else ``invalidspamlist``."""
        wiki = self.wiki
        invalid = ApiError("invalidspamlist", "The specified spamlist is invalid.")
        title = wiki.titles.try_parse(spamlist)
        page = wiki.pages.get_page(conn, title) if title is not None else None
        if page is None or page.content_model != lists.CONTENT_MODEL:
            raise invalid
        try:
            data = lists.parse_list_text(wiki.pages.get_text(conn, page), wiki.titles)
        except lists.ListContentError:
            raise invalid from None
        return page, data

    def for_display(
        self, conn: Connection, actor: Actor, page: PageRecord, data: dict[str, Any]
    ) -> DeliveryList:
        """The list with the reasons ``actor`` may not change it (none: show the edit forms)."""
        errors = self.wiki.protection.edit_errors(conn, actor, page.title, page)
        read_only = self.read_only_error()
        if read_only is not None:
            errors = [read_only.messages[0], *errors]
        return DeliveryList(page, data, tuple(errors))

    def read_only_error(self) -> ApiError | None:
        """api.php refuses every write in read-only mode before a module runs; the web pages
        get the same refusal here."""
        reason = self.wiki.settings.site.read_only
        if not reason:
            return None
        return ApiError("readonly", "The wiki is currently in read-only mode.", {"readonlyreason": reason})

    def _check_writable(self) -> None:
        error = self.read_only_error()
        if error is not None:
            raise error

    # --- editmassmessagelist ----------------------------------------------------------------

    def edit(
        self,
        actor: Actor,
        client_ip: str,
        spamlist: str,
        *,
        add: Sequence[str] | None = None,
        remove: Sequence[str] | None = None,
        description: str | None = None,
    ) -> ListEditResult:
        """Apply add/remove/description to a list; the page is saved only when it changes."""
        wiki = self.wiki
        self._check_writable()
        with wiki.db.write() as conn:
            page, data = self.load(conn, spamlist)
            change = lists.apply_list_edit(
                data, add=add, remove=remove, description=description, titles=wiki.titles, sites=self.sites
            )
            if change.needs_edit:
                errors = wiki.protection.edit_errors(conn, actor, page.title, page)
                if errors:
                    raise ApiError.many(errors)
                # The internal action=edit counts against $wgRateLimits['edit'] like any edit.
                if not wiki.ratelimiter.hit("edit", actor, client_ip):
                    raise ApiError("ratelimited", RATELIMITED_TEXT)
                wiki.pages.save(
                    conn,
                    title=page.title,
                    actor=actor,
                    text=lists.serialize_list(change.new_data),
                    summary=lists.edit_summary(change),
                    page=page,
                )
            missing = self._missing(conn, change.added) if add is not None else frozenset()
        return ListEditResult(page.title, change, missing)

    def _missing(self, conn: Connection, added: Sequence[lists.ListTarget]) -> frozenset[str]:
        out = set()
        for target in added:
            if target.site is None:
                title = self.wiki.titles.try_parse(target.title)
                if title is None or self.wiki.pages.get_page(conn, title) is None:
                    out.add(target.title)
        return frozenset(out)

    # --- Special:CreateMassMessageList ------------------------------------------------------

    def create(
        self, actor: Actor, client_ip: str, title_text: str, description: str, source: str | None
    ) -> Title:
        """Create a list page (empty, or with the pages of list or category ``source``).

        MassMessage's own checks come first (title, existence, permission, source), then those
        of the action=edit it runs; the page is saved with the list content model.
        """
        wiki = self.wiki
        self._check_writable()
        with wiki.db.write() as conn:
            title = wiki.titles.try_parse(title_text)
            if title is None or not title.dbkey:
                raise create_error("massmessage-create-invalidtitle", CREATE_INVALID_TITLE)
            title = title.with_fragment("")
            if title.can_exist and wiki.pages.get_page(conn, title) is not None:
                raise create_error("massmessage-create-exists", CREATE_EXISTS)
            if not self._may_create(conn, actor, title):
                raise create_error("massmessage-create-nopermission", CREATE_NO_PERMISSION)
            if source is None:
                targets: list[lists.ListTarget] = []
                summary = SUMMARY_CREATE
            else:
                targets, summary = self._import(conn, source)
            data = {"description": description, "targets": [t.as_json() for t in targets]}
            self._save_new(conn, actor, client_ip, title, lists.serialize_list(data), summary)
        return title

    def _may_create(self, conn: Connection, actor: Actor, title: Title) -> bool:
        """userCan('edit') and userCan('editcontentmodel') on the new title."""
        if not title.can_exist or not actor.has_right("editcontentmodel"):
            return False
        errors = self.wiki.protection.edit_errors(conn, actor, title, None)
        return not [e for e in errors if e.code not in _CREATE_ONLY_CODES]

    def _import(self, conn: Connection, source_text: str) -> tuple[list[lists.ListTarget], str]:
        """The targets of an existing list or category (sorted, unique) and the edit summary."""
        wiki = self.wiki
        invalid = create_error("massmessage-create-invalidsource", CREATE_INVALID_SOURCE)
        source = wiki.titles.try_parse(source_text)
        if source is None or not source.dbkey or not source.can_exist:
            raise invalid
        titles = self.source_titles(conn, source)
        if not titles:
            raise invalid
        targets = sorted(dict.fromkeys(lists.ListTarget(t) for t in titles), key=lists.ListTarget.sort_key)
        name = source.prefixed_text
        if source.namespace == CATEGORY:
            return targets, f"{SUMMARY_CREATE} with targets from [[{name}]]"
        page = wiki.pages.get_page(conn, source)
        rev = page.latest_rev_id if page is not None else 0
        return targets, f"{SUMMARY_CREATE} with targets from [[Special:Permalink/{rev}|{name}]]"

    def source_titles(self, conn: Connection, source: Title) -> list[str] | None:
        """SpamlistLookup::getTargets without normalisation: a category's members, a list's
        deliverable targets, a wikitext page's ``{{#target:}}`` pages; None: not a list."""
        wiki = self.wiki
        page = wiki.pages.get_page(conn, source)
        if source.namespace == CATEGORY:
            return [m.prefixed_text for m in wiki.pages.category_members(conn, source.dbkey)]
        if page is None:
            return None
        text = wiki.pages.get_text(conn, page)
        if page.content_model == lists.CONTENT_MODEL:
            try:
                data = lists.parse_list_text(text, wiki.titles)
            except lists.ListContentError:
                return None
            return lists.usable_targets(data, self.sites)
        if page.content_model == "wikitext":
            return list(lists.valid_wikitext_titles(text, wiki.titles, self.sites))
        return None

    def _save_new(
        self, conn: Connection, actor: Actor, client_ip: str, title: Title, text: str, summary: str
    ) -> None:
        """The internal action=edit of MassMessageListContentHandler::edit, in its order."""
        wiki = self.wiki
        errors = wiki.protection.edit_errors(conn, actor, title, None)
        if errors:
            raise ApiError.many(errors)
        if not actor.has_right("editcontentmodel"):
            raise ApiError(
                "cantchangecontentmodel", "You don't have permission to change the content model of a page."
            )
        if not wiki.ratelimiter.hit("edit", actor, client_ip):
            raise ApiError("ratelimited", RATELIMITED_TEXT)
        if len(text.encode()) > MAX_ARTICLE_BYTES:
            raise ApiError(
                "contenttoobig", "The content you supplied exceeds the article size limit of 2,048 kibibytes."
            )
        try:
            stored = validate_content(lists.CONTENT_MODEL, text, wiki.titles)
        except ContentError as err:
            raise ApiError(err.code, err.info) from None
        wiki.pages.save(
            conn, title=title, actor=actor, text=stored, summary=summary, content_model=lists.CONTENT_MODEL
        )
        apply_watch(conn, actor, title, "preferences")
