"""Output formats, formatversion, error formats and key order (api-conventions.md §3, §5, §6, §14)."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.testclient import TestClient

from wikipost.api.context import ApiContext
from wikipost.api.module import QueryModule
from wikipost.api.modules import ALL_MODULES
from wikipost.api.modules.query import query_result
from wikipost.api.params import Param
from wikipost.api.registry import Registry
from wikipost.app import build_app
from wikipost.wiki import Wiki

API = "/w/api.php"
DOCREF = (
    "See http://127.0.0.1:8081/w/api.php for API usage. Subscribe to the "
    "mediawiki-api-announce mailing list at &lt;https://lists.wikimedia.org/postorius/lists/"
    "mediawiki-api-announce.lists.wikimedia.org/&gt; for notice of API deprecations and "
    "breaking changes."
)


def get(client: TestClient, **params: str) -> Any:
    return client.get(API, params=params)


def test_json_fv1_and_fv2(client: TestClient) -> None:
    assert (
        get(client, action="query", meta="tokens", format="json").text
        == '{"batchcomplete":"","query":{"tokens":{"csrftoken":"+\\\\"}}}'
    )
    for fv in ("2", "latest"):
        assert (
            get(client, action="query", meta="tokens", format="json", formatversion=fv).json()[
                "batchcomplete"
            ]
            is True
        )


def test_non_ascii_escaping_per_formatversion(client: TestClient) -> None:
    base = {"action": "query", "format": "json", "requestid": "é/<&>"}
    assert '"requestid":"\\u00e9/<&>"' in get(client, **base).text
    assert '"requestid":"é/<&>"' in get(client, **base, utf8="").text
    assert '"requestid":"é/<&>"' in get(client, **base, formatversion="2").text
    assert '"requestid":"\\u00e9/<&>"' in get(client, **base, formatversion="2", ascii="").text


def test_jsonp_callback_is_anonymous_javascript(client: TestClient) -> None:
    r = get(client, action="query", meta="tokens", format="json", callback="cb<x>.y", _="1")
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.headers["mediawiki-login-suppressed"] == "true"
    assert r.text.startswith("/**/cbx.y({")
    assert "Unrecognized" not in r.text  # jQuery's "_" is ignored with callback


def test_other_formats(client: TestClient) -> None:
    r = get(client, action="query", meta="tokens", format="xml")
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    assert r.text == (
        '<?xml version="1.0"?><api batchcomplete=""><query><tokens csrftoken="+\\" /></query></api>'
    )
    r = get(client, action="query", meta="tokens", format="none")
    assert (r.headers["content-type"], r.content) == ("text/plain; charset=utf-8", b"")
    r = get(client, action="query", meta="tokens", format="jsonfm")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    r = get(client, action="query", meta="tokens", format="php")
    assert (
        r.text == 'a:2:{s:13:"batchcomplete";s:0:"";s:5:"query";a:1:{s:6:"tokens";'
        'a:1:{s:9:"csrftoken";s:2:"+\\";}}}'
    )
    assert r.headers["content-disposition"] == "inline; filename=api-result.php"


def test_unknown_format_is_badvalue_printed_as_jsonfm(client: TestClient) -> None:
    r = get(client, action="query", format="yaml")
    assert r.headers["mediawiki-api-error"] == "badvalue"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        "Unrecognized value for parameter &quot;format&quot;: yaml." in r.text
        or 'Unrecognized value for parameter \\"format\\": yaml.' in r.text
    )


def test_formatversion_with_xml_is_unrecognized(client: TestClient) -> None:
    r = get(client, action="query", format="xml", formatversion="2")
    assert '<warnings><main xml:space="preserve">Unrecognized parameter: formatversion.' in r.text


def test_xml_error_envelope(client: TestClient) -> None:
    r = get(client, action="nope", format="xml")
    assert r.text == (
        '<?xml version="1.0"?><api><error code="badvalue" info="Unrecognized value '
        'for parameter &quot;action&quot;: nope." xml:space="preserve">'
        + DOCREF.replace("&", "&amp;")
        + "</error></api>"
    )


def test_bc_error_fv1_and_fv2(client: TestClient) -> None:
    assert get(client, action="nope", format="json").json() == {
        "error": {"code": "badvalue", "info": 'Unrecognized value for parameter "action": nope.', "*": DOCREF}
    }
    assert get(client, action="nope", format="json", formatversion="2").json() == {
        "error": {
            "code": "badvalue",
            "info": 'Unrecognized value for parameter "action": nope.',
            "docref": DOCREF,
        }
    }


def test_modern_error_formats(client: TestClient) -> None:
    info = 'Unrecognized value for parameter "action": nope.'
    base = {"action": "nope", "format": "json", "formatversion": "2"}
    assert get(client, **base, errorformat="plaintext").json() == {
        "errors": [{"code": "badvalue", "text": info, "module": "main"}],
        "docref": DOCREF,
    }
    assert get(client, **base, errorformat="none").json() == {
        "errors": [{"code": "badvalue", "module": "main"}],
        "docref": DOCREF,
    }
    raw = get(client, **base, errorformat="raw").json()["errors"][0]
    assert list(raw) == ["code", "key", "params", "module"]
    fv1 = get(client, action="nope", format="json", errorformat="plaintext").json()
    assert fv1 == {"errors": [{"code": "badvalue", "module": "main", "*": info}], "*": DOCREF}


def test_warning_shapes(client: TestClient) -> None:
    fv1 = get(client, action="query", format="json", bogus="1").json()
    assert fv1["warnings"] == {"main": {"*": "Unrecognized parameter: bogus."}}
    fv2 = get(client, action="query", format="json", formatversion="2", a="1", b="2").json()
    assert fv2["warnings"] == {"main": {"warnings": "Unrecognized parameters: a, b."}}
    modern = get(
        client, action="query", format="json", formatversion="2", bogus="1", errorformat="plaintext"
    ).json()
    assert modern["warnings"] == [
        {"code": "unrecognizedparams", "text": "Unrecognized parameter: bogus.", "module": "main"}
    ]


class _Paged(QueryModule):
    """A list module that continues and warns, to check top-level key order."""

    name = "paged"
    group = "list"
    prefix = "pg"
    params: ClassVar[tuple[Param, ...]] = (Param("warn", "boolean"),)

    def execute(self, ctx: ApiContext, params: dict[str, Any]) -> None:
        if params["warn"]:
            ctx.warn(None, "paged", "A warning from the module.")
        ctx.result["continue"] = {"pgcontinue": "2", "continue": "-||"}
        query_result(ctx)["paged"] = [{"n": 1}]


def test_key_order_follows_mediawiki_add_on_top(wiki: Wiki) -> None:
    registry = Registry([*ALL_MODULES, _Paged])
    with TestClient(build_app(wiki, registry), base_url="http://127.0.0.1:8081") as c:
        plain = c.get(API, params={"action": "query", "list": "paged", "format": "json"}).json()
        assert list(plain) == ["batchcomplete", "continue", "query"]
        warned = c.get(
            API, params={"action": "query", "list": "paged", "pgwarn": "", "format": "json"}
        ).json()
        assert list(warned) == ["batchcomplete", "continue", "warnings", "query"]
        unused = c.get(API, params={"action": "query", "list": "paged", "zz": "1", "format": "json"}).json()
        assert list(unused) == ["warnings", "batchcomplete", "continue", "query"]
