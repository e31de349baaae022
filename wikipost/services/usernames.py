"""MediaWiki user-name rules (UserNameUtils::getCanonical / isValid / isCreatable, 1.39).

* canonical form: underscores and other spaces become one space, trimmed, a leading ``User:``
  dropped, the first letter upper-cased;
* valid (may name an existing account): not empty, not an IP address, no ``/``, at most 255
  bytes, only characters legal in titles, not a title in another namespace, none of the
  troublemaker characters (C1 controls, NBSP, U+2000-U+200F, U+2028-U+202F, U+3000, private use);
* creatable (may name a new account): valid and none of $wgInvalidUsernameCharacters ``@:>=``.
"""

from __future__ import annotations

import ipaddress
import re

_TITLE_ILLEGAL = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f\ufffd]|%[0-9A-Fa-f]{2}|&[A-Za-z0-9\x80-\uffff]+;|~{3}")
_TROUBLEMAKERS = re.compile("[\u0080-\u009f\u00a0\u2000-\u200f\u2028-\u202f\u3000\ue000-\uf8ff]")
_INVALID_FOR_NEW = re.compile(r"[@:>=]")
_SPACES = re.compile(r"[ _\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
MAX_NAME_BYTES = 255

# Namespace prefixes that would turn a name into a title outside the User namespace.
_NAMESPACE_PREFIXES = frozenset(
    {
        "media",
        "special",
        "talk",
        "user talk",
        "project",
        "project talk",
        "file",
        "file talk",
        "image",
        "image talk",
        "mediawiki",
        "mediawiki talk",
        "template",
        "template talk",
        "help",
        "help talk",
        "category",
        "category talk",
        "user",
    }
)


_IP_CHARS = frozenset("0123456789abcdefABCDEF.: \t\n\r\x0b\x0c")


def is_ip(name: str) -> bool:
    if "%" not in name and not _IP_CHARS.issuperset(name):  # most names: no address there
        return False
    try:
        ipaddress.ip_address(name.strip())
        return True
    except ValueError:
        return False


def canonical_form(raw: str) -> str:
    """Spaces for underscores, trimmed, runs collapsed, ``User:`` dropped, first letter upper."""
    name = _SPACES.sub(" ", raw).strip()
    if name[:5].lower() == "user:":
        name = _SPACES.sub(" ", name[5:]).strip()
    return name[:1].upper() + name[1:] if name else name


def _is_valid(name: str) -> bool:
    if not name or is_ip(name) or "/" in name or len(name.encode()) > MAX_NAME_BYTES:
        return False
    if name.startswith(":") or _TITLE_ILLEGAL.search(name) or _TROUBLEMAKERS.search(name):
        return False
    if ":" in name and name.split(":", 1)[0].strip().lower() in _NAMESPACE_PREFIXES:
        return False
    return name not in (".", "..") and not name.startswith(("./", "../"))


def normalize_name(raw: str) -> str | None:
    """The canonical user name, or None when ``raw`` is not a valid user name."""
    name = canonical_form(raw)
    return name if _is_valid(name) else None


def creatable_name(raw: str) -> str | None:
    """The canonical name when a new account may have it, else None."""
    name = normalize_name(raw)
    if name is None or _INVALID_FOR_NEW.search(name):
        return None
    return name
