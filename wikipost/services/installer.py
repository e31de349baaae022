"""What MediaWiki 1.39's installer leaves in a new wiki, done by ``wikipost init``.

1.39's installer creates the administrator account first (user 1), then writes page 1, the
Main Page, as the system user ``MediaWiki default`` (user 2, made for that edit). Clients and
scripts expect the page (``titles=Main Page``, ``pageids=1``), and every later page, revision and
user id counts from these. Installing is idempotent: the installer's system user marks a store
that has been installed, so a Main Page deleted later is not written again, and an administrator
that exists is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from wikipost.db import Database
from wikipost.db.schema.accounts import users as user_rows
from wikipost.services.pages import PageService
from wikipost.services.titles import TitleParser
from wikipost.services.users import UserRecord, UserService

INSTALLER_USER = "MediaWiki default"
MAIN_PAGE_TITLE = "Main Page"
# The groups 1.39's installer gives the administrator it creates.
ADMIN_GROUPS = ("sysop", "bureaucrat", "interface-admin")
# 1.39's "mainpagetext" and "mainpagedocfooter" messages, joined by a blank line (755 bytes).
MAIN_PAGE_TEXT = (
    "<strong>MediaWiki has been installed.</strong>\n\n"
    "Consult the [https://www.mediawiki.org/wiki/Special:MyLanguage/Help:Contents User's Guide] "
    "for information on using the wiki software.\n\n"
    "== Getting started ==\n"
    "* [https://www.mediawiki.org/wiki/Special:MyLanguage/Manual:Configuration_settings "
    "Configuration settings list]\n"
    "* [https://www.mediawiki.org/wiki/Special:MyLanguage/Manual:FAQ MediaWiki FAQ]\n"
    "* [https://lists.wikimedia.org/postorius/lists/mediawiki-announce.lists.wikimedia.org/ "
    "MediaWiki release mailing list]\n"
    "* [https://www.mediawiki.org/wiki/Special:MyLanguage/Localisation#Translation_resources "
    "Localise MediaWiki for your language]\n"
    "* [https://www.mediawiki.org/wiki/Special:MyLanguage/Manual:Combating_spam "
    "Learn how to combat spam on your wiki]"
)
_ANY_ACCOUNT = select(user_rows.c.id).where(user_rows.c.is_system.is_(False)).limit(1)


@dataclass(frozen=True)
class AdminAccount:
    """The administrator to create first, as the installer's form asks for it."""

    name: str
    password: str
    email: str = ""
    confirmed: bool = False


@dataclass(frozen=True)
class Installed:
    """What one run created (``None``/``False``: it was there already, or not asked for)."""

    admin: UserRecord | None
    installer_user: UserRecord | None
    main_page: bool


class Installer:
    def __init__(self, db: Database, users: UserService, pages: PageService, titles: TitleParser) -> None:
        self.db = db
        self.users = users
        self.pages = pages
        self.titles = titles

    def has_accounts(self) -> bool:
        """Whether anybody has an account (system users such as the installer's do not count)."""
        with self.db.read() as conn:
            return conn.execute(_ANY_ACCOUNT).first() is not None

    def install(self, admin: AdminAccount | None = None) -> Installed:
        """The administrator (if asked for and missing), then — once per store — the
        installer's user and the Main Page. Raises ValueError for an invalid admin name."""
        created_admin = None
        if admin is not None and self.users.get_by_name(admin.name) is None:
            created_admin = self.users.create(
                admin.name,
                admin.password,
                email=admin.email,
                confirmed=admin.confirmed,
                groups=ADMIN_GROUPS,
            )
        if self.users.get_by_name(INSTALLER_USER) is not None:
            return Installed(created_admin, None, False)
        installer = self.users.get_or_create_system_user(INSTALLER_USER)
        return Installed(created_admin, installer, self._write_main_page(installer))

    def _write_main_page(self, installer: UserRecord) -> bool:
        """The Main Page's first revision by the installer's user, with an empty summary, as
        1.39's Installer::createMainpage saves it; False when the page exists already."""
        title = self.titles.parse(MAIN_PAGE_TITLE)
        with self.db.write() as conn:
            if self.pages.get_page(conn, title) is not None:
                return False
            self.pages.save(
                conn,
                title=title,
                actor=self.users.actor_for(installer),
                text=MAIN_PAGE_TEXT,
                summary="",
                auto_summary=False,
                talk_notice=False,
            )
        return True


__all__ = ["ADMIN_GROUPS", "INSTALLER_USER", "MAIN_PAGE_TEXT", "AdminAccount", "Installed", "Installer"]
