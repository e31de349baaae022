"""The delivery-list model: validation, stored form, target strings, edits and summaries."""

from __future__ import annotations

import pytest

from wikipost.namespaces import Namespaces
from wikipost.services import massmessage_lists as lists
from wikipost.services.titles import TitleParser

TITLES = TitleParser(Namespaces("AnchorWiki"))
SITES = lists.Sites.of("127.0.0.1:8081", "anchorwiki")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{not json", "invalid-json-data"),
        ("", "invalid-json-data"),
        ('{"description": NaN, "targets": []}', "invalid-json-data"),
        ('{"targets": "User talk:Bob"}', "invalid-content-data"),
        ('{"targets": []}', "invalid-content-data"),
        ("[]", "invalid-content-data"),
        ('{"description": "", "targets": {}}', "invalid-content-data"),
        ('{"description": "", "targets": [{"title": "Bad<title>"}]}', "invalid-content-data"),
        ('{"description": "", "targets": ["User talk:Bob"]}', "invalid-content-data"),
    ],
)
def test_invalid_content_gets_the_edit_error_of_139(text: str, code: str) -> None:
    with pytest.raises(lists.ListContentError) as err:
        lists.parse_list_text(text, TITLES)
    assert err.value.code == code


def test_stored_form_is_tab_indented_with_html_characters_escaped() -> None:
    text = (
        '{"description": "Pages list <&> é", "targets": [{"title": "User talk:Bob", "x": 1}, '
        '{"title": "Special:Version"}]}'
    )
    assert lists.normalize_list_text(text, TITLES) == (
        '{\n\t"description": "Pages list \\u003C\\u0026\\u003E é",\n\t"targets": [\n\t\t{\n'
        '\t\t\t"title": "User talk:Bob",\n\t\t\t"x": 1\n\t\t},\n\t\t{\n\t\t\t"title": '
        '"Special:Version"\n\t\t}\n\t]\n}'
    )
    assert lists.serialize_list({"description": "", "targets": []}) == (
        '{\n\t"description": "",\n\t"targets": []\n}'
    )


@pytest.mark.parametrize(
    ("raw", "title", "bad_title", "bad_site"),
    [
        ("user:carol", "User:Carol", False, False),
        ("Project:Anchor noticeboard", "AnchorWiki:Anchor noticeboard", False, False),
        ("  main page ", "Main page", False, False),
        ("Bar@127.0.0.1:8081", "Bar", False, False),
        ("Bar@ANCHORWIKI", "Bar", False, False),
        ("Special:Foo", None, True, False),
        ("Media:Foo.png", None, True, False),
        ("<bad>", None, True, False),
        ("_", None, True, False),
        ("Foo@example.org", None, False, True),
        ("Baz@", None, False, True),
        ("@example.org", None, True, True),
        ("Help:X@EXAMPLE.org", None, False, True),
        ("google:Foo", None, True, False),
    ],
)
def test_target_strings(raw: str, title: str | None, bad_title: bool, bad_site: bool) -> None:
    parsed = lists.parse_target_string(raw, TITLES, SITES)
    assert (parsed.target.title if parsed.target else None) == title
    assert (parsed.invalid_title, parsed.invalid_site) == (bad_title, bad_site)


def test_sorting_puts_local_targets_first_in_byte_order() -> None:
    targets = [
        lists.ListTarget("b", "x.org"),
        lists.ListTarget("User:Carol"),
        lists.ListTarget("a", "w.org"),
        lists.ListTarget("User talk:Alice"),
        lists.ListTarget("AnchorWiki:B"),
        lists.ListTarget("Anchor article"),
    ]
    assert sorted(targets, key=lists.ListTarget.sort_key) == [
        lists.ListTarget("Anchor article"),
        lists.ListTarget("AnchorWiki:B"),
        lists.ListTarget("User talk:Alice"),
        lists.ListTarget("User:Carol"),
        lists.ListTarget("a", "w.org"),
        lists.ListTarget("b", "x.org"),
    ]


def _data(*titles: str, description: str = "d") -> dict:
    return {"description": description, "targets": [{"title": t} for t in titles]}


