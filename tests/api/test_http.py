"""HTTP-level behaviour of /w/api.php (api-conventions.md §1-§2, §9-§13)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from wikipost.app import build_app
from wikipost.wiki import Wiki

API = "/w/api.php"


def test_options_is_cors_only_with_empty_body(client: TestClient) -> None:
    r = client.options(API + "?action=query&meta=tokens&format=json")
    assert r.status_code == 200
    assert r.content == b""


def test_preflight_with_origin_star(client: TestClient) -> None:
    r = client.options(
        API + "?origin=*&action=query",
        headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Api-User-Agent",
        },
    )
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "POST, GET, HEAD"
    assert r.headers["access-control-allow-headers"] == "Api-User-Agent"
    assert r.content == b""


def test_origin_star_is_anonymous_and_gets_no_tokens(client: TestClient) -> None:
    r = client.get(API, params={"action": "query", "meta": "tokens", "format": "json", "origin": "*"})
    assert r.headers["mediawiki-login-suppressed"] == "true"
    assert r.headers["access-control-allow-credentials"] == "false"
    assert r.json() == {
        "batchcomplete": "",
        "warnings": {
            "tokens": {"*": "Tokens may not be obtained when the same-origin policy is not applied."}
        },
    }


def test_origin_not_in_origin_header_is_403_plain_text(client: TestClient) -> None:
    r = client.get(
        API,
        params={"action": "query", "origin": "https://a.example"},
        headers={"Origin": "https://b.example"},
    )
    assert r.status_code == 403
    assert r.text == "'origin' parameter does not match Origin header\n"


def test_origin_matching_but_not_allowed_proceeds_without_cors(client: TestClient) -> None:
    r = client.get(
        API,
        params={"action": "query", "meta": "tokens", "format": "json", "origin": "https://a.example"},
        headers={"Origin": "https://a.example"},
    )
    assert r.headers["mediawiki-cors-rejection"] == "Origin mismatch"
    assert "access-control-allow-origin" not in r.headers
    assert r.json()["query"]["tokens"]["csrftoken"] == "+\\"


def test_path_info_redirects_301_with_query(client: TestClient) -> None:
    r = client.get(API + "/foo?action=query&x=1", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == "/w/api.php?action=query&x=1"
    assert r.headers["content-type"].startswith("text/plain")


def test_head_has_headers_but_no_body(client: TestClient) -> None:
    r = client.head(API + "?action=query&meta=tokens&format=json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.content == b""


def test_weird_method_is_invalidmethod_405(client: TestClient) -> None:
    r = client.request("PROPFIND", API + "?action=query&format=json")
    assert r.status_code == 405
    assert r.headers["mediawiki-api-error"] == "invalidmethod"


def test_no_action_is_the_help_page(client: TestClient) -> None:
    r = client.get(API)
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>MediaWiki API help - AnchorWiki</title>" in r.text
    assert "emailuser" in r.text and "paraminfo" in r.text


def test_body_wins_over_query_string_and_last_repeat_wins(client: TestClient) -> None:
    r = client.post(
        API + "?action=query&meta=tokens&type=watch&format=json",
        content=b"type=login&type=csrf",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert list(r.json()["query"]["tokens"]) == ["csrftoken"]


def test_multipart_with_a_two_mebibyte_field_is_accepted(client: TestClient) -> None:
    big = "x" * (2 * 1024 * 1024)
    r = client.post(
        API,
        files={
            "action": (None, "query"),
            "meta": (None, "tokens"),
            "format": (None, "json"),
            "bigfield": (None, big),
        },
    )
    assert r.status_code == 200
    assert r.json()["warnings"]["main"]["*"] == "Unrecognized parameter: bigfield."


def test_body_over_the_limit_is_refused_cleanly(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki(site={"max_body_bytes": 1000})
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as c:
        r = c.post(API + "?format=json", data={"action": "query", "x": "y" * 5000})
        assert r.status_code == 413
        assert r.headers["mediawiki-api-error"] == "requesttoolarge"
        assert r.json()["error"]["code"] == "requesttoolarge"
        r = c.post(API + "?format=json", files={"action": (None, "query"), "x": (None, "y" * 5000)})
        assert r.status_code == 413


def test_unsupported_array_syntax_is_absent_with_warning(client: TestClient) -> None:
    r = client.get(API + "?action=query&meta=tokens&format=json&type[]=csrf")
    body = r.json()
    assert body["warnings"]["main"]["*"] == 'Parameter "type" uses unsupported PHP array syntax.'
    assert body["query"]["tokens"] == {"csrftoken": "+\\"}


def test_invalid_utf8_and_non_nfc_give_badutf8(client: TestClient) -> None:
    r = client.get(API + "?action=query&meta=tokens&format=json&requestid=%FFab")
    body = r.json()
    assert body["requestid"] == "\ufffdab"
    assert (
        'The value passed for "requestid" contains invalid or non-normalized data.'
        in body["warnings"]["main"]["*"]
    )
    r = client.get(API, params={"action": "query", "format": "json", "requestid": "e\u0301"})
    assert r.json()["requestid"] == "\u00e9"


def test_pipe_and_unit_separator_multi_values(client: TestClient) -> None:
    r = client.get(
        API, params={"action": "query", "meta": "tokens", "format": "json", "type": "csrf|watch|csrf"}
    )
    assert list(r.json()["query"]["tokens"]) == ["csrftoken", "watchtoken"]
    r = client.get(
        API, params={"action": "query", "meta": "tokens", "format": "json", "type": "\x1fcsrf\x1fwatch"}
    )
    assert list(r.json()["query"]["tokens"]) == ["csrftoken", "watchtoken"]
    r = client.get(API, params={"action": "query", "format": "json", "exportschema": "\x1f0.10"})
    assert r.json()["error"]["info"] == (
        'Parameter "exportschema" accepts only a single value. U+001F multi-value separation '
        "may only be used for multi-valued parameters."
    )


def test_toomanyvalues_carries_limits(client: TestClient) -> None:
    titles = "|".join(f"T{i}" for i in range(51))
    r = client.get(API, params={"action": "query", "titles": titles, "format": "json"})
    error = r.json()["error"]
    assert error["code"] == "toomanyvalues"
    assert list(error)[:5] == ["code", "info", "limit", "lowlimit", "highlimit"]
    assert (error["limit"], error["lowlimit"], error["highlimit"]) == (50, 50, 500)


def test_bad_enum_and_missing_required(client: TestClient) -> None:
    r = client.get(API, params={"action": "query", "format": "json", "assert": "other"})
    assert r.json()["error"]["info"] == 'Unrecognized value for parameter "assert": other.'
    r = client.get(API, params={"action": "paraminfo", "format": "json", "helpformat": "x"})
    assert r.json()["error"]["code"] == "badvalue"


def test_asserts(client: TestClient) -> None:
    r = client.get(API, params={"action": "query", "format": "json", "assert": "user"})
    assert r.json()["error"]["code"] == "assertuserfailed"
    r = client.get(API, params={"action": "query", "format": "json", "assert": "bot"})
    assert r.json()["error"]["code"] == "assertbotfailed"
    r = client.get(API, params={"action": "query", "format": "json", "assert": "anon"})
    assert "error" not in r.json()
    r = client.get(API, params={"action": "query", "format": "json", "assertuser": "Nobody"})
    assert r.json()["error"]["info"] == (
        'You are no longer logged in as "Nobody", so the action could not be completed.'
    )


def test_maxlag_never_fires_on_one_database(client: TestClient) -> None:
    r = client.get(API, params={"action": "query", "meta": "tokens", "format": "json", "maxlag": "-1"})
    assert "error" not in r.json()
    r = client.get(API, params={"action": "query", "format": "json", "maxlag": "soon"})
    assert r.json()["error"]["code"] == "badinteger"


def test_requested_fields_order_and_servedby_off_by_default(client: TestClient) -> None:
    r = client.get(
        API,
        params={
            "action": "query",
            "meta": "tokens",
            "format": "json",
            "requestid": "42",
            "curtimestamp": "",
            "responselanginfo": "",
            "servedby": "",
        },
    )
    assert list(r.json()) == ["batchcomplete", "requestid", "curtimestamp", "uselang", "errorlang", "query"]


def test_servedby_when_hostnames_are_shown(make_wiki: Callable[..., Wiki]) -> None:
    wiki = make_wiki(site={"show_hostnames": True})
    with TestClient(build_app(wiki), base_url="http://127.0.0.1:8081") as c:
        r = c.get(API, params={"action": "query", "format": "json", "servedby": ""})
        assert "servedby" in r.json()
        r = c.get(API, params={"action": "nope", "format": "json", "requestid": "7"})
        assert list(r.json()) == ["error", "requestid", "servedby"]
        assert "servedby" not in r.json()["error"]


def test_error_keeps_earlier_warnings_after_it(client: TestClient) -> None:
    r = client.get(API + "?action=nope&format=json&x[]=1&requestid=9")
    assert list(r.json()) == ["error", "warnings", "requestid"]
