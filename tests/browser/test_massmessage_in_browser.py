"""A newsletter sent from Special:MassMessage in a real Chromium: preview with MassMessage's
warning, send, the live status page reaching "done", and the talk page showing the section."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.support import fill, log_in, open_page, present, shot, wait
from tests.live import LiveServer
from tests.web.support import api_login, api_post, create_users, csrf_token, running_server

pytestmark = pytest.mark.live
PASSWORD = "browser-massmessage-pass"
READERS = ("Alice", "Bob", "Carol")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from running_server(
        tmp_path_factory,
        "browser-massmessage",
        {"mail": {"backend": "maildir"}},
        lambda live: create_users(
            live, PASSWORD, ("Organiser", *READERS), sysops=("Organiser",), email=False
        ),
    )


def make_list(server: LiveServer, title: str, targets: list[str]) -> None:
    """The delivery list, made the way a bot makes it (action=edit with the list content model,
    then action=editmassmessagelist)."""
    api = api_login(server, "Organiser", PASSWORD)
    token = csrf_token(server, api, formatversion=None)
    created = api_post(
        server,
        api,
        action="edit",
        title=title,
        contentmodel="MassMessageListContent",
        text='{"description":"Our readers","targets":[]}',
        token=token,
    )
    assert created["edit"]["result"] == "Success", created
    answer = api_post(
        server, api, action="editmassmessagelist", spamlist=title, add="|".join(targets), token=token
    )
    assert answer["editmassmessagelist"]["result"] == "Success", answer


def test_preview_send_and_follow_a_newsletter(browser: WebDriver, server: LiveServer) -> None:
    make_list(server, "Readers", [f"User talk:{name}" for name in READERS])
    log_in(browser, server, "Organiser", PASSWORD)
    open_page(browser, server, "Special:MassMessage")
    fill(browser, "mw-massmessage-form-spamlist", "Readers")
    fill(browser, "mw-massmessage-form-subject", "Issue 1")
    fill(browser, "mw-massmessage-form-message", "Welcome to <b>issue one of the '''newsletter'''. ~~~~")
    shot(browser, "special-massmessage")
    browser.find_element(By.ID, "mw-massmessage-form-preview-button").click()
    present(browser, By.ID, "mw-massmessage-preview")
    assert "Your message may have an unclosed HTML tag: <b>." in browser.page_source.replace(
        "&lt;", "<"
    ).replace("&gt;", ">")
    assert (
        "Your message will be sent to 3 pages."
        in browser.find_element(By.ID, "mw-massmessage-preview-info").text
    )
    shot(browser, "special-massmessage-preview")
    fill(browser, "mw-massmessage-form-message", "Welcome to <b>issue one</b> of the '''newsletter'''. ~~~~")
    browser.find_element(By.ID, "mw-massmessage-form-submit-button").click()
    present(browser, By.CSS_SELECTOR, ".successbox")
    assert (
        "Your message delivery to 3 pages has been queued."
        in browser.find_element(By.CSS_SELECTOR, ".successbox").text
    )
    browser.find_element(By.LINK_TEXT, "Follow the delivery").click()
    present(browser, By.ID, "mm-status-state")
    # The page updates itself (no reload) until the worker has delivered everything.
    wait(browser, 60).until(lambda d: d.find_element(By.ID, "mm-status-state").text == "done")
    assert browser.find_element(By.ID, "mm-count-delivered").text == "3"
    shot(browser, "special-massmessagestatus")
    open_page(browser, server, "User talk:Bob")
    heading = browser.find_element(By.CSS_SELECTOR, "#mw-content-text h2 .mw-headline")
    assert heading.text == "Issue 1"
    body = browser.find_element(By.ID, "mw-content-text")
    assert body.find_element(By.TAG_NAME, "b").text == "issue one"
    assert "Message sent by" not in body.text  # MassMessage's hidden comment stays hidden
    shot(browser, "user-talk-delivered")
