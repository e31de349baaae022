"""Issue #11's output gaps against MediaWiki 1.39: XML errors that carry data, XML that every
parser accepts, the *fm page title, and delivery lists stored byte for byte as 1.39 stores them.

In-process (TestClient) on the conformance wiki's users; the expected texts are 1.39's (the
transcripts, api-conventions.md §3.3/§5 and ApiFormatXml::recXmlPrint's rules).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.accounts.helpers import login, new_client, token
from tests.anchorwiki import PASSWORDS, setup_anchorwiki
from tests.conformance_compare import record
from wikipost.api.formats import print_xml
from wikipost.app import build_app
from wikipost.services.massmessage_lists import decode_json, serialize_list
from wikipost.wiki import Wiki

API = "/w/api.php"
DOCREF = (
    "See http://127.0.0.1:8081/w/api.php for API usage. Subscribe to the mediawiki-api-announce "
    "mailing list at &lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce."
    "lists.wikimedia.org/&gt; for notice of API deprecations and breaking changes."
)
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


@pytest.fixture
def anchor(make_wiki: Callable[..., Wiki]) -> Iterator[TestClient]:
    wiki = make_wiki()
    setup_anchorwiki(wiki)
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        yield client


def logged_in(client: TestClient, name: str) -> tuple[TestClient, str]:
    session = new_client(client)
    assert login(session, name, PASSWORDS[name])["result"] == "Success"
    return session, token(session)


def xml_of(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0"?>')
    return ET.fromstring(text.encode())


# --- errors with data, in XML ------------------------------------------------------------------


def test_a_blocked_users_xml_error_has_blockinfo_and_docref_as_children(anchor: TestClient) -> None:
    frank, csrf = logged_in(anchor, "Frank")
    answer = frank.post(
        API, data={"action": "edit", "title": "X", "text": "y", "token": csrf, "format": "xml"}
    )
    assert answer.headers["mediawiki-api-error"] == "blocked"
    error = xml_of(answer.text).find("error")
    assert error is not None
    # 1.39: <error code="blocked" info="…"><blockinfo …/><docref xml:space="preserve">See …</docref></error>
    assert dict(error.attrib) == {"code": "blocked", "info": "You have been blocked from editing."}
    assert error.text is None and [child.tag for child in error] == ["blockinfo", "docref"]
    blockinfo, docref = list(error)
    assert blockinfo.attrib["blockedby"] == "Admin" and blockinfo.attrib["blockexpiry"] == "infinite"
    assert "blockpartial" not in blockinfo.attrib  # false booleans are left out
    assert docref.attrib == {XML_SPACE: "preserve"} and docref.text == DOCREF
    assert re.search(r'<error code="blocked" info="[^"]*"><blockinfo ', answer.text)
    # The JSON shape is unchanged: blockinfo between info and the docref.
    as_json = frank.post(
        API, data={"action": "edit", "title": "X", "text": "y", "token": csrf, "format": "json"}
    )
    assert list(as_json.json()["error"]) == ["code", "info", "blockinfo", "*"]


def test_modern_error_formats_in_xml_put_the_text_beside_the_data(anchor: TestClient) -> None:
    frank, csrf = logged_in(anchor, "Frank")
    form = {
        "action": "edit",
        "title": "X",
        "text": "y",
        "token": csrf,
        "format": "xml",
        "errorformat": "plaintext",
    }
    root = xml_of(frank.post(API, data=form).text)
    error = root.find("errors/error")
    assert error is not None and dict(error.attrib) == {"code": "blocked", "module": "edit"}
    assert [child.tag for child in error] == ["data", "text"]
    assert error[0][0].tag == "blockinfo"
    assert (
        error[1].attrib == {XML_SPACE: "preserve"} and error[1].text == "You have been blocked from editing."
    )
    docref = root.find("docref")
    assert docref is not None and docref.text == DOCREF and root.text is None


def test_list_data_moves_the_docref_too_and_scalar_data_does_not(
    anchor: TestClient, make_wiki: Callable[..., Wiki]
) -> None:
    alice, csrf = logged_in(anchor, "Alice")
    form = {"action": "edit", "title": "X", "text": "y", "tags": "massmessage-delivery", "token": csrf}
    error = xml_of(alice.post(API, data={**form, "format": "xml"}).text).find("error")
    assert error is not None and error.attrib["code"] == "badtags"
    assert [child.tag for child in error] == ["disallowedtags", "docref"]
    assert [item.text for item in error[0]] == ["massmessage-delivery"]
    # Scalar data stays an attribute, and the docref the element's own text.
    wiki = make_wiki(site={"read_only": "Upgrading"})
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
        form = {"action": "edit", "title": "X", "text": "y", "token": "+\\", "format": "xml"}
        answer = client.post(API, data=form)
    error = xml_of(answer.text).find("error")
    assert error is not None and error.attrib["code"] == "readonly"
    assert error.attrib["readonlyreason"] == "Upgrading" and error.attrib[XML_SPACE] == "preserve"
    assert error.text == DOCREF and len(error) == 0


# --- every XML answer parses ------------------------------------------------------------------

CONTROL = "a\x00b\x01c\x08d\x0be\x0cf\x1fg\ufffeh\uffffi"
ECHOES: list[dict[str, str]] = [
    {"action": "query", CONTROL: "1"},  # a parameter name, echoed in a warning
    {"action": "query", "requestid": CONTROL, f"x{CONTROL}": CONTROL},
    {"action": "query", "list": CONTROL},  # a value, echoed in an error
    {"action": CONTROL},
    {"action": "query", "prop": "info", "titles": CONTROL},
    {"action": "query", "list": "users", "ususers": CONTROL, "usprop": "emailable"},
    {"action": "query", "meta": "tokens", "type": CONTROL},
    {"action": "query", "errorformat": "plaintext", CONTROL: "", "requestid": CONTROL},
    {"action": "paraminfo", "modules": CONTROL},
]


@pytest.mark.parametrize("params", ECHOES)
def test_xml_answers_with_control_characters_are_well_formed(
    anchor: TestClient, params: dict[str, str]
) -> None:
    for method in ("GET", "POST"):
        if method == "GET":
            answer = anchor.get(API, params={**params, "format": "xml"})
        else:
            answer = anchor.post(API, data={**params, "format": "xml"})
        xml_of(answer.text)  # raises when not well-formed
        for bad in "\x00\x01\x08\x0b\x0c\x1f\ufffe\uffff":
            assert bad not in answer.text


def test_what_xml_cannot_carry_is_replaced_in_every_format(anchor: TestClient) -> None:
    """ApiResult cleans every string it is given (UtfNormal): the same answer in JSON."""
    answer = anchor.get(
        API, params={"action": "query", "a\x00b": "1", "format": "json", "formatversion": "2"}
    )
    assert answer.json()["warnings"]["main"]["warnings"] == "Unrecognized parameter: a\ufffdb."
    root = xml_of(anchor.get(API, params={"action": "query", "a\x00b": "1", "format": "xml"}).text)
    assert root.findtext("warnings/main") == "Unrecognized parameter: a\ufffdb."


def test_result_keys_that_are_no_xml_names_are_mangled_like_apiformatxml() -> None:
    printed = print_xml({"a b": "1", "1st": {"x.y": "2", "": "3"}, "ok": "<&'\"\n"})
    root = ET.fromstring(printed.encode())
    assert root.attrib == {"_a.20.b": "1", "ok": "<&'\"\n"}
    assert root[0].tag == "_1st" and root[0].attrib == {"x.y": "2", "_": "3"}
    # Attribute values are escaped as Sanitizer::encodeAttribute does (newlines survive parsing).
    assert 'ok="&lt;&amp;&#039;&quot;&#10;"' in printed
    # A scalar printed as an element (help's text) is text content kept as it is.
    subelement = print_xml({"help": "<p>'A'</p>", "_subelements": ["help"]})
    assert subelement.endswith("""<api><help xml:space="preserve">&lt;p&gt;'A'&lt;/p&gt;</help></api>""")


# --- the *fm page title ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonfm", "xmlfm"])
def test_fm_pages_are_titled_with_the_site_name(make_wiki: Callable[..., Wiki], fmt: str) -> None:
    expected = record("tokens.csrf.anon.no_format")["body"]
    assert "<title>MediaWiki API result - AnchorWiki</title>" in expected
    for site_name, title in (
        ("AnchorWiki", "MediaWiki API result - AnchorWiki"),
        ("A & B", "MediaWiki API result - A &amp; B"),
    ):
        wiki = make_wiki(site={"name": site_name})
        with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as client:
            page = client.get(API, params={"action": "query", "meta": "tokens", "format": fmt}).text
        assert re.search(r"<title>(.*?)</title>", page).group(1) == title  # type: ignore[union-attr]
        assert "This is the HTML representation of the" in page


# --- delivery lists, stored as 1.39 stores them ---------------------------------------------------


def _list_revisions(name: str) -> list[dict[str, Any]]:
    pages = record(name)["body"]["query"]["pages"]
    return [
        r for r in pages[0]["revisions"] if r["slots"]["main"]["contentmodel"] == "MassMessageListContent"
    ]


def test_every_stored_list_of_the_transcripts_is_reproduced_byte_for_byte() -> None:
    revisions = _list_revisions("massmessagelist.revisions") + _list_revisions("revisions.list_content")
    assert len(revisions) >= 10
    for revision in revisions:
        text = revision["slots"]["main"]["content"]
        assert serialize_list(decode_json(text)) == text
        assert len(text.encode()) == revision["size"]


def test_a_list_made_and_edited_through_the_api_has_1_39s_sizes(anchor: TestClient) -> None:
    admin, csrf = logged_in(anchor, "Admin")
    create = record("massmessagelist.create.via_edit")["form"]
    assert admin.post(API, data={**create, "token": csrf}).json()["edit"]["result"] == "Success"
    add = record("editmassmessagelist.add.valid")["form"]
    assert admin.post(API, data={**add, "token": csrf}).json()["editmassmessagelist"]["result"] == "Success"
    props = {"action": "query", "prop": "revisions", "titles": create["title"], "rvdir": "newer"}
    got = admin.get(
        API,
        params={
            **props,
            "rvprop": "size|content",
            "rvslots": "main",
            "rvlimit": "2",
            "format": "json",
            "formatversion": "2",
        },
    ).json()
    theirs = _list_revisions("massmessagelist.revisions")[:2]
    ours = got["query"]["pages"][0]["revisions"]
    assert [r["size"] for r in ours] == [r["size"] for r in theirs] == [92, 218]
    assert [r["slots"]["main"]["content"] for r in ours] == [r["slots"]["main"]["content"] for r in theirs]
    info = admin.get(
        API, params={"action": "query", "prop": "info", "titles": create["title"], "format": "json"}
    ).json()
    assert next(iter(info["query"]["pages"].values()))["length"] == 218


# What 1.39 (PHP's json_encode through FormatJson) stores for texts Python would print otherwise.
PHP_NUMBERS = (
    '{"description": "d\\u2028e", "targets": [{"title": "A", "n": 1e100, "f": 1.0, "w": 1.5e-7, '
    '"z": 1E2, "m": -0.0, "s": 0.00001, "big": 12345678901234567890, "u": "/\\u00e9<&>"}]}',
    '{\n\t"description": "d\\u2028e",\n\t"targets": [\n\t\t{\n\t\t\t"title": "A",\n\t\t\t"n": 1.0e+100,'
    '\n\t\t\t"f": 1,\n\t\t\t"w": 1.5e-7,\n\t\t\t"z": 100,\n\t\t\t"m": -0,\n\t\t\t"s": 1.0e-5,\n\t\t\t'
    '"big": 1.2345678901234567e+19,\n\t\t\t"u": "/\u00e9\\u003C\\u0026\\u003E"\n\t\t}\n\t]\n}',
)
# An editmassmessagelist edit re-encodes the kept entries from PHP arrays: {} becomes [], an
# object keyed "0", "1" a list, -0 an integer, and only description and targets remain.
PHP_ARRAYS = (
    '{"targets": [{"title": "B", "m": {}, "o": {"0": "x", "1": "y"}, "p": {"1": "x"}, "r": -0.0}], '
    '"description": "d", "extra": {}}',
    '{\n\t"description": "d",\n\t"targets": [\n\t\t{\n\t\t\t"title": "B",\n\t\t\t"m": [],\n\t\t\t"o": [\n'
    '\t\t\t\t"x",\n\t\t\t\t"y"\n\t\t\t],\n\t\t\t"p": {\n\t\t\t\t"1": "x"\n\t\t\t},\n\t\t\t"r": 0\n\t\t},'
    '\n\t\t{\n\t\t\t"title": "Zed"\n\t\t}\n\t]\n}',
)


def _stored(client: TestClient, title: str, text: str, add: str | None = None) -> str:
    """Make a list with ``text`` through action=edit (and editmassmessagelist ``add``); its
    stored text, checked against prop=info's length."""
    admin, csrf = logged_in(client, "Admin")
    form = {"action": "edit", "title": title, "contentmodel": "MassMessageListContent", "text": text}
    made = admin.post(API, data={**form, "token": csrf, "format": "json"}).json()
    assert made["edit"]["result"] == "Success", made
    if add is not None:
        form = {"action": "editmassmessagelist", "spamlist": title, "add": add}
        changed = admin.post(API, data={**form, "token": csrf, "format": "json"}).json()
        assert changed["editmassmessagelist"]["result"] == "Success", changed
    stored = admin.get("/w/index.php", params={"title": title, "action": "raw"}).text
    info = admin.get(
        API, params={"action": "query", "prop": "info", "titles": title, "format": "json"}
    ).json()
    assert next(iter(info["query"]["pages"].values()))["length"] == len(stored.encode())
    return stored


def test_numbers_and_line_separators_are_serialised_as_php_prints_them() -> None:
    assert serialize_list(decode_json(PHP_NUMBERS[0])) == PHP_NUMBERS[1]


def test_numbers_and_line_separators_are_stored_as_php_prints_them(anchor: TestClient) -> None:
    assert _stored(anchor, "Numbers list", PHP_NUMBERS[0]) == PHP_NUMBERS[1]


def test_a_list_edit_stores_its_entries_as_php_arrays(anchor: TestClient) -> None:
    assert _stored(anchor, "Arrays list", PHP_ARRAYS[0], add="Zed") == PHP_ARRAYS[1]


def test_list_texts_json_cannot_hold_are_refused() -> None:
    for text in (
        '{"description": "", "targets": [], "x": 1e400}',
        '{"description": "", "targets": [], "x": 1' + "0" * 400 + "}",
    ):
        with pytest.raises(ValueError, match="Syntax error"):
            decode_json(text)
    assert (
        json.loads(serialize_list(decode_json('{"description": "", "targets": [], "x": 1e300}')))["x"]
        == 1e300
    )
