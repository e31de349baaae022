"""Small HTTP helpers for the accounts tests."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

API = "/w/api.php"


def get(client: TestClient, **params: Any) -> Any:
    return client.get(API, params={"format": "json", **params}).json()


def post(client: TestClient, **form: Any) -> Any:
    return client.post(API, data={"format": "json", **form}).json()


def token(client: TestClient, kind: str = "csrf") -> str:
    return str(get(client, action="query", meta="tokens", type=kind)["query"]["tokens"][f"{kind}token"])


def login(client: TestClient, name: str, password: str) -> dict[str, Any]:
    """action=login with a freshly fetched login token; the ``login`` object of the answer."""
    lgtoken = token(client, "login")
    answer: dict[str, Any] = post(client, action="login", lgname=name, lgpassword=password, lgtoken=lgtoken)
    return dict(answer["login"])


def userinfo(client: TestClient, props: str = "groups|rights") -> dict[str, Any]:
    return dict(get(client, action="query", meta="userinfo", uiprop=props)["query"]["userinfo"])


def new_client(client: TestClient, ip: str = "127.0.0.1", https: bool = False) -> TestClient:
    """Another browser (its own cookie jar) on the same app."""
    base = "https://127.0.0.1:8081" if https else "http://127.0.0.1:8081"
    return TestClient(client.app, base_url=base, client=(ip, 50000))
