"""Test helpers for the emailuser tests: the transcripts' users and logged-in HTTP clients.

``login_as`` stores a server-side session row for a user and sets its cookie on the client —
a stand-in until the accounts issue's action=login lands (then tests switch to real logins).
A bot-password session is modelled by ``bot_app`` plus the grants' rights limiting the actor
(the accounts service does that for real sessions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import insert
from starlette.testclient import TestClient

from wikipost.db.schema.accounts import bot_passwords
from wikipost.db.schema.core import sessions
from wikipost.services.passwords import hash_password
from wikipost.services.sessions import new_session_id
from wikipost.services.users import UserRecord
from wikipost.wiki import Wiki

API = "/w/api.php"


@dataclass
class AnchorUsers:
    admin: UserRecord
    alice: UserRecord
    bob: UserRecord
    carol: UserRecord
    dave: UserRecord
    erin: UserRecord
    frank: UserRecord
    gina: UserRecord


def setup_users(wiki: Wiki, *, passwords: bool = False) -> AnchorUsers:
    """The users of tests/fixtures/conformance/README.md, in the same states.

    ``passwords``: store their real passwords (argon2 is slow; only logins need them).
    """
    users = wiki.users

    def pw(password: str) -> str | None:
        return password if passwords else None

    admin = users.create(
        "Admin",
        pw("admin-anchor-pass"),
        email="admin@anchor.test",
        confirmed=True,
        groups=("sysop", "bureaucrat"),
    )
    alice = users.create("Alice", pw("alice-anchor-pass"), email="alice@anchor.test", confirmed=True)
    bob = users.create("Bob", pw("bob-anchor-pass"), email="bob@anchor.test", confirmed=True)
    carol = users.create("Carol", pw("carol-anchor-pass"))
    dave = users.create("Dave", pw("dave-anchor-pass"), email="dave@anchor.test")
    erin = users.create("Erin", pw("erin-anchor-pass"), email="erin@anchor.test", confirmed=True)
    users.set_option(erin.id, "disablemail", "1")
    frank = users.create("Frank", pw("frank-anchor-pass"), email="frank@anchor.test", confirmed=True)
    users.block(frank.id, by=admin, block_email=True)
    gina = users.create("Gina", pw("gina-anchor-pass"), email="gina@anchor.test", confirmed=True)
    users.set_option(gina.id, "email-blacklist", str(alice.id))
    with wiki.db.write() as conn:
        for user, app, password, grants in BOT_PASSWORDS_OF(alice, bob):
            conn.execute(
                insert(bot_passwords).values(
                    user_id=user.id,
                    app_id=app,
                    password_hash=hash_password(password) if passwords else "x",
                    grants=json.dumps(grants),
                    created=int(wiki.clock.now()),
                )
            )
    return AnchorUsers(admin, alice, bob, carol, dave, erin, frank, gina)


def BOT_PASSWORDS_OF(
    alice: UserRecord,
    bob: UserRecord,  # noqa: N802 - a table
) -> list[tuple[UserRecord, str, str, list[str]]]:
    return [
        (
            alice,
            "anchor",
            "alicebotpass0123456789abcdefghij",
            ["basic", "highvolume", "sendemail", "editpage"],
        ),
        (bob, "nomail", "bobbotpass0123456789abcdefghijkl", ["basic"]),
    ]


def login_as(wiki: Wiki, client: TestClient, user: UserRecord, bot_app: str | None = None) -> str:
    """Give ``client`` a session logged in as ``user``; returns the session id."""
    sid = new_session_id()
    expires = int(wiki.clock.now()) + wiki.settings.users.session_expiry
    with wiki.db.write() as conn:
        conn.execute(
            insert(sessions).values(
                id=sid, user_id=user.id, bot_app=bot_app, data=json.dumps({}), expires=expires
            )
        )
    name = wiki.sessions.bp_cookie_name if bot_app else wiki.sessions.cookie_name
    client.cookies.clear()
    client.cookies.set(name, sid)
    return sid


def csrf(client: TestClient) -> str:
    r = client.get(API, params={"action": "query", "meta": "tokens", "format": "json"})
    return str(r.json()["query"]["tokens"]["csrftoken"])


def emailuser(client: TestClient, token: str | None = None, **fields: str) -> dict:
    data = {"action": "emailuser", "format": "json", **fields}
    if token is not None:
        data["token"] = token
    r = client.post(API, data=data)
    assert r.status_code == 200
    return dict(r.json())
