"""Password hashes, user-name rules, grants and bot-password recognition."""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy import update
from starlette.testclient import TestClient

from tests.accounts.helpers import login
from wikipost.db.schema.accounts import users as users_table
from wikipost.services.botpasswords import canonicalize_login, generate_secret
from wikipost.services.grants import rights_for_grants
from wikipost.services.login import format_duration
from wikipost.services.passwords import hash_password, verify_password
from wikipost.services.usernames import creatable_name, normalize_name
from wikipost.wiki import Wiki


def mediawiki_pbkdf2(password: str, salt: bytes, iterations: int = 30000) -> str:
    """A hash as MediaWiki's Pbkdf2Password stores it ($wgPasswordConfig['pbkdf2'] defaults)."""
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return (
        f":pbkdf2:sha512:{iterations}:64:{base64.b64encode(salt).decode()}:"
        f"{base64.b64encode(digest).decode()}"
    )


def test_mediawiki_pbkdf2_hashes_verify() -> None:
    stored = mediawiki_pbkdf2("correct horse", b"\x01\x02saltsalt\xff\x00")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horsf")
    assert not verify_password(":pbkdf2:sha512:x:64:!!:!!", "correct horse")
    argon = hash_password("s3cret")
    assert argon.startswith("$argon2id$") and verify_password(argon, "s3cret")
    assert not verify_password(argon, "S3cret") and not verify_password(None, "")


def test_imported_pbkdf2_password_logs_in_and_is_rehashed(wiki: Wiki, client: TestClient) -> None:
    user = wiki.users.create("Imported", None)
    with wiki.db.write() as conn:
        conn.execute(
            update(users_table)
            .where(users_table.c.id == user.id)
            .values(password_hash=mediawiki_pbkdf2("old-wiki-pass", b"0123456789abcdef"))
        )
    assert login(client, "Imported", "old-wiki-pass")["result"] == "Success"
    assert (wiki.users.password_hash(user.id) or "").startswith("$argon2id$")


def test_user_name_rules() -> None:
    assert normalize_name("alice_smith ") == "Alice smith"
    assert normalize_name("User:bob") == "Bob"
    assert normalize_name("  many   spaces__here") == "Many spaces here"
    for bad in ("", "Bad<name>", "127.0.0.1", "::1", "a/b", "Talk:Foo", "x#y", "A" * 256, "a\u00a0b"):
        assert normalize_name(bad) is None, bad
    assert normalize_name("Alice@anchor") == "Alice@anchor"  # valid name, not creatable
    assert creatable_name("Alice@anchor") is None and creatable_name("a=b") is None
    assert creatable_name("éva") == "Éva"


def test_grants_and_bot_password_recognition() -> None:
    assert {"read", "writeapi", "autoconfirmed"} <= rights_for_grants([])
    assert "massmessage" in rights_for_grants(["highvolume"])
    assert "sendemail" not in rights_for_grants(["basic"])
    secret = generate_secret()
    assert len(secret) == 32 and canonicalize_login("A@b", secret) == ("A", "b", secret)
    assert canonicalize_login("A", f"b@{secret}") == ("A", "b", secret)
    assert canonicalize_login("A@b", "short") is None
    assert canonicalize_login("A@b", "z" * 32) is None


def test_format_duration() -> None:
    assert format_duration(300) == "5 minutes"
    assert format_duration(172800) == "2 days"
    assert format_duration(3661) == "1 hour, 1 minute and 1 second"
