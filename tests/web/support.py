"""Helpers for the web tests: a browser-like session (requests) on a live server, its forms'
tokens and the messages a page shows."""

from __future__ import annotations

import html
import re

import requests

from tests.live import LiveServer

_HIDDEN = r'name="{name}" value="([^"]*)"'
_BOX = re.compile(r'class="(?:errorbox|successbox)[^"]*"[^>]*>\s*((?:<p>.*?</p>\s*)+)</div>', re.S)


def page_url(server: LiveServer, title: str) -> str:
    return f"{server.base_url}/w/index.php/{title.replace(' ', '_')}"


def hidden_value(page: str, name: str) -> str:
    """The value of the hidden input ``name`` (a token, usually) in an HTML page."""
    match = re.search(_HIDDEN.format(name=re.escape(name)), page)
    assert match is not None, f"no hidden field {name!r} in the page"
    return html.unescape(match.group(1))


def box_messages(page: str) -> list[str]:
    """The texts of the page's error and success boxes (unescaped)."""
    out: list[str] = []
    for box in _BOX.findall(page):
        out += [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", box, re.S)]
    return out


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
