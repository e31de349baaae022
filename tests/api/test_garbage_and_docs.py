"""Garbage never yields a traceback or a 500; help, paraminfo and siteinfo serve the clients."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

API = "/w/api.php"

GARBAGE_QUERIES = [
    "%FF%FE%00action=query",
    "action=%FF&format=json",
    "action=query&meta=tokens&type=%C0%AF",
    "action[]=query&format=json",
    "action=query&format[]=json",
    "format=%00&action=help",
    "action=query&meta=siteinfo&siprop=" + "general|" * 60 + "&format=json",
    "action=query&list=" + "x" * 30_000 + "&format=json",
    "action=query&maxlag=1e999&format=json",
    "action=query&smaxage=-5&format=json",
    "action=paraminfo&modules=" + "|".join("x" * 51),
    "action=paraminfo&modules=query%2Bnope%2Bdeeper|main%2B*|query%2B**|json&format=json",
    "action=help&modules=nope&format=json",
    "action=help&modules=query&submodules=&wrap=",
    "action=query&format=json&callback=%FF%00",
    "action=query&format=json&errorformat=zzz",
    "action=query&titles=%1F&format=json",
    "action=query&titles=%1F%1F%1F&format=json",
    "=&&&==&a==b&format=json",
    "action=query&format=xml&requestid=%3C%26%27%22%3E",
    "action=query&format=php&requestid=%E2%82%AC",
    "action=query&format=json&formatversion=3",
    "action=query&format=json&uselang=%FF&errorformat=html&errorlang=xx",
    "action=query&format=json&origin=null",
    "action=emailuser&format=json&token=%FF",
]


@pytest.mark.parametrize("query", GARBAGE_QUERIES)
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD", "DELETE"])
def test_garbage_is_answered_not_crashed(client: TestClient, method: str, query: str) -> None:
    if method == "POST":
        r = client.post(
            API, content=query.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    else:
        r = client.request(method, f"{API}?{query}")
    assert r.status_code in (200, 403, 405)
    assert "Traceback" not in r.text
    assert not (r.headers.get("mediawiki-api-error") or "").startswith("internal_api_error")
    if r.headers.get("content-type", "").startswith("application/json") and method != "HEAD":
        json.loads(r.text)


@pytest.mark.parametrize(
    "body,ctype",
    [
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"--x\r\nnot really multipart", "multipart/form-data; boundary=x"),
        (
            b'--x\r\nContent-Disposition: form-data; name="action"\r\n\r\nquery\r\n--x--\r\n',
            "multipart/form-data",
        ),
        (b'{"action": "query"}', "application/json"),
        (b"action=query&format=json", b"text/plain; charset=\xff"),
    ],
)
def test_garbage_bodies(client: TestClient, body: bytes, ctype: str | bytes) -> None:
    r = client.post(API + "?format=json", content=body, headers={"Content-Type": ctype})
    assert r.status_code == 200
    assert "Traceback" not in r.text


def test_cookie_garbage(client: TestClient) -> None:
    client.cookies.set("anchorwiki_session", "\x7f\x00;;==")
    r = client.get(API, params={"action": "query", "meta": "tokens", "format": "json"})
    assert r.status_code == 200


def test_help_wrapped_in_json(client: TestClient) -> None:
    r = client.get(
        API, params={"action": "help", "format": "json", "wrap": "", "modules": "emailuser|query+tokens"}
    )
    help_ = r.json()["help"]
    assert help_["mime"] == "text/html"
    assert "<html" in help_["help"] and "query+tokens" in help_["help"]
    assert "This module requires write rights." in help_["help"]


def test_help_unwrapped_is_raw_html_even_with_format_json(client: TestClient) -> None:
    r = client.get(
        API, params={"action": "help", "format": "json", "modules": "main", "recursivesubmodules": ""}
    )
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    for name in ("paraminfo", "query+siteinfo", "emailuser", "Default: jsonfm"):
        assert name in r.text


def test_help_unknown_module_is_badmodule(client: TestClient) -> None:
    r = client.get(API, params={"action": "help", "format": "json", "modules": "nope"})
    assert r.json()["error"]["code"] == "badmodule"


def _paraminfo(client: TestClient, modules: str) -> dict[str, dict]:
    r = client.post(API, data={"action": "paraminfo", "modules": modules, "format": "json"})
    return {m["path"]: m for m in r.json()["paraminfo"]["modules"]}


def test_paraminfo_is_what_pywikibot_needs(client: TestClient) -> None:
    mods = _paraminfo(client, "main|paraminfo|query|query+tokens|query+siteinfo")
    assert set(mods) == {"main", "paraminfo", "query", "query+tokens", "query+siteinfo"}
    action = next(p for p in mods["main"]["parameters"] if p["name"] == "action")
    assert set(action["type"]) == set(action["submodules"])
    assert {"query", "paraminfo", "help"} <= set(action["type"])
    assert all(v == k for k, v in action["submodules"].items())
    query = {p["name"]: p for p in mods["query"]["parameters"]}
    for group in ("prop", "list", "meta"):
        assert isinstance(query[group]["limit"], int)
        assert all(v == f"query+{k}" for k, v in query[group]["submodules"].items())
    assert set(query["generator"]["type"]) <= set(query["prop"]["type"]) | set(query["list"]["type"])
    assert "tokens" in query["meta"]["submodules"]
    tokens = mods["query+tokens"]
    assert (tokens["group"], tokens["prefix"]) == ("meta", "")
    assert "login" in tokens["parameters"][0]["type"]
    assert mods["query+siteinfo"]["prefix"] == "si"
    assert "mustbeposted" not in mods["query"]  # fv1: false is absent


def test_paraminfo_submodule_wildcards_and_querymodules(client: TestClient) -> None:
    mods = _paraminfo(client, "query+*")
    assert {"query+tokens", "query+siteinfo"} <= set(mods)
    r = client.get(
        API, params={"action": "paraminfo", "querymodules": "tokens", "format": "json", "formatversion": "2"}
    ).json()
    assert r["paraminfo"]["querymodules"][0]["querytype"] == "meta"
    assert r["warnings"]["paraminfo"]["warnings"] == 'The parameter "querymodules" has been deprecated.'


def test_siteinfo_general_for_clients(client: TestClient) -> None:
    r = client.post(
        API,
        data={
            "action": "query",
            "meta": "siteinfo",
            "format": "json",
            "siprop": "general|namespaces|namespacealiases",
            "formatversion": "2",
        },
    ).json()["query"]
    general = r["general"]
    assert general["generator"] == "MediaWiki 1.39.17"
    assert isinstance(general["thumblimits"], dict) and isinstance(general["imagelimits"], dict)
    assert isinstance(general["magiclinks"], dict)
    assert "$1" in general["articlepath"] and general["case"] == "first-letter"
    assert r["namespaces"]["3"]["name"] == "User talk"
    assert r["namespacealiases"] == [{"id": 6, "alias": "Image"}, {"id": 7, "alias": "Image talk"}]


def test_siteinfo_extensions_and_unknown_prop(client: TestClient) -> None:
    r = client.get(
        API,
        params={"action": "query", "meta": "siteinfo", "format": "json", "siprop": "extensions|interwikimap"},
    ).json()
    names = [e["name"] for e in r["query"]["extensions"]]
    assert names == ["MassMessage", "Wikipost"]
    assert r["warnings"]["siteinfo"]["*"] == 'Unrecognized value for parameter "siprop": interwikimap'
