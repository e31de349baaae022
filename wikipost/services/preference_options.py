"""1.39's user options as data: every option's default and the kind of field that validates
it (``wikipost/services/preferences.py`` reads and checks them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# --- 1.39's option table ---------------------------------------------------------------------
#
# One entry per option, as data: its 1.39 default ($wgDefaultUserOptions, then what
# DefaultOptionsLookup adds: language, variants, searchNs<n>, skin) and the kind of field
# DefaultPreferencesFactory registers for it, which is what action=options validates against.
# An option whose field is missing on the capture wiki's configuration (enotif*, prefershttps …)
# is UNREGISTERED: listed with its default, refused by action=options ("not a valid
# preference."), exactly as 1.39's getOptionKinds calls it "unused".

TOGGLE = "toggle"  # HTMLCheckField: 1.39 validates nothing, any value is stored as given
CHOICE = "choice"  # select or radio: one of ``values``
INTEGER = "integer"  # HTMLIntField: an integer within [minimum, maximum]
NUMBER = "number"  # HTMLFloatField: a number within [minimum, maximum]
TEXT = "text"  # free text (text fields and the hidden ``api`` preferences)
SIGNATURE = "signature"  # ``nickname``: free text of at most MAX_SIGNATURE_CHARS characters
TIMEZONE = "timezone"  # HTMLTimezoneField: a UserTimeCorrection string
LANGUAGE = "language"  # the interface language: a language code
UNREGISTERED = "unregistered"  # a default without a preference field

MAX_SIGNATURE_CHARS = 255  # $wgMaxSigChars
RC_MAX_DAYS = 90  # ceil($wgRCMaxAge / 86400), the bound of rcdays and watchlistdays
# LanguageConverter::$languagesWithVariants in 1.39; the content language (en) has no
# variants with $wgUsePigLatinVariant off, so ``variant`` and ``variant-en`` are no preference.
LANGUAGES_WITH_VARIANTS = ("ban", "en", "crh", "gan", "iu", "kk", "ku", "shi", "sr", "tg", "tly", "uz", "zh")
# NamespaceInfo::getValidNamespaces() of the capture wiki (0–15); only NS_MAIN is searched.
SEARCH_NAMESPACES = tuple(range(16))
DATE_FORMATS = ("default", "mdy", "dmy", "ymd", "ISO 8601")  # en's $datePreferences
SKINS = ("vector", "vector-2022")  # the installed skins users may choose
IMAGE_LIMITS = tuple(str(i) for i in range(6))  # indices into $wgImageLimits
THUMB_LIMITS = tuple(str(i) for i in range(6))  # indices into $wgThumbLimits


@dataclass(frozen=True)
class OptionSpec:
    """One preference: its 1.39 default (as the API prints it; None when it has none and is
    absent until set) and how action=options validates a new value."""

    name: str
    default: str | int | float | bool | None
    kind: str
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    # The field exists only for users with one of these rights (DefaultPreferencesFactory).
    rights: tuple[str, ...] = ()


def _spec(name: str, default: str | int | float | bool | None, kind: str = TOGGLE, **more: Any) -> OptionSpec:
    return OptionSpec(name, default, kind, **more)


_PATROL = ("patrol", "patrolmarks")  # User::useRCPatrol / useNPPatrol
_EMAIL = ("sendemail",)

# $wgDefaultUserOptions of 1.39, in its order, then DefaultOptionsLookup's additions.
OPTION_TABLE: tuple[OptionSpec, ...] = (
    _spec("ccmeonemails", 0, rights=_EMAIL),
    _spec("date", "default", CHOICE, values=DATE_FORMATS),
    _spec("diffonly", 0),
    _spec("disablemail", 0, rights=_EMAIL),
    _spec("editfont", "monospace", CHOICE, values=("monospace", "sans-serif", "serif")),
    _spec("editondblclick", 0),
    _spec("editsectiononrightclick", 0),
    _spec("email-allow-new-users", 1, rights=_EMAIL),
    _spec("enotifminoredits", 0, UNREGISTERED),
    _spec("enotifrevealaddr", 0, UNREGISTERED),
    _spec("enotifusertalkpages", 1, UNREGISTERED),
    _spec("enotifwatchlistpages", 1, UNREGISTERED),
    _spec("extendwatchlist", 1),
    _spec("fancysig", 0),
    _spec("forceeditsummary", 0),
    _spec("gender", "unknown", CHOICE, values=("unknown", "female", "male")),
    _spec("hidecategorization", 1, UNREGISTERED),
    _spec("hideminor", 0),
    _spec("hidepatrolled", 0, rights=_PATROL),
    _spec("imagesize", 2, CHOICE, values=IMAGE_LIMITS),
    _spec("minordefault", 0, rights=("minoredit",)),
    _spec("newpageshidepatrolled", 0, rights=_PATROL),
    _spec("nickname", "", SIGNATURE),
    _spec("norollbackdiff", 0),
    _spec("prefershttps", 1, UNREGISTERED),
    _spec("previewonfirst", 0),
    _spec("previewontop", 1),
    _spec("rcdays", 7, NUMBER, minimum=1 / 24, maximum=RC_MAX_DAYS),
    _spec("rcenhancedfilters-disable", 0),
    _spec("rclimit", 50, INTEGER, minimum=1, maximum=1000),
    _spec("requireemail", 0, UNREGISTERED),
    _spec("search-match-redirect", True, TEXT),
    _spec("search-special-page", "Search", TEXT),
    _spec("searchlimit", 20, INTEGER, minimum=1, maximum=500),
    _spec("showhiddencats", 0),
    _spec("shownumberswatching", 1, UNREGISTERED),
    _spec("showrollbackconfirmation", 0, rights=("rollback",)),
    _spec("skin", SKINS[0], CHOICE, values=SKINS),
    _spec("thumbsize", 5, CHOICE, values=THUMB_LIMITS),
    _spec("underline", 2, CHOICE, values=("0", "1", "2")),
    _spec("useeditwarning", 1),
    _spec("uselivepreview", 0),
    _spec("usenewrc", 1),
    _spec("watchcreations", 1, rights=("createpage", "createtalk")),
    _spec("watchdefault", 1, rights=("edit",)),
    _spec("watchdeletion", 0, rights=("delete",)),
    _spec("watchlistdays", 7.0, NUMBER, minimum=1 / 24, maximum=RC_MAX_DAYS),
    _spec("watchlisthideanons", 0),
    _spec("watchlisthidebots", 0),
    _spec("watchlisthidecategorization", 1, UNREGISTERED),
    _spec("watchlisthideliu", 0),
    _spec("watchlisthideminor", 0),
    _spec("watchlisthideown", 0),
    _spec("watchlisthidepatrolled", 0, rights=_PATROL),
    # Only offered while the structured-filters watchlist is off (wlenhancedfilters-disable).
    _spec("watchlistreloadautomatically", 0, UNREGISTERED),
    _spec("watchlistunwatchlinks", 0),
    _spec("watchmoves", 0, rights=("move",)),
    _spec("watchrollback", 0, rights=("rollback",)),
    _spec("watchuploads", 1, rights=("upload",)),
    _spec("wlenhancedfilters-disable", 0),
    _spec("wllimit", 250, INTEGER, minimum=1, maximum=1000),
    # DefaultOptionsLookup::getDefaultOptions
    _spec("language", "en", LANGUAGE),
    _spec("variant", "en", UNREGISTERED),
    *(
        _spec(f"variant-{code}", code, UNREGISTERED if code == "en" else TEXT)
        for code in LANGUAGES_WITH_VARIANTS
    ),
    *(_spec(f"searchNs{ns}", 1 if ns == 0 else 0, TEXT) for ns in SEARCH_NAMESPACES),
    # Preferences without a default: absent from meta=userinfo until set.
    _spec("email-blacklist", None, TEXT, rights=_EMAIL),
    _spec("timecorrection", None, TIMEZONE),
    _spec("watchlisttoken", None, TEXT),
    *(
        _spec(f"rcfilters-{name}", None, TEXT)
        for name in (
            "rc-collapsed",
            "wl-collapsed",
            "saved-queries",
            "wl-saved-queries",
            "limit",
            "saved-queries-versionbackup",
            "wl-saved-queries-versionbackup",
        )
    ),
)
OPTIONS_BY_NAME: dict[str, OptionSpec] = {spec.name: spec for spec in OPTION_TABLE}
# Fields of Special:Preferences that are no user option (getSaveBlacklist): "special".
NOT_SETTABLE = frozenset({"realname", "emailaddress"})
EMAIL_OPTIONS = frozenset({"ccmeonemails", "disablemail", "email-allow-new-users", "email-blacklist"})


def stored_form(value: str | int | float | bool) -> str:
    """A default as the store (and a submitted value) spells it: PHP's string conversion."""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Every preference this project knows, as stored strings (``email-blacklist`` is "" here: the
# services read it as "nobody muted").
DEFAULT_OPTIONS: dict[str, str] = {
    spec.name: stored_form(spec.default if spec.default is not None else "")
    for spec in OPTION_TABLE
    if spec.default is not None or spec.name == "email-blacklist"
}
