"""What the browser tests share: waiting, opening a page, logging in, filling fields, running page
scripts. (Their live server, its users and the API calls beside the browser: tests/web/support.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.live import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shot(driver: WebDriver, name: str) -> Path:
    """Save a screenshot of the current page as a test artefact (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def wait(driver: WebDriver, timeout: float = 30) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, timeout)


def present(driver: WebDriver, by: str, value: str, timeout: float = 30) -> WebElement:
    """The element ``(by, value)``, once the page has it."""
    return wait(driver, timeout).until(ec.presence_of_element_located((by, value)))


def open_page(driver: WebDriver, server: LiveServer, title: str) -> None:
    driver.get(f"{server.base_url}/w/index.php/{title.replace(' ', '_')}")
    present(driver, By.ID, "firstHeading")


def fill(driver: WebDriver, element_id: str, text: str) -> None:
    """Replace what the field ``element_id`` holds with ``text``, typed."""
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def log_in(driver: WebDriver, server: LiveServer, name: str, password: str) -> None:
    driver.delete_all_cookies()
    open_page(driver, server, "Special:UserLogin")
    driver.find_element(By.ID, "wpName1").send_keys(name)
    driver.find_element(By.ID, "wpPassword1").send_keys(password)
    shot(driver, "userlogin")
    driver.find_element(By.ID, "wpLoginAttempt").click()
    wait(driver).until(lambda d: d.execute_script("return mw.config.get('wgUserName')") == name)


def run_async(driver: WebDriver, prelude: str, code: str) -> Any:
    """Run ``code`` in the page; ``prelude`` turns its output into the script's result."""
    return driver.execute_async_script(
        "var done = arguments[arguments.length - 1];\n" + prelude + "\n" + code
    )
