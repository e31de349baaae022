"""Password hashing: argon2id for everything we store; MediaWiki ``:pbkdf2:`` hashes verify too."""

from __future__ import annotations

import base64
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): every login verifies one
# hash, so the library default (64 MiB, 3 passes) would cost several times more CPU per login.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    if stored.startswith(":pbkdf2:"):
        return _verify_mediawiki_pbkdf2(stored, password)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _verify_mediawiki_pbkdf2(stored: str, password: str) -> bool:
    # :pbkdf2:<algo>:<iterations>:<length>:<base64 salt>:<base64 hash>
    parts = stored.split(":")
    if len(parts) != 7:
        return False
    _, _, algo, iterations, length, salt_b64, hash_b64 = parts
    try:
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(hash_b64)
        derived = hashlib.pbkdf2_hmac(algo, password.encode(), salt, int(iterations), int(length))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, expected)


def needs_rehash(stored: str) -> bool:
    """True for a hash we should replace after the next successful login (pbkdf2, old argon2)."""
    if stored.startswith(":"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True
