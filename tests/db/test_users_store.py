"""Users, groups, preferences and blocks through wiki.users, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from wikipost.services.passwords import verify_password
from wikipost.services.users import DEFAULT_OPTIONS
from wikipost.wiki import Wiki


def test_create_and_look_up(any_wiki: Wiki) -> None:
    users = any_wiki.users
    alice = users.create(
        "alice_smith",
        "secret-pw",
        email="alice@anchor.test",
        confirmed=True,
        groups=["sysop", "bot", "sysop"],
    )
    assert alice.name == "Alice smith"
    assert alice.groups == ("bot", "sysop")
    assert alice.email_confirmed
    assert users.get_by_name("Alice_smith") == alice
    assert users.get_by_name("alice smith") == alice
    assert users.get_by_id(alice.id) == alice
    assert users.get_by_name("Nobody") is None
    assert users.get_by_id(alice.id + 1000) is None
    stored = users.password_hash(alice.id)
    assert stored is not None and stored.startswith("$argon2")
    assert verify_password(stored, "secret-pw")
    assert not verify_password(stored, "wrong")


def test_names_are_unique(any_wiki: Wiki) -> None:
    any_wiki.users.create("Bob", "pw")
    with pytest.raises(IntegrityError):
        any_wiki.users.create("bob", "pw")


def test_unconfirmed_email_and_later_confirmation(any_wiki: Wiki) -> None:
    users = any_wiki.users
    carol = users.create("Carol", "pw", email="carol@anchor.test")
    assert not carol.email_confirmed
    assert not users.can_receive_email(carol)
    users.confirm_email(carol.id)
    carol = users.get_by_id(carol.id)  # type: ignore[assignment]
    assert carol.email_confirmed and users.can_receive_email(carol)
    users.set_email(carol.id, "new@anchor.test")
    carol = users.get_by_id(carol.id)  # type: ignore[assignment]
    assert carol.email == "new@anchor.test" and not carol.email_confirmed


def test_options_default_set_and_reset(any_wiki: Wiki) -> None:
    users = any_wiki.users
    dave = users.create("Dave", "pw", email="dave@anchor.test", confirmed=True)
    assert users.get_options(dave.id) == DEFAULT_OPTIONS
    users.set_option(dave.id, "disablemail", "1")
    users.set_option(dave.id, "email-blacklist", "12\n34")
    options = users.get_options(dave.id)
    assert options["disablemail"] == "1" and options["email-blacklist"] == "12\n34"
    assert not users.can_receive_email(dave)
    users.set_option(dave.id, "disablemail", None)
    assert users.get_options(dave.id)["disablemail"] == "0"
    assert users.can_receive_email(dave)


def test_groups_are_added_once(any_wiki: Wiki) -> None:
    users = any_wiki.users
    erin = users.create("Erin", "pw")
    users.add_groups(erin.id, ["bot", "bot"])
    users.add_groups(erin.id, ["bot", "sysop"])
    assert users.get_by_id(erin.id).groups == ("bot", "sysop")  # type: ignore[union-attr]
    actor = users.actor_for(users.get_by_id(erin.id))  # type: ignore[arg-type]
    assert "massmessage" in actor.rights and "bot" in actor.rights


def test_blocks_replace_expire_and_lift(any_wiki: Wiki) -> None:
    users = any_wiki.users
    admin = users.create("Admin", "pw", groups=["sysop"])
    frank = users.create("Frank", "pw")
    assert users.get_block(frank.id) is None
    first = users.block(frank.id, by=admin, reason="spam")
    assert first.sitewide and not first.block_email and first.expiry is None
    assert first.by_name == "Admin"
    now = int(any_wiki.clock.now())
    second = users.block(frank.id, by=admin, reason="email abuse", block_email=True, expiry=now + 60)
    assert users.get_block(frank.id) == second
    assert second.block_email and second.reason == "email abuse"
    any_wiki.clock.advance(61)
    assert users.get_block(frank.id) is None
    users.block(frank.id)
    assert users.unblock(frank.id) is True
    assert users.unblock(frank.id) is False
    assert users.get_block(frank.id) is None


def test_system_user_is_created_once(any_wiki: Wiki) -> None:
    users = any_wiki.users
    first = users.get_or_create_system_user("MediaWiki message delivery", groups=["bot"])
    again = users.get_or_create_system_user("MediaWiki message delivery")
    assert first == again and first.is_system
    assert not users.can_receive_email(first)


def test_editcount_increments_inside_a_write(any_wiki: Wiki) -> None:
    users = any_wiki.users
    gina = users.create("Gina", "pw")
    with any_wiki.db.write() as conn:
        users.increment_editcount(conn, gina.id)
        users.increment_editcount(conn, gina.id, 2)
    assert users.get_by_id(gina.id).editcount == 3  # type: ignore[union-attr]


def test_failed_write_rolls_back(any_wiki: Wiki) -> None:
    users = any_wiki.users
    hal = users.create("Hal", "pw")
    with pytest.raises(RuntimeError), any_wiki.db.write() as conn:
        users.increment_editcount(conn, hal.id)
        raise RuntimeError("abort")
    assert users.get_by_id(hal.id).editcount == 0  # type: ignore[union-attr]
