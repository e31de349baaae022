"""Email in a real Chromium: the API:Emailuser page's own client-side code, run unchanged inside a
wiki page, and Special:EmailUser used the way a person uses it.

The seed's snippets are read from tests/fixtures/seeds/000_69891d31e78c7742.txt. The text of that
page lost one line of the demo when it was extracted (``},`` closing ``params``, before
``api = new mw.Api();``); it is put back, and the demo's placeholder target ``ABC`` becomes a real
user. Nothing else is changed.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.support import log_in, open_page, present, run_async, shot, wait
from tests.live import LiveServer
from tests.mail.sink import Sink
from tests.web.support import api_login, api_post, create_users, csrf_token, running_server

pytestmark = pytest.mark.live

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "000_69891d31e78c7742.txt"
PASSWORD = "browser-test-pass"
XSS = '<script>window.__xss = "subject";</script><img src=x onerror="window.__xss = 1">'


def seed_demo_js(target: str) -> str:
    """The seed's "MediaWiki JS" demo: from ``var params`` to the end of the ``.done`` call."""
    text = SEED.read_text(encoding="utf-8")
    start = text.index("var params = {")
    end = text.index("} );", text.index("api.postWithToken")) + len("} );")
    code = text[start:end]
    code = code.replace("\tapi = new mw.Api();", "\t},\n\tapi = new mw.Api();")  # the lost line
    return code.replace("target: 'ABC'", f"target: '{target}'")


def seed_emailable_js() -> tuple[str, str]:
    """The seed's emailable check (``new mw.Api().get(…)``) and its ``#t-emailuser`` check."""
    text = SEED.read_text(encoding="utf-8")
    start = text.index("new mw.Api().get( {")
    end = text.index("} );", text.index("alert(", start)) + len("} );")
    match = re.search(r"emailable = \$\( '#t-emailuser' \)\.length \? true : false;", text)
    assert match is not None
    return text[start:end], match.group(0)


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    with Sink() as running:
        yield running


def create_email_users(live: LiveServer) -> None:
    create_users(live, PASSWORD, ("Alice", "Bob", "Carol", "Erin"))
    live.cli("user", "set-option", "Erin", "disablemail", "1")
    live.cli("user", "set-option", "Carol", "email-blacklist", "Alice")  # the CLI takes names


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sink: Sink) -> Iterator[LiveServer]:
    config = {"mail": {"backend": "smtp", "smtp_port": sink.port}}
    yield from running_server(tmp_path_factory, "browser-email", config, create_email_users)


def headers(message: Message) -> dict[str, str]:
    return {k.lower(): str(v) for k, v in message.items()}


def received_for(sink: Sink, address: str, count: int) -> list[Message]:
    """The mails for ``address``, once there are at least ``count`` (waits up to 30 s)."""

    def mine() -> list[Message]:
        return [email.message_from_bytes(r.data) for r in sink.received if address in r.rcpt_tos]

    with sink.handler.arrived:
        sink.handler.arrived.wait_for(lambda: len(mine()) >= count, timeout=30)
    found = mine()
    assert len(found) >= count, f"{count} mails for {address} did not arrive"
    return found


def test_seed_emailable_checks_in_a_user_page(browser: WebDriver, server: LiveServer) -> None:
    log_in(browser, server, "Alice", PASSWORD)
    query, portlet_check = seed_emailable_js()
    capture_alert = "window.alert = function (message) { done(message); };"
    open_page(browser, server, "User:Bob")
    assert browser.execute_script("return mw.config.get('wgTitle')") == "Bob"
    assert run_async(browser, capture_alert, query) == "emailable"
    assert browser.execute_script(portlet_check + " return emailable;") is True
    shot(browser, "user-page-emailable")
    open_page(browser, server, "User:Erin")
    assert run_async(browser, capture_alert, query) == "not emailable"
    assert browser.execute_script(portlet_check + " return emailable;") is False


