"""Output printers: json, jsonfm, xml, xmlfm, php, none (ApiFormat* in MediaWiki)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from wikipost.api.result import ResultList, clean_text, to_json_data

_CALLBACK_CHARS = re.compile(r"[^\]\[.'\"_A-Za-z0-9]")


@dataclass(frozen=True)
class Printed:
    body: bytes
    content_type: str
    filename: str


def print_json(
    data: dict[str, Any],
    *,
    formatversion: int,
    utf8: bool = False,
    ascii: bool = False,
    callback: str | None = None,
    pretty: bool = False,
) -> str:
    tree = to_json_data(data, formatversion)
    ensure_ascii = (not utf8) if formatversion == 1 else ascii
    if pretty:
        text = json.dumps(tree, ensure_ascii=ensure_ascii, indent=4)
    else:
        text = json.dumps(tree, ensure_ascii=ensure_ascii, separators=(",", ":"))
    if callback is not None:
        text = f"/**/{_CALLBACK_CHARS.sub('', callback)}({text})"
    return text


# ApiFormatXml::mangleName: a key that is no XML name becomes "_" + the key with each character
# that may not appear in a name written as ".HEX." ("." itself is ".2E."). ":" is left out of
# both sets (reserved for namespaces) and "_" cannot start a name (reserved for mangled ones).
_NAME_START = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NAME_CHAR = _NAME_START + "_\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"
_XML_NAME = re.compile(f"[{_NAME_START}][{_NAME_CHAR}]*")
_NOT_NAME_CHAR = re.compile(f"[^{_NAME_CHAR}]")
# Sanitizer::encodeAttribute: htmlspecialchars(ENT_QUOTES), then the whitespace that attribute
# normalisation would turn into spaces as character references.
_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#039;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)
# Xml::element's text: htmlspecialchars(ENT_NOQUOTES).
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


@lru_cache(maxsize=4096)
def _name(key: str) -> str:
    """An element or attribute name for a result key (mangled when XML does not allow it)."""
    if key == "":
        return "_"
    if _XML_NAME.fullmatch(key):
        return key
    return "_" + _NOT_NAME_CHAR.sub(lambda m: f".{ord(m.group()):X}.", key.replace(".", ".2E."))


def _string(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))


def _attr(value: Any) -> str:
    return _string(value).translate(_ATTR_ESCAPES)


def _text(value: Any) -> str:
    return _string(value).translate(_TEXT_ESCAPES)


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list | tuple)


def _xml_element(name: str, value: Any, out: list[str]) -> None:
    """ApiFormatXml::recXmlPrint for one result value (``name`` is already an XML name)."""
    if isinstance(value, list | tuple):
        element = _name(value.element if isinstance(value, ResultList) else "_v")
        if not value:  # ApiFormatXml: an empty list is an empty element
            out.append(f"<{name} />")
            return
        out.append(f"<{name}>")
        for item in value:
            _xml_element(element, item, out)
        out.append(f"</{name}>")
        return
    if not isinstance(value, dict):
        if isinstance(value, bool) and not value:
            return
        text = "" if isinstance(value, bool) else _text(value)
        # A bare scalar (a list item): Xml::element without xml:space, as ApiFormatXml writes it.
        out.append(f"<{name}>{text}</{name}>" if text else f"<{name} />")
        return
    if value.get("_type") == "kvp":
        keyname = value.get("_kvpkeyname", "name")
        element = _name(value.get("_element", "_v"))
        out.append(f"<{name}>")
        for key, item in value.items():
            if key.startswith("_"):
                continue
            node = dict(item) if isinstance(item, dict) else {"*": item, "_content": "*"}
            # The key comes after the item's own attributes: <slot contentmodel=… role="main">.
            _xml_element(element, {**node, keyname: key}, out)
        out.append(f"</{name}>")
        return
    if "_element" in value:
        # An assoc array with an indexed tag name (query.pages keyed by page id in fv1): each item
        # is an <element>; ApiFormatXml keeps its key in an "_idx" attribute, or in the item's own
        # key attribute (``_kvpkeyname``, e.g. a namespace's "id") when the item carries one.
        element = _name(value["_element"])
        keyname = value.get("_kvpkeyname", "_idx")
        out.append(f"<{name}>")
        for key, item in value.items():
            if key.startswith("_"):
                continue
            node = dict(item) if isinstance(item, dict) else {"*": item, "_content": "*"}
            if keyname not in node:
                node = {keyname: key, **node}
            _xml_element(element, node, out)
        out.append(f"</{name}>")
        return
    _xml_object(name, value, out)


def _xml_object(name: str, value: dict[str, Any], out: list[str]) -> None:
    """An object: scalars become attributes, lists and objects child elements, and the content
    value the element's text — or, when there are children too, a last child element of its own
    named after the content key (an error's docref beside its blockinfo)."""
    content_key = value.get("_content", "*")
    subelements = set(value.get("_subelements", ()))
    attrs: list[str] = []
    children: list[str] = []
    content: str | None = None
    for key, item in value.items():
        if key.startswith("_") and key != "_idx":
            continue
        if key == content_key:
            if isinstance(item, bool):
                item = "" if item else None
            if item is not None and _scalar(item):
                content = _text(item)
            elif item is not None:
                _xml_element(_name(key), item, children)
            continue
        if not _scalar(item):
            _xml_element(_name(key), item, children)
        elif key in subelements:
            # A scalar printed as an element of its own: its text content, as 1.39 wraps it.
            if item is not None:
                text = ("true" if item else "false") if isinstance(item, bool) else _text(item)
                children.append(_content_element(_name(key), text))
        elif isinstance(item, bool):
            # Booleans are attributes present with an empty value, or absent.
            if item:
                attrs.append(f'{_attr_name(key)}=""')
        elif item is not None:
            attrs.append(f'{_attr_name(key)}="{_attr(item)}"')
    if content is not None and children:
        children.append(_content_element(_name(content_key), content))
        content = None
    if content is not None:
        attrs.append('xml:space="preserve"')
    opening = name + "".join(" " + a for a in attrs)
    if not children and not content:
        out.append(f"<{opening} />")
    else:
        out.append(f"<{opening}>{content or ''}{''.join(children)}</{name}>")


def _content_element(name: str, text: str) -> str:
    """An element holding nothing but (escaped) text: ``xml:space="preserve"``, as 1.39 writes."""
    if not text:
        return f'<{name} xml:space="preserve" />'
    return f'<{name} xml:space="preserve">{text}</{name}>'


def _attr_name(key: str) -> str:
    # "_idx" is the attribute ApiFormatXml adds itself, never mangled.
    return key if key == "_idx" else _name(key)


def print_xml(data: dict[str, Any]) -> str:
    out: list[str] = []
    _xml_element("api", data, out)
    return '<?xml version="1.0"?>' + "".join(out)


def _php_serialize(value: Any) -> str:
    if value is None:
        return "N;"
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, float):
        return f"d:{value!r};"
    if isinstance(value, str):
        return f's:{len(value.encode())}:"{value}";'
    items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
    body = "".join(_php_serialize(k) + _php_serialize(v) for k, v in items)
    return f"a:{len(items)}:{{{body}}}"


