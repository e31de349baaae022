"""Output printers: json, jsonfm, xml, xmlfm, php, none (ApiFormat* in MediaWiki)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from wikipost.api.result import ResultList, to_json_data

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


def _attr(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return html.escape(str(value), quote=True)


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list | tuple)


def _xml_element(name: str, value: Any, out: list[str]) -> None:
    if isinstance(value, list | tuple):
        element = value.element if isinstance(value, ResultList) else "_v"
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
        text = "" if isinstance(value, bool) else _attr(value)
        # A bare scalar (a list item): Xml::element without xml:space, as ApiFormatXml writes it.
        out.append(f"<{name}>{text}</{name}>" if text else f"<{name} />")
        return
    if value.get("_type") == "kvp":
        keyname = value.get("_kvpkeyname", "name")
        element = value.get("_element", "_v")
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
        element = value["_element"]
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
    content_key = value.get("_content")
    subelements = set(value.get("_subelements", ()))
    bc_bools = set(value.get("_BC_bools", ()))
    attrs: list[str] = []
    children: list[str] = []
    text_content: str | None = None
    for key, item in value.items():
        if key.startswith("_") and key != "_idx":
            continue
        if key == content_key or (key == "*" and content_key is None):
            if isinstance(item, bool):
                item = "" if item else None
            if item is not None and _scalar(item):
                text_content = _attr(item)
            elif item is not None:
                _xml_element(key, item, children)
            continue
        if _scalar(item) and key not in subelements:
            if isinstance(item, bool) and key not in bc_bools:
                if item:
                    attrs.append(f'{key}=""')
                continue
            if isinstance(item, bool):
                attrs.append(f'{key}="{"true" if item else "false"}"')
                continue
            if item is None:
                continue
            attrs.append(f'{key}="{_attr(item)}"')
        else:
            _xml_element(key, item, children)
    if text_content is not None:
        attrs.append('xml:space="preserve"')
    opening = name + "".join(" " + a for a in attrs)
    if not children and not text_content:
        out.append(f"<{opening} />")
    else:
        out.append(f"<{opening}>{text_content or ''}{''.join(children)}</{name}>")


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
    "You are looking at the HTML representation of the {fmt} format. HTML is good for debugging, "
    "but is unsuitable for application use."
)


def html_wrap(text: str, fmt: str, api_url: str) -> str:
    """The ``*fm`` formats: the result pretty-printed inside an HTML page, as MediaWiki does."""
    intro = HTML_INTRO.format(fmt=fmt.upper())
    return (
        '<!DOCTYPE html>\n<html class="client-nojs" lang="en" dir="ltr">\n<head>\n'
        '<meta charset="UTF-8"/>\n<title>MediaWiki API result</title>\n</head>\n'
        '<body class="mediawiki ltr sitedir-ltr mw-hide-empty-elt ns--1 ns-special '
        'page-Special_ApiHelp rootpage-Special_ApiHelp skin- action-view">'
        f'<div class="api-pretty-header"><p>{intro}</p>\n<p>Specify the <var>format</var> parameter '
        "to change the output format. To see the non-HTML representation of the "
        f"{fmt.upper()} format, set <kbd>format={fmt}</kbd>.</p>\n<p>See the "
        f'<a href="{html.escape(api_url)}">complete documentation</a>, or the '
        f'<a href="{html.escape(api_url)}">API help</a> for more information.</p></div>\n'
        f'<pre class="api-pretty-content">{html.escape(text, quote=False)}</pre>\n</body>\n</html>'
    )


def render(
    fmt: str,
    data: dict[str, Any],
    *,
    formatversion: int,
    api_url: str,
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
                html_wrap(text, "xml", api_url).encode(), "text/html; charset=utf-8", "api-result.html"
            )
        return Printed(text.encode(), "text/xml; charset=utf-8", "api-result.xml")
    if fmt in ("php", "phpfm"):
        text = _php_serialize(to_json_data(data, formatversion))
        if fmt == "phpfm":
            return Printed(
                html_wrap(text, "php", api_url).encode(), "text/html; charset=utf-8", "api-result.html"
            )
        return Printed(text.encode(), "application/vnd.php.serialized; charset=utf-8", "api-result.php")
    if fmt in ("jsonfm", "rawfm"):
        text = print_json(
            data, formatversion=formatversion, utf8=utf8, ascii=ascii, callback=callback, pretty=True
        )
        return Printed(
            html_wrap(text, "json", api_url).encode(), "text/html; charset=utf-8", "api-result.html"
        )
    text = print_json(data, formatversion=formatversion, utf8=utf8, ascii=ascii, callback=callback)
    if callback is not None:
        return Printed(text.encode(), "text/javascript; charset=utf-8", "api-result.js")
    return Printed(text.encode(), "application/json; charset=utf-8", "api-result.json")