def test_seed_mediawiki_js_demo_sends_a_mail(browser: WebDriver, server: LiveServer, sink: Sink) -> None:
    log_in(browser, server, "Alice", PASSWORD)
    open_page(browser, server, "User:Bob")
    capture_log = "console.log = function (data) { done(data); };"
    answer = run_async(browser, capture_log, seed_demo_js("Bob"))
    assert answer == {"emailuser": {"result": "Success"}}
    (mail,) = received_for(sink, "bob@anchor.test", 1)
    assert mail["Subject"] == "Hi"
    assert "Just wanted to say hi" in mail.get_payload(decode=True).decode()


def test_email_this_user_sends_the_same_mail_as_the_api(
    browser: WebDriver, server: LiveServer, sink: Sink
) -> None:
    log_in(browser, server, "Alice", PASSWORD)
    before = len(received_for(sink, "bob@anchor.test", 0))
    # An API send first, for comparison.
    api = api_login(server, "Alice", PASSWORD)
    sent = api_post(
        server,
        api,
        action="emailuser",
        target="Bob",
        subject="Compare",
        text="From the API.",
        token=csrf_token(server, api, formatversion=None),
    )
    assert sent == {"emailuser": {"result": "Success"}}
    open_page(browser, server, "User:Bob")
    browser.find_element(By.CSS_SELECTOR, "#t-emailuser a").click()
    subject = present(browser, By.ID, "mw-input-wpSubject")
    assert subject.get_attribute("value") == 'AnchorWiki email from user "Alice"'
    subject.clear()
    subject.send_keys("Compare")
    browser.find_element(By.ID, "mw-input-wpText").send_keys("From the page.")
    shot(browser, "special-emailuser")
    browser.find_element(By.CSS_SELECTOR, "button.mw-htmlform-submit").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "firstHeading"), "Email sent"))
    shot(browser, "special-emailuser-sent")
    mails = received_for(sink, "bob@anchor.test", before + 2)
    by_body = {m.get_payload(decode=True).decode().split("\n")[0].strip(): m for m in mails[before:]}
    from_api, from_page = headers(by_body["From the API."]), headers(by_body["From the page."])
    assert sorted(from_api) == sorted(from_page)
    for name in from_api:
        if name not in ("date", "message-id"):
            assert from_api[name] == from_page[name], name


def test_a_muted_sender_is_refused_on_the_page(browser: WebDriver, server: LiveServer) -> None:
    log_in(browser, server, "Alice", PASSWORD)
    open_page(browser, server, "User:Carol")
    assert browser.find_elements(By.ID, "t-emailuser") == []
    open_page(browser, server, "Special:EmailUser/Carol")
    box = browser.find_element(By.CSS_SELECTOR, ".errorbox")
    assert box.text == "This user has chosen not to receive email from other users."
    assert browser.find_elements(By.ID, "mw-input-wpText") == []
    shot(browser, "special-emailuser-muted")


def test_hostile_subject_is_shown_escaped_and_never_runs(browser: WebDriver, server: LiveServer) -> None:
    log_in(browser, server, "Alice", PASSWORD)
    open_page(browser, server, "Special:EmailUser/Bob")
    subject = browser.find_element(By.ID, "mw-input-wpSubject")
    subject.clear()
    subject.send_keys(XSS)
    # A bad token: the form comes back with the subject as it was typed, and nothing is sent.
    browser.execute_script("document.querySelector('input[name=wpEditToken]').value = 'bad+\\\\';")
    browser.find_element(By.ID, "mw-input-wpText").send_keys("body")
    browser.find_element(By.CSS_SELECTOR, "button.mw-htmlform-submit").click()
    present(browser, By.CSS_SELECTOR, ".errorbox")
    assert "problem with your login session" in browser.find_element(By.CSS_SELECTOR, ".errorbox").text
    assert browser.find_element(By.ID, "mw-input-wpSubject").get_attribute("value") == XSS
    assert browser.execute_script("return window.__xss === undefined") is True
    assert "<script>window.__xss" not in browser.page_source.replace("&lt;script&gt;", "")
    open_page(browser, server, "User:Bob")
    # A hostile title in the URL is a bad title, shown escaped.
    browser.get(f"{server.base_url}/w/index.php?title=%3Cscript%3Ewindow.__xss%3D1%3C/script%3E")
    present(browser, By.ID, "firstHeading")
    assert browser.find_element(By.ID, "firstHeading").text == "Bad title"
    assert browser.execute_script("return window.__xss === undefined") is True