HTML_INTRO = (
    "This is the HTML representation of the {fmt} format. HTML is good for debugging, but is "
    "unsuitable for application use."
)


def html_wrap(text: str, fmt: str, api_url: str, site_name: str) -> str:
    """The ``*fm`` formats: the result pretty-printed inside an HTML page titled like 1.39's
    ("MediaWiki API result - <site name>")."""
    intro = HTML_INTRO.format(fmt=fmt.upper())
    title = html.escape(f"MediaWiki API result - {site_name}", quote=False)
    help_url = html.escape(f"{api_url}?action=help&modules=main")
    return (
        '<!DOCTYPE html>\n<html class="client-nojs" lang="en" dir="ltr">\n<head>\n'
        f'<meta charset="UTF-8"/>\n<title>{title}</title>\n</head>\n'
        '<body class="mediawiki ltr sitedir-ltr mw-hide-empty-elt ns--1 ns-special '
        'mw-special-ApiHelp page-Special_ApiHelp rootpage-Special_ApiHelp skin-apioutput action-view">'
        '<h1 id="firstHeading">MediaWiki API result</h1>\n'
        f'<div class="api-pretty-header"><p>{intro}</p>\n<p>Specify the <var>format</var> parameter '
        "to change the output format. To see the non-HTML representation of the "
        f"{fmt.upper()} format, set <kbd>format={fmt}</kbd>.</p>\n<p>See the "
        '<a href="https://www.mediawiki.org/wiki/API">complete documentation</a>, or the '
        f'<a href="{help_url}">API help</a> for more information.</p></div>\n'
        f'<pre class="api-pretty-content">{html.escape(text, quote=False)}</pre>\n</body>\n</html>'
    )


def render(
    fmt: str,
    data: dict[str, Any],
    *,
    formatversion: int,
    api_url: str,
    site_name: str,
    utf8: bool = False,
    ascii: bool = False,
    callback: str | None = None,
) -> Printed:
    if fmt == "none":
        return Printed(b"", "text/plain; charset=utf-8", "api-result.txt")
    if fmt in ("xml", "xmlfm"):
        text = print_xml(data)
        if fmt == "xmlfm":
            return Printed(
                html_wrap(text, "xml", api_url, site_name).encode(),
                "text/html; charset=utf-8",
                "api-result.html",
            )
        return Printed(text.encode(), "text/xml; charset=utf-8", "api-result.xml")
    if fmt in ("php", "phpfm"):
        text = _php_serialize(to_json_data(data, formatversion))
        if fmt == "phpfm":
            return Printed(
                html_wrap(text, "php", api_url, site_name).encode(),
                "text/html; charset=utf-8",
                "api-result.html",
            )
        return Printed(text.encode(), "application/vnd.php.serialized; charset=utf-8", "api-result.php")
    if fmt in ("jsonfm", "rawfm"):
        text = print_json(
            data, formatversion=formatversion, utf8=utf8, ascii=ascii, callback=callback, pretty=True
        )
        return Printed(
            html_wrap(text, "json", api_url, site_name).encode(),
            "text/html; charset=utf-8",
            "api-result.html",
        )
    text = print_json(data, formatversion=formatversion, utf8=utf8, ascii=ascii, callback=callback)
    if callback is not None:
        return Printed(text.encode(), "text/javascript; charset=utf-8", "api-result.js")
    return Printed(text.encode(), "application/json; charset=utf-8", "api-result.json")
