"""Preferences, bot passwords and delivery lists used in a real Chromium, and what they change
seen through the API and a real client (mwclient)."""

from __future__ import annotations

from collections.abc import Iterator

import mwclient
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.support import fill, log_in, open_page, present, shot, wait
from tests.live import LiveServer
from tests.web.support import api_get, create_users, running_server

pytestmark = pytest.mark.live
PASSWORD = "browser-accounts-pass"
XSS = "<script>window.__xss = 1;</script>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from running_server(
        tmp_path_factory,
        "browser-accounts",
        {"mail": {"backend": "maildir"}},
        lambda live: create_users(live, PASSWORD, ("Alice", "Bob", "Organiser"), sysops=("Organiser",)),
    )


def emailable(server: LiveServer, name: str) -> bool:
    answer = api_get(
        server,
        requests.Session(),
        action="query",
        list="users",
        ususers=name,
        usprop="emailable",
        formatversion=None,
    )
    return "emailable" in answer["query"]["users"][0]


def test_turning_email_off_in_preferences_drops_emailable_and_the_tool(
    browser: WebDriver, server: LiveServer
) -> None:
    assert emailable(server, "Bob")
    log_in(browser, server, "Bob", PASSWORD)
    open_page(browser, server, "Special:Preferences")
    allow = browser.find_element(By.ID, "wpAllowEmail")
    assert allow.is_selected()
    allow.click()
    shot(browser, "special-preferences")
    browser.find_element(By.ID, "prefcontrol").click()
    present(browser, By.CSS_SELECTOR, ".successbox")
    assert not emailable(server, "Bob")
    log_in(browser, server, "Alice", PASSWORD)
    open_page(browser, server, "User:Bob")
    assert browser.find_elements(By.ID, "t-emailuser") == []
    # And back on: both return.
    log_in(browser, server, "Bob", PASSWORD)
    open_page(browser, server, "Special:Preferences")
    browser.find_element(By.ID, "wpAllowEmail").click()
    browser.find_element(By.ID, "prefcontrol").click()
    present(browser, By.CSS_SELECTOR, ".successbox")
    assert emailable(server, "Bob")
    log_in(browser, server, "Alice", PASSWORD)
    open_page(browser, server, "User:Bob")
    assert len(browser.find_elements(By.ID, "t-emailuser")) == 1


def test_a_bot_password_made_in_the_browser_logs_in_with_mwclient(
    browser: WebDriver, server: LiveServer
) -> None:
    log_in(browser, server, "Alice", PASSWORD)
    open_page(browser, server, "Special:BotPasswords")
    browser.find_element(By.ID, "mw-input-wpappId").send_keys("mailer")
    browser.find_element(By.CSS_SELECTOR, "#mw-botpasswords-form button[type=submit]").click()
    present(browser, By.ID, "mw-input-wpgrants-grant-sendemail")
    browser.find_element(By.ID, "mw-input-wpgrants-grant-sendemail").click()
    shot(browser, "special-botpasswords-grants")
    browser.find_element(By.ID, "mw-botpasswords-create").click()
    present(browser, By.ID, "mw-botpasswords-newpassword")
    shot(browser, "special-botpasswords-created")
    login_name = browser.find_element(By.CSS_SELECTOR, ".mw-botpasswords-loginname").text
    password = browser.find_element(By.CSS_SELECTOR, ".mw-botpasswords-password").text
    assert login_name == "Alice@mailer"
    site = mwclient.Site(f"127.0.0.1:{server.port}", path=f"{server.script_path}/", scheme="http")
    site.login(login_name, password)
    info = site.api("query", meta="userinfo", uiprop="rights")["query"]["userinfo"]
    assert info["name"] == "Alice"
    assert "sendemail" in info["rights"] and "edit" not in info["rights"]


def test_a_delivery_list_is_created_and_edited_in_the_browser(browser: WebDriver, server: LiveServer) -> None:
    log_in(browser, server, "Organiser", PASSWORD)
    open_page(browser, server, "Special:CreateMassMessageList")
    browser.find_element(By.ID, "mw-input-wptitle").send_keys("Newsletter readers")
    browser.find_element(By.ID, "mw-input-wpdescription").send_keys(f"Readers {XSS} of the ''newsletter''")
    shot(browser, "special-createmassmessagelist")
    browser.find_element(By.CSS_SELECTOR, "#mw-massmessage-create-form button[type=submit]").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "firstHeading"), "Newsletter readers"))
    assert browser.execute_script("return window.__xss === undefined") is True
    for target in ("User talk:Alice", "User talk:Bob", "Talk:Nowhere"):
        fill(browser, "mw-massmessage-addtitle", target)
        browser.find_element(By.ID, "mw-massmessage-addsubmit").click()
        wait(browser).until(
            lambda d, t=target: t in d.find_element(By.ID, "mw-massmessage-contenttable").text
        )
    browser.find_element(By.CSS_SELECTOR, "button[name=wpRemove][value='Talk:Nowhere']").click()
    wait(browser).until(
        lambda d: "Talk:Nowhere" not in d.find_element(By.ID, "mw-massmessage-contenttable").text
    )
    shot(browser, "delivery-list")
    answer = api_get(
        server,
        requests.Session(),
        action="query",
        prop="mmcontent",
        titles="Newsletter readers",
        formatversion=None,
    )
    (page,) = answer["query"]["pages"].values()
    assert sorted(page["mmcontent"]["targets"]) == ["User talk:Alice", "User talk:Bob"]
    assert XSS in page["mmcontent"]["description"]
