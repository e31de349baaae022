"""The dispatcher's generic behaviour, end to end over HTTP."""

from starlette.testclient import TestClient

API = "/w/api.php"


def test_anonymous_csrf_token_is_the_constant(client: TestClient) -> None:
    r = client.get(API, params={"action": "query", "meta": "tokens", "format": "json"})
    assert r.status_code == 200
    assert r.json() == {"batchcomplete": "", "query": {"tokens": {"csrftoken": "+\\"}}}


def test_unknown_action_is_badvalue_with_error_header(client: TestClient) -> None:
    r = client.get(API, params={"action": "foo", "format": "json"})
    assert r.headers["mediawiki-api-error"] == "badvalue"
    assert r.json()["error"]["info"] == 'Unrecognized value for parameter "action": foo.'


def test_put_is_invalidmethod_405(client: TestClient) -> None:
    r = client.put(API + "?action=query&format=json")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "invalidmethod"
