"""Page titles: parsing, normalisation and validity as MediaWiki 1.39's title codec does it
(pages.md §1). ``TitleParser.parse`` turns user text into a :class:`Title` or raises
:class:`InvalidTitle` with 1.39's reason."""

from __future__ import annotations

import html.entities
import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field

from wikipost.namespaces import MAIN, MEDIA, SPECIAL, TALK, USER, USER_TALK, Namespaces

INTERWIKI_PREFIXES = frozenset(
    """
acronym advogato arxiv c2find cache commons dictionary doi drumcorpswiki dwjwiki elibre
emacswiki foldoc foxwiki freebsdman gentoo-wiki google googlegroups hammondwiki hrwiki imdb
kmwiki linuxwiki lojban lqwiki meatball mediawikiwiki memoryalpha metawiki metawikimedia
mozillawiki mw oeis openwiki pmid pythoninfo rfc s23wiki seattlewireless senseislibrary
shoutwiki squeak tmbw tmnet theopedia twiki uncyclopedia unreal usemod wiki wikia wikibooks
wikidata wikif1 wikihow wikinfo wikimedia wikinews wikipedia wikiquote wikisource wikispecies
wikiversity wikivoyage wikt wiktionary""".split()
)

# Special pages a stock 1.39 knows (enough to tell "special" from "special + missing").
SPECIAL_PAGES = frozenset(
    """
Version RecentChanges Watchlist Contributions Userlogin Userlogout CreateAccount Preferences
Search Random AllPages PrefixIndex Categories Log ListUsers EmailUser MassMessage
SpecialPages Statistics Upload BlockList Block Unblock UserRights Export Import MovePage
Protect Undelete WhatLinksHere RecentChangesLinked NewPages Mypage Mytalk Mycontributions
Redirect Filepath ChangeContentModel EditTags Tags ApiSandbox ApiHelp BotPasswords
ChangeEmail ChangePassword ResetPassword Confirmemail Invalidateemail Diff PermanentLink
PageInfo Blankpage ExpandTemplates ComparePages ProtectedPages ProtectedTitles Shortpages
Longpages Uncategorizedpages Wantedpages Lonelypages Deadendpages ListRedirects
DoubleRedirects BrokenRedirects CreateMassMessageList EditMassMessageList Allmessages
""".split()
)

REASONS = {
    "title-invalid-empty": "The requested page title is empty or contains only the name of a namespace.",
    "title-invalid-characters": 'The requested page title contains invalid characters: "{}".',
    "title-invalid-talk-namespace": "The requested page title refers to a talk page that cannot exist.",
    "title-invalid-leading-colon": "The requested page title contains an invalid colon at the beginning.",
    "title-invalid-relative": (
        "Title has relative path. Relative page titles (./, ../) are invalid, because they will "
        "often be unreachable when handled by user's browser."
    ),
    "title-invalid-magic-tilde": (
        "The requested page title contains invalid magic tilde sequence (<nowiki>~~~</nowiki>)."
    ),
    "title-invalid-too-long": (
        "The requested page title is too long. It must be no longer than {} bytes in UTF-8 encoding."
    ),
    "title-invalid-utf8": "The requested page title contains an invalid UTF-8 sequence.",
}

