"""Reading the 1.39 transcripts' emailuser records, and comparing our answers and mails to them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "conformance"
TRANSCRIPT = FIXTURES / "mediawiki-1.39.transcript.jsonl"
MAILS = FIXTURES / "mediawiki-1.39.mail.jsonl"

# DECISIONS.md D1: 1.39's (code, info) → Wikipost's.
D1 = {
    ("cantsend", "No send address"): (
        "cantsend",
        "You are not logged in, you do not have a confirmed email address, or you are "
        "not allowed to send email to other users, so you cannot send email.",
    ),
    ("badaccess", "Permission error"): (
        "cantsend",
        "You are not logged in, you do not have a confirmed email address, or you are "
        "not allowed to send email to other users, so you cannot send email.",
    ),
    ("blockedemailuser", "\u29fcblockedemailuser\u29fd"): (
        "blockedfrommail",
        "You have been blocked from sending email.",
    ),
    ("usermaildisabled", "User email disabled"): ("usermaildisabled", "User email has been disabled."),
}
_NOEMAIL = re.compile(r'^There is no email address recorded for user ".*"\.$')


def records(prefix: str = "emailuser.") -> list[dict[str, Any]]:
    out = []
    with TRANSCRIPT.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if str(record.get("name", "")).startswith(prefix):
                out.append(record)
    return out


def mails_by_seq() -> dict[int, dict[str, Any]]:
    with MAILS.open(encoding="utf-8") as f:
        return {m["mail_seq"]: m for m in map(json.loads, f)}


def apply_d1(body: Any) -> Any:
    """The answer Wikipost gives where DECISIONS.md D1 changes 1.39's code or text."""
    if not isinstance(body, dict) or "error" not in body:
        return body
    error = dict(body["error"])
    key = (error.get("code"), error.get("info"))
    if key in D1:
        error["code"], error["info"] = D1[key]
    elif error.get("code") == "noemail" and _NOEMAIL.match(str(error.get("info"))):
        error["info"] = "This user has not specified a valid email address."
    return {**body, "error": error}


def expected_error_header(body: Any) -> str | None:
    if isinstance(body, dict) and "error" in body:
        return str(body["error"]["code"])
    return None


_VOLATILE = re.compile(r"(?m)^(Date|Message-ID): [^\r\n]*")
DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")
MESSAGE_ID = re.compile(r"^<anchorwiki\.[0-9a-f]{14}\.\d{8}@127\.0\.0\.1>$")


def mask(raw: bytes | str) -> str:
    """A raw mail with the values that naturally differ (Date, Message-ID) blanked."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return _VOLATILE.sub(lambda m: m.group(1) + ": *", text)


def header(raw: bytes, name: str) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    for line in head.split("\r\n"):
        key, _, value = line.partition(": ")
        if key == name:
            return value
    raise KeyError(name)


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    return [line.split(":", 1)[0] for line in head.split("\r\n") if not line.startswith(" ")]
