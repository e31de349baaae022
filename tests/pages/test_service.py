"""The page service interface MassMessage codes against (save, redirects, categories, logs)."""

from __future__ import annotations

import pytest

from wikipost.services.titles import InvalidTitle
from wikipost.wiki import Wiki


def actor_for(wiki: Wiki, name: str, groups: tuple[str, ...] = ()):  # noqa: ANN201
    user = wiki.users.get_by_name(name) or wiki.users.create(name, "password-123456", groups=groups)
    return wiki.users.actor_for(user)


def test_titles_parse_and_pairs(wiki: Wiki) -> None:
    t = wiki.titles.parse("user_talk:bob/x")
    assert (t.namespace, t.dbkey, t.prefixed_text) == (3, "Bob/x", "User talk:Bob/x")
    assert t.is_talk and t.subject_page().prefixed_text == "User:Bob/x"
    assert wiki.titles.parse("Foo").talk_page().prefixed_dbkey == "Talk:Foo"
    assert wiki.titles.parse("project:X").prefixed_text == "AnchorWiki:X"
    with pytest.raises(InvalidTitle) as err:
        wiki.titles.parse("Bad<title>")
    assert err.value.reason_code == "title-invalid-characters"


def test_save_creates_then_appends_section(wiki: Wiki) -> None:
    alice = actor_for(wiki, "Alice")
    title = wiki.titles.parse("User talk:Bob")
    with wiki.db.write() as conn:
        first = wiki.pages.save(conn, title=title, actor=alice, text="Existing.\n", summary="seed")
    assert first.new and first.old_rev_id == 0 and not first.nochange
    with wiki.db.write() as conn:
        second = wiki.pages.save(
            conn,
            title=title,
            actor=alice,
            append_section=("Hello", "Body ~~~"),
            summary="",
            tags=["massmessage-delivery"],
            bot=True,
        )
    assert not second.new and second.old_rev_id == first.rev_id
    with wiki.db.read() as conn:
        page = wiki.pages.get_page(conn, title)
        assert page is not None and page.latest_rev_id == second.rev_id
        text = wiki.pages.get_text(conn, page)
        assert text == ("Existing.\n\n== Hello ==\n\nBody [[User:Alice|Alice]] ([[User talk:Alice|talk]])")
        assert wiki.pages.recent_revision_texts(conn, page.id, 5)[0] == text
        rev = wiki.pages.get_revision(conn, second.rev_id)
        assert rev is not None and rev.comment == "/* Hello */ new section"
        assert rev.tags == ("massmessage-delivery",)
    with wiki.db.write() as conn:
        same = wiki.pages.save(conn, title=title, actor=alice, text=text, summary="again")
    assert same.nochange
    assert wiki.users.get_by_name("Alice").editcount == 2  # type: ignore[union-attr]


def test_redirects_and_categories(wiki: Wiki) -> None:
    admin = actor_for(wiki, "Admin", ("sysop",))
    with wiki.db.write() as conn:
        wiki.pages.save(
            conn,
            title=wiki.titles.parse("Template:Optout"),
            actor=admin,
            text="<noinclude>doc</noinclude><includeonly>[[Category:Opted out]]</includeonly>",
            summary="",
        )
        wiki.pages.save(
            conn, title=wiki.titles.parse("User talk:Erin"), actor=admin, text="Hi {{Optout}}", summary=""
        )
        wiki.pages.save(
            conn,
            title=wiki.titles.parse("User talk:Gina"),
            actor=admin,
            text="#REDIRECT [[user talk:dave]]",
            summary="",
        )
    with wiki.db.read() as conn:
        erin = wiki.pages.get_page(conn, wiki.titles.parse("User talk:Erin"))
        assert erin is not None
        assert wiki.pages.in_category(conn, erin.id, "Opted_out")
        assert [t.prefixed_text for t in wiki.pages.category_members(conn, "Opted_out")] == ["User talk:Erin"]
        target = wiki.pages.resolve_redirect(conn, wiki.titles.parse("User talk:Gina"))
        assert target.prefixed_text == "User talk:Dave"
        plain = wiki.titles.parse("User talk:Erin")
        assert wiki.pages.resolve_redirect(conn, plain) == plain


def test_log_entry_and_statistics(wiki: Wiki) -> None:
    admin = actor_for(wiki, "Admin", ("sysop",))
    with wiki.db.write() as conn:
        wiki.pages.ensure_tag(conn, "massmessage-delivery")
        log_id = wiki.pages.log(
            conn,
            type="massmessage",
            action="skipnouser",
            actor=admin,
            title=wiki.titles.parse("User talk:Nobody"),
            comment="",
            params={"subject": "S"},
        )
        wiki.pages.save(
            conn, title=wiki.titles.parse("Linked"), actor=admin, text="See [[Other]].", summary=""
        )
    assert log_id > 0
    stats = wiki.pages.statistics()
    assert stats["pages"] == 1 and stats["edits"] == 1 and stats["articles"] == 1
    assert stats["admins"] == 1