_ENTITY = re.compile(r"&(?:#[xX]([0-9A-Fa-f]+)|#([0-9]+)|([A-Za-z0-9]+));")
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e]")
_SPACES = re.compile("[ _\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_PREFIX = re.compile(r"^(.+?)_*:_*(.*)$", re.S)
_ILLEGAL = re.compile(
    "[^ %!\"$&'()*,\\-./0-9:;=?@A-Z\\\\^_`a-z~+\u0080-\U0010ffff]"
    "|%[0-9A-Fa-f]{2}|&[A-Za-z0-9\u0080-\U0010ffff]+;"
)


class InvalidTitle(ValueError):  # noqa: N818 - the name MediaWiki uses
    def __init__(self, reason_code: str, text: str, detail: str = "") -> None:
        self.reason_code = reason_code
        self.text = text
        self.detail = detail
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        """The ``invalidreason`` text of action=query."""
        return REASONS[self.reason_code].format(self.detail)


@dataclass(frozen=True)
class Title:
    namespace: int
    dbkey: str
    ns_text: str = ""  # local namespace name ("" in main)
    fragment: str = field(default="", compare=False)
    interwiki: str = ""
    namespaces: Namespaces | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def text(self) -> str:
        return self.dbkey.replace("_", " ")

    @property
    def prefixed_dbkey(self) -> str:
        prefix = self.ns_text.replace(" ", "_") + ":" if self.ns_text else ""
        iw = f"{self.interwiki}:" if self.interwiki else ""
        return iw + prefix + self.dbkey

    @property
    def prefixed_text(self) -> str:
        return self.prefixed_dbkey.replace("_", " ")

    @property
    def is_talk(self) -> bool:
        return self.namespace > 0 and self.namespace % 2 == 1

    @property
    def is_external(self) -> bool:
        return bool(self.interwiki)

    @property
    def can_exist(self) -> bool:
        return self.namespace >= 0 and not self.interwiki

    def _in(self, ns: int) -> Title:
        name = self.namespaces.name(ns) if self.namespaces else ""
        return Title(ns, self.dbkey, name, "", "", self.namespaces)

    def talk_page(self) -> Title:
        return self if self.namespace < 0 else self._in(self.namespace | 1)

    def subject_page(self) -> Title:
        return self if self.namespace < 0 else self._in(self.namespace & ~1)

    def with_fragment(self, fragment: str) -> Title:
        return Title(self.namespace, self.dbkey, self.ns_text, fragment, self.interwiki, self.namespaces)

    def __str__(self) -> str:
        return self.prefixed_text


def decode_entities(text: str) -> str:
    """Sanitizer::decodeCharReferences: ``&amp;``, ``&#84;``, ``&#x54;``; unknown names stay."""

    def repl(m: re.Match[str]) -> str:
        hexa, dec, name = m.groups()
        try:
            if hexa is not None:
                return chr(int(hexa, 16))
            if dec is not None:
                return chr(int(dec))
        except (ValueError, OverflowError):
            return m.group(0)
        value = html.entities.html5.get(f"{name};")
        return value if value is not None else m.group(0)

    return _ENTITY.sub(repl, text) if "&" in text else text


def sanitize_ip(text: str) -> str | None:
    """IPUtils::sanitizeIP for a user name that is an IP address, else None."""
    try:
        addr = ipaddress.ip_address(text.replace("_", " ").strip())
    except ValueError:
        if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", text):
            parts = [str(int(p)) for p in text.split(".")]
            if all(int(p) < 256 for p in parts):
                return ".".join(parts)
        return None
    if addr.version == 4:
        return str(addr)
    return ":".join(f"{int(h, 16):X}" for h in addr.exploded.split(":"))


class TitleParser:
    def __init__(self, namespaces: Namespaces) -> None:
        self.namespaces = namespaces

    def make(self, namespace: int, dbkey: str, fragment: str = "") -> Title:
        """A title from trusted parts (database rows)."""
        return Title(namespace, dbkey, self.namespaces.name(namespace), fragment, "", self.namespaces)

    def parse(self, text: str, default_namespace: int = 0) -> Title:
        original = text
        text = unicodedata.normalize("NFC", decode_entities(text))
        dbkey = _BIDI.sub("", text.replace(" ", "_"))
        dbkey = _SPACES.sub("_", dbkey).strip("_")
        if "\ufffd" in dbkey:
            raise InvalidTitle("title-invalid-utf8", original)
        if dbkey == "":
            raise InvalidTitle("title-invalid-empty", original)
        namespace = default_namespace
        interwiki = ""
        if dbkey.startswith(":"):
            namespace = MAIN
            dbkey = dbkey[1:].lstrip("_")
        m = _PREFIX.match(dbkey)
        if m:
            prefix, rest = m.group(1), m.group(2)
            ns = self.namespaces.find(prefix)
            if ns is not None:
                dbkey, namespace = rest, ns
                if ns == TALK:
                    inner = _PREFIX.match(rest)
                    if inner and (
                        self.namespaces.find(inner.group(1)) is not None
                        or inner.group(1).lower() in INTERWIKI_PREFIXES
                    ):
                        raise InvalidTitle("title-invalid-talk-namespace", original)
            elif prefix.lower() in INTERWIKI_PREFIXES:
                interwiki = prefix.lower()
                dbkey, namespace = rest, MAIN
        fragment = ""
        if "#" in dbkey:
            dbkey, fragment = dbkey.split("#", 1)
            dbkey = dbkey.rstrip("_")
            fragment = fragment.replace("_", " ")
        bad = _ILLEGAL.search(dbkey)
        if bad:
            raise InvalidTitle("title-invalid-characters", original, bad.group(0))
        if "." in dbkey and (
            dbkey in (".", "..")
            or dbkey.startswith(("./", "../"))
            or "/./" in dbkey
            or "/../" in dbkey
            or dbkey.endswith(("/.", "/.."))
        ):
            raise InvalidTitle("title-invalid-relative", original)
        if "~~~" in dbkey:
            raise InvalidTitle("title-invalid-magic-tilde", original)
        max_length = 512 if namespace == SPECIAL else 255
        if not interwiki and len(dbkey.encode()) > max_length:
            raise InvalidTitle("title-invalid-too-long", original, str(max_length))
        if not interwiki and dbkey:
            dbkey = dbkey[0].upper() + dbkey[1:]
        if dbkey == "" and not interwiki:
            raise InvalidTitle("title-invalid-empty", original)
        if namespace in (USER, USER_TALK):
            ip = sanitize_ip(dbkey)
            if ip is not None:
                dbkey = ip
        if dbkey.startswith(":"):
            raise InvalidTitle("title-invalid-leading-colon", original)
        ns_text = "" if interwiki else self.namespaces.name(namespace)
        return Title(namespace, dbkey, ns_text, fragment, interwiki, self.namespaces)

    def try_parse(self, text: str, default_namespace: int = 0) -> Title | None:
        try:
            return self.parse(text, default_namespace)
        except InvalidTitle:
            return None

    @staticmethod
    def special_exists(title: Title) -> bool:
        if title.namespace == MEDIA:
            return False
        name = title.dbkey.split("/", 1)[0]
        return any(name.lower() == p.lower() for p in SPECIAL_PAGES)


def default_content_model(title: Title) -> str:
    """ContentHandler default model by title (pages.md §2.11)."""
    if title.namespace in (USER, 8) and "/" in title.dbkey or title.namespace == 8:
        if title.dbkey.endswith(".js"):
            return "javascript"
        if title.dbkey.endswith(".css"):
            return "css"
        if title.dbkey.endswith(".json"):
            return "json"
    return "wikitext"
