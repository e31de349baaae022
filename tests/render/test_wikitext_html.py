"""The wikitext → HTML renderer: each construct, the XSS payloads it must neutralise, and the
invariants every output keeps (well-formed, only allowlisted tags and attributes)."""

from __future__ import annotations

import random
import re
import time
from html.parser import HTMLParser

import pytest

from wikipost.namespaces import Namespaces
from wikipost.render import LinkTarget, Rendered, Renderer, Section
from wikipost.render.sanitizer import ALLOWED_TAGS, VOID_TAGS, safe_css
from wikipost.services.titles import TitleParser

# -- a fake wiki around the renderer -----------------------------------------------------------

_NAMESPACES = {
    "talk": (1, "Talk"),
    "user": (2, "User"),
    "user talk": (3, "User talk"),
    "file": (6, "File"),
    "category": (14, "Category"),
    "special": (-1, "Special"),
}


def fake_parse_title(text: str) -> LinkTarget | None:
    """A tiny title parser: namespace prefixes above, first letter upper-cased, no ``<>[]{}|``."""
    text = text.replace("_", " ").strip()
    if not text or any(c in text for c in "<>[]{}|"):
        return None
    name, _, fragment = text.partition("#")
    namespace, ns_name = 0, ""
    prefix, colon, rest = name.partition(":")
    if colon and prefix.strip().lower() in _NAMESPACES:
        namespace, ns_name = _NAMESPACES[prefix.strip().lower()]
        name = rest
    name = name.strip()
    if not name:
        return None
    name = name[0].upper() + name[1:]
    prefixed = f"{ns_name}:{name}" if ns_name else name
    return LinkTarget(prefixed, prefixed.replace(" ", "_"), fragment, namespace)


class FakeWiki:
    def __init__(self, pages: set[str] | None = None) -> None:
        self.pages = pages if pages is not None else {"Foo", "User:Bob", "User_talk:Bob", "Main_Page"}
        self.lookups: list[list[str]] = []
        self.renderer = Renderer(
            parse_title=fake_parse_title,
            article_url=lambda key: f"/wiki/{key}",
            edit_url=lambda key: f"/w/index.php?title={key}&action=edit&redlink=1",
            existing=self.existing,
        )

    def existing(self, keys: list[str]) -> set[str]:
        self.lookups.append(list(keys))
        return {key for key in keys if key in self.pages}


def render(text: str, wiki: FakeWiki | None = None) -> Rendered:
    """Render and check the invariants every output must keep."""
    out = (wiki or FakeWiki()).renderer.render(text)
    check_html(out.html)
    return out


def body(text: str, wiki: FakeWiki | None = None) -> str:
    """The HTML inside the ``mw-parser-output`` wrapper, surrounding whitespace stripped."""
    html = render(text, wiki).html
    prefix, suffix = '<div class="mw-parser-output">', "</div>"
    assert html.startswith(prefix) and html.endswith(suffix)
    return html[len(prefix) : -len(suffix)].strip()


