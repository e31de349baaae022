"""action=parse against a live server: a page, a page id, an old revision and free text (with
``pst``, ``onlypst``, sections and summaries), both format versions and XML, every documented
error (``missingtitle`` after a deletion among them), the read right, and the same HTML as the
page view shows — one renderer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from tests.admin2.conftest import Api
from tests.live import LiveServer

pytestmark = pytest.mark.live

ALPHA = (
    "Intro [[Parse beta]]\n== First part ==\nText one\n=== Inner ===\nText two\n[[Category:Parse cats|key]]\n"
)


@pytest.fixture(scope="module")
def alpha(alice: Api) -> dict[str, int]:
    first = alice.edit("Parse alpha", "Old text of alpha")
    second = alice.edit("Parse alpha", ALPHA)
    return {"pageid": int(second["pageid"]), "old": int(first["newrevid"]), "new": int(second["newrevid"])}


def test_a_page_in_format_version_1_and_2(anon: Api, alpha: dict[str, int]) -> None:
    fv1 = anon.get(action="parse", page="Parse alpha", fv=None)["parse"]
    assert list(fv1) == [
        "title",
        "pageid",
        "revid",
        "text",
        "langlinks",
        "categories",
        "sections",
        "parsewarnings",
        "displaytitle",
        "properties",
    ]
    assert (fv1["title"], fv1["pageid"], fv1["revid"]) == ("Parse alpha", alpha["pageid"], alpha["new"])
    html = fv1["text"]["*"]
    assert html.startswith('<div class="mw-parser-output">')
    assert '<span class="mw-headline" id="First_part">First part</span>' in html
    assert 'class="new" title="Parse beta (page does not exist)"' in html
    assert fv1["categories"] == [{"sortkey": "key", "missing": "", "*": "Parse_cats"}]
    assert fv1["sections"] == [
        {
            "toclevel": 1,
            "level": "2",
            "line": "First part",
            "number": "1",
            "index": "1",
            "fromtitle": "Parse_alpha",
            "byteoffset": 21,
            "anchor": "First_part",
            "linkAnchor": "First_part",
        },
        {
            "toclevel": 2,
            "level": "3",
            "line": "Inner",
            "number": "1.1",
            "index": "2",
            "fromtitle": "Parse_alpha",
            "byteoffset": 47,
            "anchor": "Inner",
            "linkAnchor": "Inner",
        },
    ]
    assert fv1["displaytitle"] == "Parse alpha" and fv1["langlinks"] == [] and fv1["parsewarnings"] == []
    fv2 = anon.get(action="parse", page="Parse alpha", prop="text|sections|displaytitle|revid|categories")
    assert fv2["parse"]["text"] == html
    assert fv2["parse"]["categories"] == [{"sortkey": "key", "category": "Parse_cats", "missing": True}]
    assert list(fv2["parse"]) == [
        "title",
        "pageid",
        "revid",
        "text",
        "categories",
        "sections",
        "displaytitle",
    ]


def test_the_same_html_as_the_page_view(server: LiveServer, anon: Api, alpha: dict[str, int]) -> None:
    html = anon.get(action="parse", page="Parse alpha", prop="text")["parse"]["text"]
    view = requests.get(f"{server.index_url}/Parse_alpha", timeout=30).text
    assert html in view


def test_a_page_id_an_old_revision_and_xml(anon: Api, alpha: dict[str, int]) -> None:
    by_id = anon.get(action="parse", pageid=str(alpha["pageid"]), prop="revid|displaytitle")["parse"]
    assert by_id == {
        "title": "Parse alpha",
        "pageid": alpha["pageid"],
        "revid": alpha["new"],
        "displaytitle": "Parse alpha",
    }
    old = anon.get(action="parse", oldid=str(alpha["old"]), prop="text|revid|wikitext")["parse"]
    assert old["revid"] == alpha["old"] and "Old text of alpha" in old["text"]
    assert old["wikitext"] == "Old text of alpha"
    no_revid = anon.get(action="parse", page="Parse alpha", prop="text")["parse"]
    assert "revid" not in no_revid
    xml = anon.session.get(
        anon.server.api_url,
        params={"action": "parse", "page": "Parse alpha", "prop": "text|revid|displaytitle", "format": "xml"},
        timeout=30,
    ).text
    opening = f'<parse title="Parse alpha" pageid="{alpha["pageid"]}" revid="{alpha["new"]}"'
    assert opening + ' displaytitle="Parse alpha">' in xml
    assert '<text xml:space="preserve">&lt;div class="mw-parser-output"&gt;' in xml


def test_text_with_a_title_pst_sections_and_a_summary(alice: Api) -> None:
    plain = alice.get(action="parse", text="''Hi'' [[Parse alpha]]", title="Parse sandbox", prop="text|revid")
    assert plain["parse"]["title"] == "Parse sandbox" and plain["parse"]["pageid"] == 0
    assert (
        "<i>Hi</i>" in plain["parse"]["text"]
        and 'title="Parse alpha">Parse alpha</a>' in plain["parse"]["text"]
    )
    assert "revid" not in plain["parse"]
    no_title = alice.get(action="parse", text="x", prop="displaytitle")
    assert no_title["parse"]["title"] == "API"
    assert (
        no_title["warnings"]["parse"]["warnings"]
        == 'No "title" or "contentmodel" was given, assuming wikitext.'
    )
    pst = alice.get(action="parse", text="Signed ~~~", title="Parse sandbox", pst="1", prop="wikitext")[
        "parse"
    ]
    signature = "[[User:Alice|Alice]] ([[User talk:Alice|talk]])"
    assert pst["wikitext"] == "Signed ~~~" and pst["psttext"] == f"Signed {signature}"
    only = alice.get(action="parse", text="Signed ~~~", title="Parse sandbox", onlypst="1", prop="wikitext")
    assert only["parse"] == {"text": f"Signed {signature}", "wikitext": "Signed ~~~"}
    only_fv1 = alice.get(action="parse", text="~~~", title="Parse sandbox", onlypst="1", fv=None)
    assert only_fv1["parse"] == {"text": {"*": signature}}
    new = alice.get(
        action="parse",
        text="Body",
        title="Talk:Parse sandbox",
        section="new",
        sectiontitle="Hello",
        prop="sections|text",
    )
    assert new["parse"]["sections"][0]["line"] == "Hello" and "Body" in new["parse"]["text"]
    assert new["parse"]["parsedsummary"] == (
        '<span dir="auto"><span class="autocomment"><a href="/w/index.php/Talk:Parse_sandbox#Hello" '
        'title="Talk:Parse sandbox">→\u200eHello</a>: </span> new section</span>'
    )
    one = alice.get(
        action="parse", text="Lead\n== A ==\nin a\n== B ==\nin b", title="X", section="2", prop="wikitext"
    )
    assert one["parse"]["wikitext"] == "== B ==\nin b"
    summary = alice.get(action="parse", summary="See [[Parse alpha]]", prop="")
    assert summary["parse"]["parsedsummary"].startswith('See <a href="/w/index.php/Parse_alpha"')


def test_redirects_are_followed_when_asked(alice: Api, alpha: dict[str, int]) -> None:
    alice.edit("Parse redirect", "#REDIRECT [[Parse alpha]]")
    followed = alice.get(action="parse", page="Parse redirect", redirects="1", prop="revid")["parse"]
    assert followed["title"] == "Parse alpha" and followed["revid"] == alpha["new"]
    assert followed["redirects"] == [{"from": "Parse redirect", "to": "Parse alpha"}]
    itself = alice.get(action="parse", page="Parse redirect", prop="wikitext")["parse"]
    assert itself["title"] == "Parse redirect" and itself["wikitext"] == "#REDIRECT [[Parse alpha]]"


def test_errors(admin: Api, alice: Api) -> None:
    def error(**params: str) -> tuple[str, str]:
        answer = alice.get(action="parse", **params)
        return answer["error"]["code"], answer["error"]["info"]

    first = alice.edit("Parse doomed", "Soon gone")
    assert error(page="Parse nowhere") == ("missingtitle", "The page you specified doesn't exist.")
    deleted = admin.post(action="delete", title="Parse doomed", token=admin.token())
    assert deleted["delete"]["title"] == "Parse doomed"
    assert error(page="Parse doomed") == ("missingtitle", "The page you specified doesn't exist.")
    old = str(first["newrevid"])
    assert error(oldid=old) == ("nosuchrevid", f"There is no revision with ID {old}.")
    assert error(pageid=str(first["pageid"])) == (
        "nosuchpageid",
        f"There is no page with ID {first['pageid']}.",
    )
    assert error(page="Parse alpha", text="x") == (
        "invalidparammix",
        'The parameters "text" and "page" can not be used together.',
    )
    assert error(pageid="1", oldid="2", title="T") == (
        "invalidparammix",
        'The parameters "pageid" and "oldid" can not be used together.',
    )
    assert error(text="x", section="first") == (
        "invalidsection",
        'The "section" parameter must be a valid section ID or "new".',
    )
    assert error(page="Parse alpha", section="new") == (
        "invalidparammix",
        '"section=new" cannot be combined with the "oldid", "pageid" or "page" parameters. '
        'Please use "title" and "text".',
    )
    assert error(page="Bad[title") == ("invalidtitle", 'Bad title "Bad[title".')
    assert error(text="x", title="Bad[title") == ("invalidtitle", 'Bad title "Bad[title".')
    assert error(page="Parse alpha", section="9") == (
        "nosuchsection",
        "There is no section 9 in Parse alpha.",
    )
    assert error(text="x", title="T", contentmodel="json", contentformat="text/x-wiki") == (
        "badformat",
        "The requested format text/x-wiki is not supported for content model json.",
    )
    warned = alice.get(action="parse", title="Parse alpha")
    assert warned["warnings"]["parse"]["warnings"].startswith('"title" used without "text"')


def test_parse_needs_the_read_right(live_server_factory: Callable[..., LiveServer]) -> None:
    private = live_server_factory({"permissions": {"*": ["createaccount", "writeapi"]}})
    answer = Api(private).get(action="parse", text="x", title="T")
    assert answer["error"]["code"] == "readapidenied"
    assert answer["error"]["info"] == "You need read permission to use this module."
