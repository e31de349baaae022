"""The comparison and the DECISIONS rewrite the conformance runner relies on."""

from __future__ import annotations

import json
from typing import Any

from tests.conformance.compare import compare_response
from tests.conformance.decisions import CANTSEND, apply_decisions
from tests.conformance.replay import genuine_token

JSON = {"content-type": "application/json; charset=utf-8"}


def _record(body: Any, error: str | None = None, name: str = "x.y") -> dict[str, Any]:
    return {"name": name, "status": 200, "body": body,
            "headers": {"content-type": "application/json; charset=utf-8", "mediawiki-api-error": error}}


def test_tokens_timestamps_and_ids_may_differ() -> None:
    expected = {"query": {"tokens": {"csrftoken": "c1dfdaa7f6631307793c230a998612f16b05e83f+\\"}},
                "edit": {"pageid": 7, "newrevid": 12, "newtimestamp": "2026-11-24T20:49:40Z"}}
    got = {"query": {"tokens": {"csrftoken": "00000000000000000000000000000000ffffffff+\\"}},
           "edit": {"pageid": 9, "newrevid": 30, "newtimestamp": "2027-01-01T00:00:00Z"}}
    assert compare_response(_record(expected), 200, JSON, json.dumps(got)).matched


def test_texts_keys_lengths_and_codes_must_match() -> None:
    info = "You have not specified a valid target for this action."
    expected = {"error": {"code": "notarget", "info": info}}
    wrong_text = {"error": {"code": "notarget", "info": "Other text."}}
    headers = {**JSON, "mediawiki-api-error": "notarget"}
    outcome = compare_response(_record(expected, "notarget"), 200, headers, json.dumps(wrong_text))
    assert not outcome.matched and "body.error.info" in outcome.diffs[0]
    outcome = compare_response(_record({"a": [1, 2]}), 200, JSON, json.dumps({"a": [1]}))
    assert not outcome.matched
    outcome = compare_response(_record({"a": ""}), 200, JSON, json.dumps({"a": "", "b": ""}))
    assert outcome.diffs == ["body: unexpected keys ['b']"]
    outcome = compare_response(_record({"a": ""}, "x"), 200, JSON, json.dumps({"a": ""}))
    assert outcome.diffs == ["MediaWiki-API-Error: expected x, got None"]
    assert not compare_response(_record({"a": ""}), 500, JSON, json.dumps({"a": ""})).matched
    assert not compare_response(_record({"a": ""}), 200, JSON, "not json").matched


def test_d1_rewrites_emailuser_errors_only() -> None:
    record = _record({"error": {"code": "badaccess", "info": "Permission error", "*": "See …"}}, "badaccess",
                     name="emailuser.sender_botpassword_without_sendemail_grant")
    rewritten = apply_decisions(record)
    assert rewritten["body"]["error"] == {"code": "cantsend", "info": CANTSEND, "*": "See …"}
    assert rewritten["headers"]["mediawiki-api-error"] == "cantsend"
    assert record["body"]["error"]["code"] == "badaccess"  # the original is untouched
    other = _record({"error": {"code": "badaccess", "info": "Permission error"}}, name="edit.x")
    assert apply_decisions(other) is other


def test_genuine_tokens_are_told_from_deliberately_wrong_ones() -> None:
    assert genuine_token("c1dfdaa7f6631307793c230a998612f16b05e83f+\\")
    assert genuine_token("c1dfdaa7f6631307793c230a998612f16b05e83f")
    assert not genuine_token("0123456789abcdef0123456789abcdef01234567+\\")
    assert not genuine_token("+\\")
    assert not genuine_token(None)
