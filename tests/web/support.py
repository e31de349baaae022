"""Helpers for the web tests: a live server with its users, a browser-like session (requests) on
it, the API seen from that session, its forms' tokens and the messages a page shows."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

import pytest
import requests
from starlette.testclient import TestClient

from tests.live import LiveServer, start_live_server
from wikipost.services.users import UserRecord
from wikipost.web.special import SESSION_FAILURE as SESSION_FAILURE  # for the tests
from wikipost.wiki import Wiki

_HIDDEN = r'name="{name}" value="([^"]*)"'
_BOX = re.compile(r'class="(?:errorbox|successbox)[^"]*"[^>]*>\s*((?:<p>.*?</p>\s*)+)</div>', re.S)


# --- the server ----------------------------------------------------------------------------------


def create_users(
    server: LiveServer,
    password: str,
    names: Iterable[str],
    *,
    sysops: Collection[str] = (),
    email: bool = True,
    confirmed: bool = True,
) -> None:
    """``wikipost user create`` for each name, in order: with the address ``name@anchor.test``
    (lower-cased; confirmed unless ``confirmed=False``) unless ``email=False``, and in the sysop
    group when the name is in ``sysops``."""
    for name in names:
        args = ["user", "create", name, "--password", password]
        if email:
            args += ["--email", f"{name.lower()}@anchor.test"]
            if confirmed:
                args.append("--confirmed")
        if name in sysops:
            args += ["--group", "sysop"]
        server.cli(*args)


def user_named(wiki: Wiki, name: str) -> UserRecord:
    """The user ``name`` in the server's store (``server.open_wiki()``), who must exist."""
    user = wiki.users.get_by_name(name)
    assert user is not None
    return user


def running_server(
    tmp_path_factory: pytest.TempPathFactory,
    label: str,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    setup: Callable[[LiveServer], object] | None = None,
) -> Iterator[LiveServer]:
    """A module fixture's body (``yield from running_server(...)``): a live server in a fresh
    ``label`` directory, ``setup`` run on its store before it starts, stopped afterwards."""
    live = start_live_server(tmp_path_factory.mktemp(label), config, start=False)
    if setup is not None:
        setup(live)
    live.start()
    try:
        yield live
    finally:
        live.stop()


# --- the API -------------------------------------------------------------------------------------


def api_get(
    server: LiveServer, session: requests.Session, *, formatversion: str | None = "2", **params: str
) -> Any:
    """GET api.php with ``params`` and ``format=json``: the answer, decoded. ``formatversion=2``
    unless ``formatversion=None`` (MediaWiki's default, format version 1)."""
    query = {**params, "format": "json"}
    if formatversion is not None:
        query["formatversion"] = formatversion
    return session.get(server.api_url, params=query).json()


def api_post(server: LiveServer, session: requests.Session, **data: str) -> Any:
    """POST ``data`` and ``format=json`` (nothing else) to api.php: the answer, decoded."""
    return session.post(server.api_url, data={**data, "format": "json"}).json()


def csrf_token(server: LiveServer, session: requests.Session, *, formatversion: str | None = "2") -> str:
    """The session's csrf token (``meta=tokens``)."""
    answer = api_get(server, session, action="query", meta="tokens", formatversion=formatversion)
    return str(answer["query"]["tokens"]["csrftoken"])


def api_edit(
    server: LiveServer,
    session: requests.Session,
    title: str,
    text: str,
    *,
    formatversion: str | None = "2",
) -> None:
    """Save ``text`` as ``title`` through action=edit (the token fetched with ``formatversion``)."""
    token = csrf_token(server, session, formatversion=formatversion)
    answer = api_post(server, session, action="edit", title=title, text=text, token=token)
    assert answer["edit"]["result"] == "Success", answer


def api_login(server: LiveServer, name: str, password: str) -> requests.Session:
    """A new session logged in through the API (a login token, then action=login)."""
    session = requests.Session()
    answer = api_get(server, session, action="query", meta="tokens", type="login", formatversion=None)
    token = answer["query"]["tokens"]["logintoken"]
    api_post(server, session, action="login", lgname=name, lgpassword=password, lgtoken=token)
    return session


# --- pages and forms -----------------------------------------------------------------------------


def page_url(server: LiveServer, title: str) -> str:
    return f"{server.base_url}/w/index.php/{title.replace(' ', '_')}"


def _hidden(page: str, name: str) -> str | None:
    match = re.search(_HIDDEN.format(name=re.escape(name)), page)
    return None if match is None else html.unescape(match.group(1))


def hidden_value(page: str, name: str) -> str:
    """The value of the hidden input ``name`` (a token, usually) in an HTML page."""
    value = _hidden(page, name)
    assert value is not None, f"no hidden field {name!r} in the page"
    return value


def hidden_value_or_empty(page: str, name: str) -> str:
    """The value of the hidden input ``name``, or "" when the page has none."""
    return _hidden(page, name) or ""


def box_messages(page: str) -> list[str]:
    """The texts of the page's error and success boxes (unescaped)."""
    out: list[str] = []
    for box in _BOX.findall(page):
        out += [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", box, re.S)]
    return out


def submit_form(
    server: LiveServer, session: requests.Session, title: str, **fields: Any
) -> requests.Response:
    """GET the page ``title`` for its ``wpEditToken``, then POST ``fields`` with it."""
    form = session.get(page_url(server, title))
    data = {"wpEditToken": hidden_value(form.text, "wpEditToken"), **fields}
    return session.post(page_url(server, title), data=data)


def web_login(server: LiveServer, name: str, password: str) -> requests.Session:
    """Log in through Special:UserLogin the way a browser does; the session is logged in."""
    session = requests.Session()
    form = session.get(page_url(server, "Special:UserLogin"))
    answer = session.post(
        page_url(server, "Special:UserLogin"),
        data={
            "wpName": name,
            "wpPassword": password,
            "wpLoginToken": hidden_value(form.text, "wpLoginToken"),
        },
        allow_redirects=False,
    )
    assert answer.status_code == 302, box_messages(answer.text)
    return session


def client_login(client: TestClient, name: str, password: str) -> Any:
    """Log an in-process client in through Special:UserLogin; the answer (its redirect unfollowed)."""
    form = client.get("/w/index.php/Special:UserLogin")
    return client.post(
        "/w/index.php/Special:UserLogin",
        data={
            "wpName": name,
            "wpPassword": password,
            "wpLoginToken": hidden_value(form.text, "wpLoginToken"),
        },
        follow_redirects=False,
    )
