"""The comparison and the DECISIONS rewrite the conformance runner relies on."""

from __future__ import annotations

import json
from typing import Any

from tests.conformance.compare import compare_response
from tests.conformance.decisions import CANTSEND, apply_decisions
from tests.conformance.replay import genuine_token

JSON = {"content-type": "application/json; charset=utf-8"}


def _record(body: Any, error: str | None = None, name: str = "x.y") -> dict[str, Any]:
    return {
        "name": name,
        "status": 200,
        "body": body,
        "headers": {"content-type": "application/json; charset=utf-8", "mediawiki-api-error": error},
    }


def test_tokens_timestamps_and_ids_may_differ() -> None:
    expected = {
        "query": {"tokens": {"csrftoken": "c1dfdaa7f6631307793c230a998612f16b05e83f+\\"}},
        "edit": {"pageid": 7, "newrevid": 12, "newtimestamp": "2026-11-24T20:49:40Z"},
    }
    got = {
        "query": {"tokens": {"csrftoken": "00000000000000000000000000000000ffffffff+\\"}},
        "edit": {"pageid": 9, "newrevid": 30, "newtimestamp": "2027-01-01T00:00:00Z"},
    }
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
    record = _record(
        {"error": {"code": "badaccess", "info": "Permission error", "*": "See …"}},
        "badaccess",
        name="emailuser.sender_botpassword_without_sendemail_grant",
    )
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


def test_ids_in_continuations_pages_keys_and_signatures_may_differ() -> None:
    expected = {
        "continue": {"rvcontinue": "20261124204940|27", "continue": "||"},
        "query": {
            "pages": {
                "12": {"pageid": 12, "title": "A", "lastrevid": 40},
                "-1": {"title": "B", "missing": ""},
            }
        },
        "text": "Hi [[User:X|X]] 20:49, 24 November 2026 (UTC) "
        "<!-- list at /w/index.php?title=L&oldid=186 -->",
    }
    got = {
        "continue": {"rvcontinue": "20270101000000|31", "continue": "||"},
        "query": {
            "pages": {
                "15": {"pageid": 15, "title": "A", "lastrevid": 44},
                "-1": {"title": "B", "missing": ""},
            }
        },
        "text": "Hi [[User:X|X]] 09:05, 24 November 2026 (UTC) "
        "<!-- list at /w/index.php?title=L&oldid=190 -->",
    }
    assert compare_response(_record(expected), 200, JSON, json.dumps(got)).matched
    # The replays run on the capture day: a signature of another day (of another length) differs.
    other_day = {**got, "text": got["text"].replace("24 November 2026", "1 December 2027")}
    assert not compare_response(_record(expected), 200, JSON, json.dumps(other_day)).matched
    renamed = {
        **got,
        "query": {
            "pages": {
                "15": {"pageid": 15, "title": "C", "lastrevid": 44},
                "-1": {"title": "B", "missing": ""},
            }
        },
    }
    assert not compare_response(_record(expected), 200, JSON, json.dumps(renamed)).matched
    other_key = {**got, "continue": {"rvcontinue": "20270101000000|31|x", "continue": "||"}}
    assert not compare_response(_record(expected), 200, JSON, json.dumps(other_key)).matched


def test_delivery_order_is_compared_order_free() -> None:
    from tests.conformance.delivery_order import canonical

    def rev(user: str, comment: str, content: str) -> dict[str, Any]:
        return {
            "user": user,
            "comment": comment,
            "size": len(content),
            "slots": {"main": {"content": content}},
        }

    seed, d = "Seed.", "MediaWiki message delivery"
    one, two = "== One ==\n\nA.", "== Two ==\n\nB."
    theirs = [
        rev("Admin", "seed", seed),
        rev(d, "two", f"{seed}\n\n{two}"),
        rev(d, "one", f"{seed}\n\n{two}\n\n{one}"),
    ]
    ours = [
        rev("Admin", "seed", seed),
        rev(d, "one", f"{seed}\n\n{one}"),
        rev(d, "two", f"{seed}\n\n{one}\n\n{two}"),
    ]
    assert canonical({"revisions": theirs}) == canonical({"revisions": ours})
    wrong = [
        rev("Admin", "seed", seed),
        rev(d, "one", f"{seed}\n\n{one}"),
        rev(d, "two", f"{seed}\n\n{one}\n\n== Two ==\n\nC."),
    ]
    assert canonical({"revisions": theirs}) != canonical({"revisions": wrong})
    # A delivery revision's size is compared exactly, though its text is compared order-free.
    off_by_one = [dict(r) for r in ours]
    off_by_one[2]["size"] += 1
    assert canonical({"revisions": theirs}) != canonical({"revisions": off_by_one})


def test_sizes_and_sha1_are_compared_exactly_unless_a_signature_varies() -> None:
    text = "Plain text."
    expected = {"rev": {"size": 11, "sha1": "a" * 40, "content": text}, "info": {"length": 278}}
    assert compare_response(_record(expected), 200, JSON, json.dumps(expected)).matched
    for changed in ({"length": 279}, {"size": 12}, {"sha1": "b" * 40}):
        section = "info" if "length" in changed else "rev"
        got = {**expected, section: {**expected[section], **changed}}
        assert not compare_response(_record(expected), 200, JSON, json.dumps(got)).matched, changed
    signed = {"rev": {"sha1": "a" * 40, "content": "Hi 19:40, 24 November 2026 (UTC)"}}
    resigned = {"rev": {"sha1": "b" * 40, "content": "Hi 12:00, 24 November 2026 (UTC)"}}
    assert compare_response(_record(signed), 200, JSON, json.dumps(resigned)).matched


def test_html_answers_compare_title_result_and_warnings() -> None:
    def page(title: str, result: str, warnings: str = "") -> str:
        comment = f"<!-- API warnings and errors:\n{warnings}\n-->\n" if warnings else ""
        return (
            f"{comment}<html><head><title>{title}</title></head><body><p>skin</p>"
            f'<pre class="api-pretty-content">{result}</pre></body></html>'
        )

    html_type = {"content-type": "text/html; charset=utf-8"}
    record = {
        "name": "x",
        "status": 200,
        "body": page("MediaWiki API result - W", '{"a": "&lt;"}'),
        "headers": html_type,
    }
    assert compare_response(
        record, 200, html_type, page("MediaWiki API result - W", '{\n  "a": "&lt;"}')
    ).matched
    untitled = compare_response(record, 200, html_type, page("MediaWiki API result", '{"a": "&lt;"}'))
    assert untitled.diffs == ["body.title: expected 'MediaWiki API result - W', got 'MediaWiki API result'"]
    assert not compare_response(
        record, 200, html_type, page("MediaWiki API result - W", '{"a": "&gt;"}')
    ).matched
    warned = compare_response(record, 200, html_type, page("MediaWiki API result - W", '{"a": "&lt;"}', "{}"))
    assert warned.diffs == ["body.<!--warnings-->: unexpected"]


def test_spec_allowed_answer_replaces_an_internal_error() -> None:
    record = _record(
        {
            "error": {
                "code": "internal_api_error_ErrorPageError",
                "info": "[ab] Caught",
                "errorclass": "ErrorPageError",
            }
        },
        "internal_api_error_ErrorPageError",
        name="edit.contentmodel.section_new_on_list",
    )
    rewritten = apply_decisions(record)
    assert rewritten["body"]["error"]["code"] == "sectionsnotsupported"
    assert rewritten["headers"]["mediawiki-api-error"] == "sectionsnotsupported"
