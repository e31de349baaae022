"""The special pages, one module each; this file only lists them (like MediaWiki's
SpecialPageFactory list): a new page is a new module and one line here."""

from __future__ import annotations

from collections.abc import Iterable

from wikipost.web.special import SpecialPage


class SpecialPages:
    """Pages by name and alias; names are matched without regard to case, as MediaWiki does."""

    def __init__(self, pages: Iterable[SpecialPage]) -> None:
        self.pages = list(pages)
        self._by_key: dict[str, SpecialPage] = {}
        for page in self.pages:
            for name in (page.name, *page.aliases):
                self._by_key[name.lower()] = page

    def find(self, name: str) -> SpecialPage | None:
        return self._by_key.get(name.replace(" ", "_").lower())


def build_special_pages() -> SpecialPages:
    from wikipost.web.specials.confirmemail import SpecialConfirmEmail
    from wikipost.web.specials.emailuser import SpecialEmailUser
    from wikipost.web.specials.userlogin import SpecialUserLogin
    from wikipost.web.specials.userlogout import SpecialUserLogout

    pages: list[SpecialPage] = [
        SpecialUserLogin(),
        SpecialUserLogout(),
        SpecialEmailUser(),
        SpecialConfirmEmail(),
    ]
    # --- MassMessage and log pages ---
    from wikipost.web.specials.log import SpecialLog
    from wikipost.web.specials.massmessage import SpecialMassMessage
    from wikipost.web.specials.massmessagestatus import SpecialMassMessageStatus

    pages += [SpecialMassMessage(), SpecialMassMessageStatus(), SpecialLog()]
    # --- end of MassMessage and log pages ---
    # --- delivery-list pages ---
    from wikipost.web.specials.createmassmessagelist import SpecialCreateMassMessageList

    pages += [SpecialCreateMassMessageList()]
    # --- end of delivery-list pages ---
    # --- account and admin pages ---
    from wikipost.web.specials.block import SpecialBlock
    from wikipost.web.specials.botpasswords import SpecialBotPasswords
    from wikipost.web.specials.changeemail import SpecialChangeEmail
    from wikipost.web.specials.preferences import SpecialPreferences
    from wikipost.web.specials.unblock import SpecialUnblock

    pages += [
        SpecialPreferences(),
        SpecialChangeEmail(),
        SpecialBotPasswords(),
        SpecialBlock(),
        SpecialUnblock(),
    ]
    # --- end of account and admin pages ---
    # --- job runner page ---
    from wikipost.web.specials.runjobs import SpecialRunJobs

    pages += [SpecialRunJobs()]
    # --- end of job runner page ---
    return SpecialPages(pages)