class _Checker(HTMLParser):
    """Well-formed nesting, allowlisted tags only, no handlers, safe hrefs and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED_TAGS or tag == "a", f"tag {tag!r} emitted"
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6", "div", "table", "ul", "ol", "dl"}:
            assert "p" not in self.stack[-1:], f"<{tag}> inside <p>"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name!r}"
            assert name != "src"
            if name == "href":
                assert tag == "a"
                assert value is not None and re.match(r"(https?://|ftp://|mailto:|//|/|#)", value), value
            if name == "style":
                assert value is not None and safe_css(value)
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise AssertionError(f"self-closing <{tag}/> emitted")

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_comment(self, data: str) -> None:
        raise AssertionError("comment emitted")


def check_html(html: str) -> None:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.stack == [], f"left open: {checker.stack}"


# -- output shape, headings, sections ----------------------------------------------------------


def test_wraps_output_in_parser_output_div() -> None:
    out = render("Hello")
    assert out.html == '<div class="mw-parser-output"><p>Hello</p>\n</div>'
    assert out.sections == [] and out.categories == []


def test_empty_text() -> None:
    assert body("") == ""


def test_heading_levels_and_headline_span() -> None:
    html = body("= One =\n== Two ==\n=== Three ===\n====Four====\n===== Five =====\n====== Six ======")
    for level, word in enumerate(["One", "Two", "Three", "Four", "Five", "Six"], start=1):
        assert f'<h{level}><span class="mw-headline" id="{word}">{word}</span></h{level}>' in html
    assert "<p>" not in html


def test_heading_is_never_inside_a_paragraph() -> None:
    html = body("text before\n== Subject ==\ntext after")
    assert html == (
        "<p>text before</p>\n"
        '<h2><span class="mw-headline" id="Subject">Subject</span></h2>\n'
        "<p>text after</p>"
    )


def test_heading_anchor_uses_underscores_and_repeats_get_suffixes() -> None:
    out = render("== A  b ==\n== A b ==\n== A b ==\n== A b 2 ==")
    assert [s.anchor for s in out.sections] == ["A_b", "A_b_2", "A_b_3", "A_b_2_2"]
    assert 'id="A_b_3"' in out.html


def test_sections_like_action_parse() -> None:
    out = render("== A ==\n==== B ====\n=== C ===\n== D ==\n=== E ===\n= F =")
    assert [(s.level, s.line, s.number, s.index) for s in out.sections] == [
        (2, "A", "1", 1),
        (4, "B", "1.1", 2),
        (3, "C", "1.2", 3),
        (2, "D", "2", 4),
        (3, "E", "2.1", 5),
        (1, "F", "3", 6),
    ]


def test_section_line_is_plain_text() -> None:
    out = render("== Talk about ''[[Foo|the foo]]'' &amp; <b>bar</b> <!-- c --> ==")
    assert out.sections == [Section(2, "Talk about the foo & bar", "1", 1, "Talk_about_the_foo_&_bar")]
    assert '<a href="/wiki/Foo" title="Foo">the foo</a>' in out.html


def test_heading_followed_by_text_is_not_a_heading() -> None:
    out = render("== X == trailing")
    assert out.sections == []
    assert body("== X == trailing") == "<p>== X == trailing</p>"


# -- paragraphs, pre, hr -----------------------------------------------------------------------


def test_paragraphs_split_on_blank_lines_and_keep_single_newlines() -> None:
    assert body("one\ntwo\n\nthree\n\n\nfour") == "<p>one\ntwo</p>\n<p>three</p>\n<p>four</p>"


def test_lines_starting_with_space_are_preformatted() -> None:
    html = body("text\n code line\n  second <b>x</b>\nafter")
    assert html == "<p>text</p>\n<pre>code line\n second <b>x</b></pre>\n<p>after</p>"


def test_horizontal_rule() -> None:
    assert body("a\n----\nb") == "<p>a</p>\n<hr>\n<p>b</p>"


def test_comments_vanish() -> None:
    assert body("a <!-- hidden --> b\n<!-- own line -->\nc") == "<p>a  b\nc</p>"


# -- lists -------------------------------------------------------------------------------------


def test_unordered_and_ordered_lists() -> None:
    assert body("* a\n* b") == "<ul><li>a</li>\n<li>b</li></ul>"
    assert body("# a\n# b") == "<ol><li>a</li>\n<li>b</li></ol>"


def test_nested_lists_are_closed_properly() -> None:
    html = body("* a\n** b\n*# c\n* d\ntext")
    assert html == ("<ul><li>a<ul><li>b</li></ul><ol><li>c</li></ol></li>\n<li>d</li></ul>\n<p>text</p>")


def test_talk_page_indentation() -> None:
    html = body("First\n: reply\n:: reply to reply\n: back")
    assert html == ("<p>First</p>\n<dl><dd>reply<dl><dd>reply to reply</dd></dl></dd>\n<dd>back</dd></dl>")


def test_definition_lists() -> None:
    assert body("; term\n: definition") == "<dl><dt>term</dt>\n<dd>definition</dd></dl>"
    assert body("; term : definition") == "<dl><dt>term</dt>\n<dd>definition</dd></dl>"


def test_blank_line_ends_a_list() -> None:
    assert body("* a\n\n* b") == "<ul><li>a</li></ul>\n<ul><li>b</li></ul>"


# -- bold and italic ---------------------------------------------------------------------------


def test_bold_and_italic() -> None:
    assert body("''i'' '''b''' '''''bi''''' x") == "<p><i>i</i> <b>b</b> <b><i>bi</i></b> x</p>"


def test_unclosed_bold_closes_at_end_of_line() -> None:
    assert body("'''bold\nplain") == "<p><b>bold</b>\nplain</p>"


def test_apostrophe_before_bold_after_single_letter_word() -> None:
    assert body("l'''amour'' x") == "<p>l'<i>amour</i> x</p>"


def test_bold_inside_link_label_and_around_link() -> None:
    assert body("'''[[Foo|''x'']]'''") == '<p><b><a href="/wiki/Foo" title="Foo"><i>x</i></a></b></p>'


# -- internal links ----------------------------------------------------------------------------


def test_link_to_existing_page() -> None:
    assert body("[[Foo]]") == '<p><a href="/wiki/Foo" title="Foo">Foo</a></p>'
    assert body("[[foo|label]]") == '<p><a href="/wiki/Foo" title="Foo">label</a></p>'


def test_link_to_missing_page_is_red() -> None:
    assert body("[[No such page]]") == (
        '<p><a href="/w/index.php?title=No_such_page&amp;action=edit&amp;redlink=1" class="new" '
        'title="No such page (page does not exist)">No such page</a></p>'
    )


def test_link_with_fragment() -> None:
    assert body("[[Foo#Some section|label]]") == (
        '<p><a href="/wiki/Foo#Some_section" title="Foo">label</a></p>'
    )
    assert body("[[#Local part]]") == '<p><a href="#Local_part">#Local part</a></p>'


def test_special_pages_count_as_existing() -> None:
    wiki = FakeWiki()
    assert body("[[Special:Version]]", wiki) == (
        '<p><a href="/wiki/Special:Version" title="Special:Version">Special:Version</a></p>'
    )
    assert wiki.lookups == []


def test_existence_is_looked_up_once_for_all_links() -> None:
    wiki = FakeWiki()
    render("== [[Main Page]] ==\n[[Foo]] [[Bar]] [[Foo]]\n* [[User talk:Bob|Bob]]\n{|\n| [[Baz]]\n|}", wiki)
    assert len(wiki.lookups) == 1
    assert sorted(wiki.lookups[0]) == ["Bar", "Baz", "Foo", "Main_Page", "User_talk:Bob"]


def test_no_lookup_without_links() -> None:
    wiki = FakeWiki()
    render("plain text", wiki)
    assert wiki.lookups == []


def test_categories_are_collected_and_render_nothing() -> None:
    out = render("Text [[Category:Some cat]] [[category:other|sort key]] [[Category:Some cat]]")
    assert out.categories == ["Some_cat", "Other"]
    assert "Category" not in out.html and "sort key" not in out.html


def test_category_only_lines_vanish_without_breaking_the_paragraph() -> None:
    out = render("one\n[[Category:A]] <!-- c -->\ntwo")
    assert out.categories == ["A"]
    assert body("one\n[[Category:A]] <!-- c -->\ntwo") == "<p>one\ntwo</p>"


def test_colon_category_link_is_a_normal_link() -> None:
    out = render("[[:Category:X]]")
    assert out.categories == []
    assert 'title="Category:X (page does not exist)">Category:X</a>' in out.html


def test_invalid_title_is_shown_as_text() -> None:
    assert body("[[Talk:|x]]") == "<p>[[Talk:|x]]</p>"
    assert body("[[{{tmpl}}|<i>x</i>]]") == "<p>[[{{tmpl}}|&lt;i&gt;x&lt;/i&gt;]]</p>"


def test_pipe_trick_is_not_applied() -> None:
    assert body("[[User:Bob|]]") == '<p><a href="/wiki/User:Bob" title="User:Bob">User:Bob</a></p>'


def test_link_trail_joins_the_label() -> None:
    assert body("[[Foo]]s, [[Foo|bar]]ed.") == (
        '<p><a href="/wiki/Foo" title="Foo">Foos</a>, <a href="/wiki/Foo" title="Foo">bared</a>.</p>'
    )


def test_links_inside_link_labels_are_text() -> None:
    assert body("[[Foo|a [[Bar]] b]]") == '<p><a href="/wiki/Foo" title="Foo">a [[Bar]] b</a></p>'


# -- external links ----------------------------------------------------------------------------


def test_external_link_with_label() -> None:
    assert body("[http://example.com/x?a=1&b=2 Example site]") == (
        '<p><a rel="nofollow" class="external text" href="http://example.com/x?a=1&amp;b=2">'
        "Example site</a></p>"
    )


def test_external_links_without_label_are_numbered() -> None:
    html = body("[http://a.example] [https://b.example] [http://c.example x]")
    assert '>[1]</a> <a rel="nofollow" class="external autonumber" href="https://b.example">[2]</a>' in html
    assert html.count("external autonumber") == 2


def test_bare_urls_are_linked() -> None:
    assert body("see https://example.org/page.") == (
        '<p>see <a rel="nofollow" class="external free" href="https://example.org/page">'
        "https://example.org/page</a>.</p>"
    )


@pytest.mark.parametrize("url", ["http://x.example", "https://x.example", "ftp://x.example", "//x.example"])
def test_allowed_url_schemes(url: str) -> None:
    assert f'href="{url}"' in body(f"[{url} label]")


def test_mailto_link() -> None:
    assert 'href="mailto:someone@example.org"' in body("[mailto:someone@example.org mail me]")


@pytest.mark.parametrize(
    "text",
    ["[javascript:alert(1) x]", "[data:text/html,<script>x</script> x]", "irc://x.example", "[news:x y]"],
)
def test_other_schemes_are_plain_text(text: str) -> None:
    html = body(text)
    assert "<a" not in html
    assert html == f"<p>{text.replace('<', '&lt;').replace('>', '&gt;')}</p>"


# -- HTML tags in the wikitext -----------------------------------------------------------------


def test_allowed_tags_and_attributes_pass() -> None:
    html = body('<span class="x" title="t" lang="de">a</span> <small>b</small> <code>c</code> <sup>1</sup>')
    assert (
        html
        == '<p><span class="x" title="t" lang="de">a</span> <small>b</small> <code>c</code> <sup>1</sup></p>'
    )


def test_disallowed_attributes_are_dropped() -> None:
    assert (
        body('<span onclick="x()" id="i" href="http://x" data-x="1">a</span>')
        == '<p><span id="i">a</span></p>'
    )


def test_tag_names_are_case_insensitive() -> None:
    assert body("<DIV CLASS=a>x</DIV>") == '<div class="a">x</div>'


def test_block_tag_is_not_wrapped_in_a_paragraph_and_may_hold_wikitext() -> None:
    html = body("<div>\n* one\n* two\n</div>")
    assert html == "<div><ul><li>one</li>\n<li>two</li></ul>\n</div>"
    assert body("<blockquote>quoted</blockquote>") == "<blockquote>quoted</blockquote>"


def test_disallowed_tags_are_escaped_text() -> None:
    assert body("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert (
        body("<ref>note</ref> <math>x</math>")
        == "<p>&lt;ref&gt;note&lt;/ref&gt; &lt;math&gt;x&lt;/math&gt;</p>"
    )


def test_line_breaks() -> None:
    assert body("a<br>b<br/>c<br />d</br>e") == "<p>a<br>b<br>c<br>d<br>e</p>"


def test_unclosed_tags_are_closed_at_the_end_of_their_block() -> None:
    assert body("a <small>small\nstill small\n\nnext") == (
        "<p>a <small>small\nstill small</small></p>\n<p>next</p>"
    )
    assert body("<div class=box>\ninside\n\nalso inside") == (
        '<div class="box">\n<p>inside</p>\n<p>also inside</p>\n</div>'
    )


def test_stray_closing_tag_is_text() -> None:
    assert body("a </span> b") == "<p>a &lt;/span&gt; b</p>"


def test_unpaired_table_and_paragraph_tags_are_text() -> None:
    assert body("a <table> <p> b") == "<p>a &lt;table&gt; &lt;p&gt; b</p>"


def test_paragraph_tag_holding_block_elements_is_left_out() -> None:
    assert body('<p class="x">a <div>b</div></p>') == "a <div>b</div>"
    assert body('<p class="x">a <b>b</b></p>') == '<p class="x">a <b>b</b></p>'


def test_nowiki_content_is_escaped_text() -> None:
    assert (
        body("<nowiki>[[Foo]] ''x'' <b>y</b> &amp;</nowiki>")
        == "<p>[[Foo]] ''x'' &lt;b&gt;y&lt;/b&gt; &amp;</p>"
    )


def test_pre_tag_content_is_escaped() -> None:
    assert body("<pre>[[Foo]]\n<b>x</b></pre>") == "<pre>[[Foo]]\n&lt;b&gt;x&lt;/b&gt;</pre>"


# -- templates, entities -----------------------------------------------------------------------


def test_templates_and_parameters_stay_as_source() -> None:
    assert (
        body("{{tmpl|a|b=<i>c</i>}} {{{1|default}}}")
        == "<p>{{tmpl|a|b=&lt;i&gt;c&lt;/i&gt;}} {{{1|default}}}</p>"
    )


def test_entities_kept_when_valid() -> None:
    assert body("&amp; &lt; &#123; &#x7B; &nbsp; &foo; &#0; & x") == (
        "<p>&amp; &lt; &#123; &#x7B; &nbsp; &amp;foo; &amp;#0; &amp; x</p>"
    )


def test_behaviour_switches_are_removed() -> None:
    assert body("text __NOTOC__ more") == "<p>text  more</p>"


# -- tables ------------------------------------------------------------------------------------


def test_table() -> None:
    html = body(
        '{| class="wikitable" onclick="x"\n|+ Caption\n|-\n! H1 !! H2\n|- style="color:red"\n'
        '| style="font-weight:bold" | a || b\n|-\n| colspan="2" onmouseover="x" | c\n|}'
    )
    assert html == (
        '<table class="wikitable">\n<caption>Caption</caption>\n'
        "<tr>\n<th>H1</th>\n<th>H2</th>\n</tr>\n"
        '<tr style="color:red">\n<td style="font-weight:bold">a</td>\n<td>b</td>\n</tr>\n'
        '<tr>\n<td colspan="2">c</td>\n</tr>\n</table>'
    )


def test_table_cells_before_first_row_get_an_implicit_row() -> None:
    assert body("{|\n| a\n| b\n|}") == "<table>\n<tr>\n<td>a</td>\n<td>b</td>\n</tr>\n</table>"


def test_table_cell_with_several_lines_gets_block_content() -> None:
    html = body("{|\n| first\n* item\n|}")
    assert "<td><p>first</p>\n<ul><li>item</li></ul>\n</td>" in html


# -- anything else -----------------------------------------------------------------------------


def test_unclosed_table_and_comment_are_shown_as_text() -> None:
    assert body("{|\n| a") == "<p>{|\n| a</p>"
    assert body("a <!-- open") == "<p>a &lt;!-- open</p>"


def test_many_repeated_headings_get_unique_anchors() -> None:
    out = render("== Same ==\n" * 3000)
    anchors = [s.anchor for s in out.sections]
    assert len(set(anchors)) == 3000 and anchors[-1] == "Same_3000"


@pytest.mark.parametrize(
    "text",
    [
        "<div>\n" * 150 + "x" + "\n</div>" * 150,
        "<span>" * 300 + "x" + "</span>" * 300,
        "{|\n|\n" * 120 + "x\n" + "|}\n" * 120,
        "[[Foo|" * 300 + "x" + "]]" * 300,
    ],
)
def test_deep_nesting_renders_without_exhausting_the_stack(text: str) -> None:
    assert "x" in render(text).html


def test_renderer_keeps_no_state_between_renders() -> None:
    wiki = FakeWiki()
    first = render("[http://x] [[Category:A]] == H ==", wiki)
    second = render("[http://x] [[Category:B]]", wiki)
    assert ">[1]</a>" in first.html and ">[1]</a>" in second.html
    assert second.categories == ["B"]


# -- XSS ---------------------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[javascript:alert(1) x]",
    "[[javascript:alert(1)|x]]",
    "<span onmouseover=alert(1)>x</span>",
    '<span onmouseover="alert(1)" class="ok">x</span>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    '<div style="background:&#117;rl(javascript:alert(1))">x</div>',
    '<div style="background:u\\72l(x)">x</div>',
    '<div style="x:/**/expression(alert(1))">x</div>',
    '== "><script>alert(1)</script> ==',
    '[[Foo|"><script>alert(1)</script>]]',
    "[[Foo|<script>x</script>]]",
    '[http://x.example "><script>alert(1)</script>]',
    '[http://x.example/"onmouseover="alert(1) x]',
    "<svg onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<object data=x></object><embed src=x>",
    "<style>body{background:url(x)}</style>",
    '<form action="x"><input name="q"></form>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<b <script>alert(1)</script>>x</b>",
    '<span title="x" onclick=alert(1)//>x</span>',
    "<span/onmouseover=alert(1)>x</span>",
    "<small onmouseover=alert(1)>unclosed",
    "{{tmpl|<script>alert(1)</script>}}",
    "<nowiki><script>alert(1)</script></nowiki>",
    "<pre><script>alert(1)</script></pre>",
    '<pre onmouseover="alert(1)">x</pre>',
    '{| onmouseover="alert(1)"\n| onclick=alert(1) | <script>x</script>\n|}',
    "* <script>alert(1)</script>\n; <img src=x onerror=alert(1)> : x",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<!--><script>alert(1)</script>-->",
    "<<script>script>alert(1)<</script>/script>",
    "'''<script>''' alert(1)",
    '<div title="</div><script>alert(1)</script>">x</div>',
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_neutralised(payload: str) -> None:
    html = render(payload).html  # render() also checks tags, attributes, hrefs and nesting
    lowered = html.lower()
    assert "<script" not in lowered
    assert re.search(r"<[^>]*\son\w+\s*=", lowered) is None
    assert re.search(r"<[^<>]*href=\"\s*(javascript|data|vbscript):", lowered) is None
    for tag in ("img", "svg", "iframe", "object", "embed", "style", "form", "input", "math"):
        assert f"<{tag}" not in lowered


def test_script_is_shown_escaped() -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render("<script>alert(1)</script>").html


_FUZZ_PIECES = [
    "\n", "\n\n", " ", "word ", "''", "'''", "'''''", "[[", "]]", "[[Foo|bar]]", "[[Category:C]]",
    "|", "[http://x.example ", "]", "https://y.example/z", "{{", "}}", "<div>", "</div>", "</span>",
    "<span style='color:red'>", "<b>", "</b>", "<small>", "<table>", "<td>", "<p>", "</p>", "<pre>",
    "</pre>", "<nowiki>", "</nowiki>", "<!--", "-->", "{|", "|-", "|+", "||", "!!", "|}", "\n*", "\n#",
    "\n:", "\n;", "\n ", "\n==", "==", "\n----", "&amp;", "&", "<br>", "</br>", "<script>", "</script>",
    "onmouseover=", '"', "<", ">", "<ref>", "<h2>", "</h2>", "<blockquote>", "<hr>", "javascript:",
    "\n{|\n|", "\n|}", "=",
]  # fmt: skip


def test_random_markup_soup_keeps_the_invariants() -> None:
    rng = random.Random(20240101)
    wiki = FakeWiki()
    for _ in range(400):
        text = "".join(rng.choice(_FUZZ_PIECES + XSS_PAYLOADS) for _ in range(rng.randint(1, 30)))
        html = render(text, wiki).html
        assert "<script" not in html.lower(), text


# -- around the real title parser --------------------------------------------------------------


def test_with_the_real_title_parser() -> None:
    titles = TitleParser(Namespaces("AnchorWiki"))

    def parse_title(text: str) -> LinkTarget | None:
        title = titles.try_parse(text)
        if title is None or title.interwiki:
            return None
        return LinkTarget(title.prefixed_text, title.prefixed_dbkey, title.fragment, title.namespace)

    lookups: list[list[str]] = []

    def existing(keys: list[str]) -> set[str]:
        lookups.append(keys)
        return {"User_talk:Bob"} & set(keys)

    renderer = Renderer(
        parse_title=parse_title,
        article_url=lambda key: f"/wiki/{key}",
        edit_url=lambda key: f"/w/index.php?title={key}&action=edit",
        existing=existing,
    )
    out = renderer.render(
        "[[user_talk:bob#Older thread|Bob]] [[project:Rules]] [[Bad<title>]] "
        "[[Special:EmailUser/Bob]] [[Category:Talk pages]]"
    )
    check_html(out.html)
    assert '<a href="/wiki/User_talk:Bob#Older_thread" title="User talk:Bob">Bob</a>' in out.html
    assert 'href="/w/index.php?title=AnchorWiki:Rules&amp;action=edit" class="new"' in out.html
    assert "[[Bad&lt;title&gt;]]" in out.html
    assert '<a href="/wiki/Special:EmailUser/Bob" title="Special:EmailUser/Bob">' in out.html
    assert out.categories == ["Talk_pages"]
    assert lookups == [["User_talk:Bob", "AnchorWiki:Rules"]]


# -- MassMessage -------------------------------------------------------------------------------


def test_massmessage_delivered_section() -> None:
    text = (
        "== Subject ==\n\nMessage body with '''bold'''\n"
        "<!-- Message sent by User:Admin@anchorwiki using the list at "
        "http://x/w/index.php?title=L&oldid=5 -->"
    )
    out = render(text)
    assert out.html == (
        '<div class="mw-parser-output"><h2><span class="mw-headline" id="Subject">Subject</span></h2>\n'
        "<p>Message body with <b>bold</b></p>\n</div>"
    )
    assert out.sections == [Section(2, "Subject", "1", 1, "Subject")]
    assert "Message sent" not in out.html and "<!--" not in out.html


# -- performance -------------------------------------------------------------------------------


def _talk_page(size: int) -> str:
    parts: list[str] = []
    n = 0
    while sum(len(p) for p in parts) < size:
        n += 1
        parts.append(f"== Thread {n} about [[Topic {n}]] ==\n")
        for depth in range(6):
            parts.append(
                f"{':' * depth}Reply with '''bold''', ''italic'', [[User:Bob{depth}|Bob]], "
                f"[http://example.com/{n} a link], https://example.org/{depth} {{{{ping|Alice}}}} "
                f"<small>small</small> &mdash; [[User talk:Bob|talk]] 12:00, 1 January 2024 (UTC)\n"
            )
        parts.append('\n{| class="wikitable"\n! a !! b\n|-\n| 1 || 2\n|}\n<!-- c -->\n* item\n** sub\n\n')
    return "".join(parts)


def test_a_200kb_talk_page_renders_quickly() -> None:
    text = _talk_page(200_000)
    wiki = FakeWiki()
    start = time.perf_counter()
    out = wiki.renderer.render(text)
    elapsed = time.perf_counter() - start
    assert len(out.sections) > 100 and len(wiki.lookups) == 1
    assert elapsed < 3.0  # about 0.35 s on a developer machine; generous for slow CI
