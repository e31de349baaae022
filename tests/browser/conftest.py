"""A real headless Chromium (Debian's chromium and chromium-driver, installed with apt-get when
missing, like PostgreSQL and Redis) driven by Selenium. No browser is downloaded from anywhere
else: the driver and the browser are the system's, named explicitly, and Selenium Manager is
kept offline.

Screenshots go to ``test-artifacts/screenshots/`` (git-ignored): ``tests/browser/support.py: shot``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from tests.conftest import unavailable
from tests.servers import ServerUnavailable, apt_install

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--window-size=1280,900",
)


def ensure_chromium() -> tuple[str, str]:
    """(browser, driver) paths, installing Debian's packages when they are missing."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        apt_install(["chromium", "chromium-driver"])
        browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        raise ServerUnavailable("chromium and chromium-driver installed but not on PATH")
    return browser, driver


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    try:
        return ensure_chromium()
    except ServerUnavailable as err:
        unavailable(f"no Chromium for the browser tests: {err}")


@pytest.fixture(scope="module")
def browser(chromium_paths: tuple[str, str]) -> Iterator[object]:
    """One Chromium per test module (starting one takes about a second)."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager never fetches a driver or a browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    profile = tempfile.mkdtemp(prefix="wikipost-chromium-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