def test_add_and_remove_follow_the_139_algorithm() -> None:
    data = _data("User talk:Bob", "User:Carol")
    change = lists.apply_list_edit(
        data,
        add=["User talk:Alice", "user:carol", "Talk:X", "Special:Foo", "Special:Foo", "Zed"],
        remove=["Zed", "Nope", "<bad>", "Nope"],
        description=None,
        titles=TITLES,
        sites=SITES,
    )
    assert change.added == [lists.ListTarget("Talk:X"), lists.ListTarget("User talk:Alice")]
    assert [p.raw for p in change.invalid_add] == ["Special:Foo"]
    assert change.removed == []  # Zed was added and removed in one call: neither
    assert change.invalid_remove == ["Nope", "<bad>"]
    assert [t["title"] for t in change.new_data["targets"]] == [
        "Talk:X",
        "User talk:Alice",
        "User talk:Bob",
        "User:Carol",
    ]
    assert lists.edit_summary(change) == "Added 2 pages"


@pytest.mark.parametrize(
    ("add", "remove", "description", "summary"),
    [
        (["Epsilon"], None, None, "Added [[:Epsilon]]"),
        (["Epsilon"], None, "new", "Added [[:Epsilon]] and changed the description"),
        (["A", "B"], ["User talk:Bob"], None, "Added 2 pages and removed 1 page"),
        (["A"], ["User talk:Bob"], "new", "Added 1 page, removed 1 page, and changed the description"),
        (None, ["User talk:Bob"], None, "Removed [[:User talk:Bob]]"),
        (None, None, "new", "Changed the description"),
    ],
)
def test_edit_summaries(
    add: list[str] | None, remove: list[str] | None, description: str | None, summary: str
) -> None:
    change = lists.apply_list_edit(
        _data("User talk:Bob", "Zeta"),
        add=add,
        remove=remove,
        description=description,
        titles=TITLES,
        sites=SITES,
    )
    assert lists.edit_summary(change) == summary


def test_thousands_are_formatted() -> None:
    change = lists.apply_list_edit(
        _data(), add=[f"P{i}" for i in range(1000)], remove=None, description=None, titles=TITLES, sites=SITES
    )
    assert lists.edit_summary(change) == "Added 1,000 pages"


def test_unchanged_description_is_reported_not_edited() -> None:
    change = lists.apply_list_edit(
        _data(description="same"), add=None, remove=None, description="same", titles=TITLES, sites=SITES
    )
    assert change.description_unchanged and not change.needs_edit


def test_wikitext_targets_accept_only_the_local_site() -> None:
    text = (
        "Targets:\n* {{#target:User talk:Alice}}\n* {{#target:User:Bob}}\n"
        "* {{#target:User talk:Bob|127.0.0.1:8081}}\n* {{#TARGET: Talk:Anchor redirect }}\n"
        "* {{#target:User talk:Bob|example.org}}\n* {{#target:Talk:}}\n"
        "* {{#target:google:Foo}}\n<!-- {{#target:Commented out}} -->\n{{Other|x}}"
    )
    found = lists.wikitext_targets(text, TITLES, SITES)
    assert [(t.title, t.error) for t in found] == [
        ("User talk:Alice", ""),
        ("User:Bob", ""),
        ("User talk:Bob", ""),
        ("Talk:Anchor redirect", ""),
        ("User talk:Bob", '"example.org" is not a valid site.'),
        ("Talk:", '"Talk:" is not a valid page title.'),
        (
            "google:Foo",
            '"google:Foo" is not a valid page title. Interwiki targets should be '
            "specified using the site parameter (<kbd>|site=www.example.org</kbd>).",
        ),
    ]


def test_display_targets_mark_sites() -> None:
    data = {
        "description": "",
        "targets": [{"title": "Bar"}, {"title": "A@B"}, {"title": "Foo", "site": "en.wikipedia.org"}],
    }
    assert lists.display_targets(data, SITES) == ["Bar", "A@B@127.0.0.1:8081", "Foo@en.wikipedia.org"]
    assert lists.usable_targets(data, SITES) == ["Bar", "A@B"]
