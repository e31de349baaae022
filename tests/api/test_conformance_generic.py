"""Generic answers compared with the MediaWiki 1.39 transcripts: tokens, paraminfo, siteinfo,
generic errors."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conformance_compare import assert_conforms, compare, record, replay
from wikipost.api.modules.query_siteinfo import STATISTICS_KEYS
from wikipost.api.registry import build_registry

ANON_TOKEN_RECORDS = [
    "tokens.csrf.anon",
    "tokens.login.anon",
    "tokens.all.anon",
    "tokens.invalid_type.anon",
    "tokens.csrf.anon.fv2",
]


@pytest.mark.parametrize("name", ANON_TOKEN_RECORDS)
def test_anonymous_tokens_match_transcript(client: TestClient, name: str) -> None:
    rec = record(name)
    assert_conforms(rec, replay(client, rec))


def test_tokens_without_format_is_jsonfm_html(client: TestClient) -> None:
    rec = record("tokens.csrf.anon.no_format")
    r = replay(client, rec)
    assert r.status_code == 200
    assert r.headers["content-type"].lower() == "text/html; charset=utf-8"
    assert "<pre" in r.text and "csrftoken" in r.text


@pytest.mark.parametrize("module", ["emailuser", "massmessage", "editmassmessagelist", "login"])
def test_paraminfo_module_matches_transcript(client: TestClient, module: str) -> None:
    assert build_registry().get("action", module) is not None, f"action={module} is not registered"
    rec = record("paraminfo.modules")
    expected = next(m for m in rec["body"]["paraminfo"]["modules"] if m["name"] == module)
    r = client.get(
        "/w/api.php",
        params={"action": "paraminfo", "modules": module, "format": "json", "formatversion": "2"},
    )
    body = r.json()
    assert list(body) == ["paraminfo"]
    assert body["paraminfo"]["helpformat"] == "none"
    problems = compare(expected, body["paraminfo"]["modules"][0])
    assert not problems, "\n".join(problems)


def test_siteinfo_namespaces_match_transcript(client: TestClient) -> None:
    rec = record("siteinfo.namespaces")
    assert_conforms(rec, replay(client, rec))


@pytest.mark.parametrize("name", ["siteinfo.statistics.before", "siteinfo.statistics.after"])
def test_siteinfo_statistics_shape_matches_transcript(client: TestClient, name: str) -> None:
    rec = record(name)
    assert_conforms(rec, replay(client, rec), vary=set(STATISTICS_KEYS))


GENERIC_ERROR_RECORDS = [
    "emailuser.GET_with_token",
    "emailuser.GET_without_token",
    "emailuser.fv2.error_missingparam",
    "emailuser.missing_everything",
    "emailuser.anon.token_plus_unencoded",
    "emailuser.anon.missing_token",
    "login.GET",
    "massmessage.GET",
    "massmessage.GET_without_token",
    "editmassmessagelist.GET",
]


@pytest.mark.parametrize("name", GENERIC_ERROR_RECORDS)
def test_generic_errors_match_transcript(client: TestClient, name: str) -> None:
    rec = record(name)
    action = (rec.get("params") or rec.get("form") or {}).get("action")
    if action is None and rec.get("raw_body"):
        action = "emailuser"
    assert build_registry().get("action", action) is not None, f"action={action} is not registered"
    assert_conforms(rec, replay(client, rec))


def test_post_without_content_type_shows_help_with_deprecation_warning(client: TestClient) -> None:
    rec = record("emailuser.post_without_content_type")
    r = replay(client, rec, raw_content_type=None)
    assert r.status_code == 200
    assert r.headers["content-type"].lower() == "text/html; charset=utf-8"
    assert "mediawiki-api-error" not in r.headers
    expected_head = rec["body"].split("<!DOCTYPE html>")[0]
    assert r.text.startswith(expected_head)
    assert "<title>MediaWiki API help - AnchorWiki</title>" in r.text


def test_multipart_record_reaches_the_module(client: TestClient) -> None:
    rec = record("emailuser.multipart_form_data")
    form = {k: v for k, v in rec["form"].items()}
    r = client.post("/w/api.php", files={k: (None, v) for k, v in form.items()})
    # Anonymous here: the module is reached and answers with its own error, not missingparam.
    assert r.headers.get("mediawiki-api-error") not in (None, "missingparam")
