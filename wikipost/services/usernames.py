"""MediaWiki user-name rules: normalisation and validity (User::getCanonicalName, isValidUserName)."""

from __future__ import annotations

import ipaddress
import re

# Characters never allowed in titles, plus $wgInvalidUsernameCharacters ("@:>=") and "/".
_INVALID = re.compile(r"[#<>\[\]|{}/@:=\x00-\x1f\x7f\ufffd]")
_SPACES = re.compile(r"[ _\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip())
        return True
    except ValueError:
        return False


def canonical_form(raw: str) -> str:
    """Spaces for underscores, trimmed, runs collapsed, first letter upper-cased."""
    name = _SPACES.sub(" ", raw).strip()
    if name[:5].lower() == "user:":
        name = name[5:].strip()
    return name[:1].upper() + name[1:] if name else name


def normalize_name(raw: str) -> str | None:
    """The canonical user name, or None when ``raw`` is not a valid user name."""
    name = canonical_form(raw)
    if not name or len(name.encode()) > 255 or _INVALID.search(name) or is_ip(name):
        return None
    return name
