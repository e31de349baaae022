"""Special:MassMessage and Special:MassMessageStatus against a live server: the preview's
warnings and errors (the API's own), a submit that the status page follows to ``done``, a large
send cancelled midway (nothing more delivered, the rest counted cancelled, everywhere), the
CLI's cancel, who may cancel, bad tokens, and hostile text shown escaped.

Sends that must not be delivered by the server's worker are made through a Wiki whose clock is
an hour ahead: their jobs are not due for the server, and this test runs them when it wants.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import select

from tests.browser import conftest as browser_fixtures
from tests.browser.support import log_in, open_page, wait
from tests.live import LiveServer
from tests.web.support import (
    SESSION_FAILURE,
    api_get,
    api_post,
    box_messages,
    csrf_token,
    hidden_value,
    page_url,
    running_server,
    submit_form,
    user_named,
    web_login,
)
from wikipost.actor import Actor
from wikipost.clock import Clock
from wikipost.db.schema.pages import pages
from wikipost.services.massmessage import SendRequest
from wikipost.services.massmessage_text import unclosed_tags
from wikipost.wiki import Wiki, build_wiki

pytestmark = pytest.mark.live
PASSWORD = "web-mm-pass"
XSS = "<script>alert('mm')</script>"
NOT_YOURS = "You can only cancel your own sends, unless you are an administrator who may send mass messages."
BIG = 2000
# The headless Chromium of tests/browser, for the one test of the page's script.
browser = browser_fixtures.browser
chromium_paths = browser_fixtures.chromium_paths


def delivery_list(targets: list[str], description: str = "") -> str:
    items = ", ".join(f'{{"title": "{t}"}}' for t in targets)
    return f'{{"description": "{description}", "targets": [{items}]}}'


def create_users_and_lists(live: LiveServer) -> None:
    """The users and the delivery lists, saved in process (the server is not running yet)."""
    with live.open_wiki() as wiki:
        users = wiki.users
        admin = users.create("Admin", PASSWORD, email="admin@anchor.test", confirmed=True, groups=("sysop",))
        for name in ("Bob", "Alice", "Carol"):
            users.create(name, PASSWORD, email=f"{name.lower()}@anchor.test", confirmed=True)
        actor = users.actor_for(admin)
        web = delivery_list(
            ["User:Bob", "User:Alice", "User:Nobody here", "Talk:Alpha"], XSS.replace("'", "")
        )
        with wiki.db.write() as conn:
            for title, text in (
                ("Web delivery list", web),
                ("Big list", delivery_list([f"Talk:Big target {i}" for i in range(BIG)])),
                ("Small list", delivery_list(["Talk:Small 1", "Talk:Small 2"])),
                ("Live list", delivery_list([f"Talk:Live {i}" for i in range(6)])),
            ):
                wiki.pages.save(
                    conn,
                    title=wiki.titles.parse(title),
                    actor=actor,
                    text=text,
                    content_model="MassMessageListContent",
                )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from running_server(tmp_path_factory, "web-mm", setup=create_users_and_lists)


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> requests.Session:
    return web_login(server, "Admin", PASSWORD)


@contextmanager
def ahead_of_the_server(server: LiveServer) -> Iterator[Wiki]:
    """A Wiki on the server's store whose clock is an hour ahead: what it queues is not due
    for the server's worker, and runs when this test drains it."""
    settings = server.settings()
    wiki = build_wiki(settings, clock=Clock(settings.site.clock_offset + 3600))
    try:
        yield wiki
    finally:
        wiki.close()


def actor(wiki: Wiki, name: str) -> Actor:
    return wiki.users.actor_for(user_named(wiki, name))


def api_status(server: LiveServer, send_id: int) -> dict[str, Any]:
    answer = api_get(
        server, requests.Session(), action="query", list="massmessagestatus", mmsids=str(send_id)
    )
    (send,) = answer["query"]["massmessagestatus"]
    return dict(send)


def api_statuses(server: LiveServer) -> list[dict[str, Any]]:
    answer = api_get(server, requests.Session(), action="query", list="massmessagestatus", mmslimit="500")
    return list(answer["query"]["massmessagestatus"])


def page_numbers(page: str) -> dict[str, str]:
    """The status page's values by element id (``mm-count-delivered`` → "3")."""
    found = re.findall(r'id="(mm-(?:count|status)-[a-z-]+)"[^>]*>([^<]*)<', page)
    return {key: html.unescape(value).strip() for key, value in found}


def reasons(page: str, list_id: str) -> dict[str, int]:
    block = re.search(rf'<ul id="{list_id}">(.*?)</ul>', page, re.S)
    assert block is not None
    items = re.findall(r'data-reason="([^"]*)".*?class="mm-reason-count">(\d+)<', block.group(1), re.S)
    return {code: int(n) for code, n in items}


def wikitext_preview(page: str) -> str:
    """The "Wikitext preview" of a preview page: the section a delivery appends."""
    match = re.search(r'id="mw-massmessage-wikitext-preview">.*?<pre>(.*?)</pre>', page, re.S)
    assert match is not None
    return html.unescape(match.group(1))


def wait_for(condition: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def mm_fields(**values: str) -> dict[str, str]:
    return {"spamlist": "", "subject": "", "page-message": "", "message": "", **values}


def assert_no_raw_script(page: str) -> None:
    assert "<script>alert" not in page
    for tag in re.findall(r"<script[^>]*>", page):  # only our files and JSON data, no inline code
        assert 'src="' in tag or 'type="application/json"' in tag, tag


# --- Special:MassMessage ------------------------------------------------------------------------


def test_the_form_has_massmessages_fields_and_needs_the_right(
    server: LiveServer, admin: requests.Session
) -> None:
    page = admin.get(page_url(server, "Special:MassMessage")).text
    assert 'id="mw-massmessage-form"' in page
    for name, element_id in (
        ("spamlist", "mw-massmessage-form-spamlist"),
        ("subject", "mw-massmessage-form-subject"),
        ("page-message", "mw-massmessage-form-page"),
        ("page-subject-section", "mw-massmessage-form-page-subject-section"),
        ("page-message-section", "mw-massmessage-form-page-section"),
        ("message", "mw-massmessage-form-message"),
        ("preview-button", "mw-massmessage-form-preview-button"),
    ):
        assert re.search(rf'id="{element_id}"[^>]*name="{name}"|name="{name}"[^>]*id="{element_id}"', page), (
            name
        )
    assert 'name="submit-button"' not in page  # MassMessage offers Send only after a preview
    assert hidden_value(page, "wpEditToken")
    assert requests.get(page_url(server, "Special:MassMessage")).status_code == 401
    carol = web_login(server, "Carol", PASSWORD)
    refused = carol.get(page_url(server, "Special:MassMessage"))
    assert refused.status_code == 403 and "You do not have permission to use this page." in refused.text


def test_preview_shows_the_section_and_warns_about_unclosed_tags(
    server: LiveServer, admin: requests.Session
) -> None:
    fields = mm_fields(
        spamlist="Web delivery list", subject="Web newsletter", message="Hello <b>unbalanced\n\n~~~~"
    )
    page = submit_form(server, admin, "Special:MassMessage", **fields, **{"preview-button": "Preview"}).text
    assert box_messages(page) == ["Your message may have an unclosed HTML tag: <b>."]
    assert 'This is just a preview. Press "Send" to send the message.' in html.unescape(page)
    assert "Your message will be sent to 4 pages." in page
    assert 'id="mw-massmessage-form-submit-button"' in page and 'name="submit-button"' in page
    wikitext = wikitext_preview(page)
    assert wikitext.startswith(
        "== Web newsletter ==\n\nHello <b>unbalanced\n\n[[User:MediaWiki message delivery|"
    )
    assert "<!-- Message sent by User:Admin@anchorwiki using the list at " in wikitext
    assert '<h2><span class="mw-headline" id="Web_newsletter">Web newsletter</span></h2>' in page
    unsigned = submit_form(
        server,
        admin,
        "Special:MassMessage",
        **mm_fields(spamlist="Web delivery list", subject="S", message="<i>x</i>"),
        **{"preview-button": "1"},
    ).text
    assert box_messages(unsigned) == ["Warning: Your message does not include a timestamp or signature."]


def test_preview_of_a_missing_list_shows_the_apis_errors(server: LiveServer, admin: requests.Session) -> None:
    fields = mm_fields(spamlist="No such list", subject=" ", message="")  # " ": the API's own check
    page = submit_form(server, admin, "Special:MassMessage", **fields, **{"preview-button": "Preview"}).text
    expected = [
        "No subject has been provided for the message.",
        "The specified delivery list page or category does not exist.",
        "The message body is empty. Provide the message body, or select a page to be sent as message.",
    ]
    assert box_messages(page) == expected
    assert 'name="submit-button"' not in page and "Your message will be sent" not in page
    answer = api_post(
        server,
        admin,
        action="massmessage",
        spamlist="No such list",
        subject=" ",
        message="",
        token=csrf_token(server, admin, formatversion=None),
        formatversion="2",
        errorformat="plaintext",
    )
    assert [e["text"] for e in answer["errors"]] == expected
    missing_page = submit_form(
        server,
        admin,
        "Special:MassMessage",
        **mm_fields(spamlist="Web delivery list", subject="S", **{"page-message": "No such page"}),
        **{"preview-button": "Preview"},
    ).text
    assert box_messages(missing_page) == [
        'The page "No such page", selected to be sent as message, was not found.'
    ]


def test_submit_queues_and_the_status_page_follows_it_to_done(
    server: LiveServer, admin: requests.Session
) -> None:
    fields = mm_fields(spamlist="Web delivery list", subject="Plain news", message="Plain message.")
    preview = submit_form(
        server, admin, "Special:MassMessage", **fields, **{"preview-button": "Preview"}
    ).text
    section = wikitext_preview(preview)
    done = admin.post(
        page_url(server, "Special:MassMessage"),
        data={**fields, "wpEditToken": hidden_value(preview, "wpEditToken"), "submit-button": "Send"},
    )
    assert box_messages(done.text) == ["Your message delivery to 4 pages has been queued."]
    link = re.search(r'href="([^"]*Special:MassMessageStatus/(\d+))"', done.text)
    assert link is not None
    send_id = int(link.group(2))
    status_url = server.base_url + html.unescape(link.group(1))
    page = wait_for(
        lambda: (p := admin.get(status_url).text) and page_numbers(p)["mm-status-state"] == "done" and p
    )
    numbers = page_numbers(page)
    assert (numbers["mm-count-delivered"], numbers["mm-count-queued"], numbers["mm-count-skipped"]) == (
        "3",
        "0",
        "1",
    )
    assert (numbers["mm-count-failed"], numbers["mm-count-cancelled"], numbers["mm-count-total"]) == (
        "0",
        "0",
        "4",
    )
    assert reasons(page, "mm-skipped-reasons") == {"skipnouser": 1}
    assert 'id="mm-cancel-form"' not in page  # a finished send has nothing to cancel
    assert_status_page_matches_the_api(server, page, send_id)
    with server.open_wiki() as wiki, wiki.db.read() as conn:
        talk = wiki.pages.get_page(conn, wiki.titles.parse("Talk:Alpha"))
        assert talk is not None and wiki.pages.get_text(conn, talk) == section  # as previewed
        bob = wiki.pages.get_page(conn, wiki.titles.parse("User talk:Bob"))
        assert bob is not None and wiki.pages.get_text(conn, bob).count("== Plain news ==") == 1


def assert_status_page_matches_the_api(server: LiveServer, page: str, send_id: int) -> None:
    send = api_status(server, send_id)
    numbers = page_numbers(page)
    assert numbers["mm-status-state"] == send["status"]
    assert int(numbers["mm-count-queued"]) == send["queued"]
    assert int(numbers["mm-count-delivered"]) == send["delivered"]
    assert int(numbers["mm-count-skipped"]) == sum(send["skipped"].values())
    assert int(numbers["mm-count-failed"]) == sum(send["failed"].values())
    assert int(numbers["mm-count-cancelled"]) == send["cancelled"]
    assert int(numbers["mm-count-total"]) == send["total"]
    assert reasons(page, "mm-skipped-reasons") == send["skipped"]
    assert reasons(page, "mm-failed-reasons") == send["failed"]
    assert numbers["mm-status-subject"] == send["subject"]


def test_a_bad_token_queues_nothing(server: LiveServer, admin: requests.Session) -> None:
    before = api_statuses(server)
    fields = mm_fields(spamlist="Web delivery list", subject="Forged", message="Hi ~~~~")
    for token in ("bad+\\", ""):
        answer = admin.post(
            page_url(server, "Special:MassMessage"),
            data={**fields, "wpEditToken": token, "submit-button": "Send"},
        )
        assert box_messages(answer.text) == [SESSION_FAILURE]
    after = api_statuses(server)
    assert after == before


# --- Special:MassMessageStatus: cancel ---------------------------------------------------------


def test_cancelling_a_large_send_midway(server: LiveServer, admin: requests.Session) -> None:
    with ahead_of_the_server(server) as wiki:
        send_id, count = wiki.massmessage.submit(
            actor(wiki, "Admin"), SendRequest("Big list", XSS, "Big news ~~~~", None)
        )
        assert count == BIG
        assert wiki.jobs.run_once(1) == 1  # the first fan-out: 1,000 delivery jobs
        assert wiki.jobs.run_once(300) == 300  # 300 deliveries; the rest wait
        url = page_url(server, f"Special:MassMessageStatus/{send_id}")
        page = admin.get(url).text
        numbers = page_numbers(page)
        assert (numbers["mm-status-state"], numbers["mm-count-delivered"], numbers["mm-count-queued"]) == (
            "delivering",
            "300",
            "1700",
        )
        assert 'id="mm-cancel-form"' in page and 'src="/w/static/massmessage-status.js"' in page
        assert re.search(r'<progress id="mm-progress"[^>]*max="2000" value="300"', page)
        assert_no_raw_script(page)
        assert numbers["mm-status-subject"] == XSS  # the subject, as text

        carol = web_login(server, "Carol", PASSWORD)
        carols = carol.get(url).text
        assert 'id="mm-cancel-form"' not in carols
        refused = carol.post(
            url, data={"wpEditToken": csrf_token(server, carol, formatversion=None), "wpCancel": "1"}
        )
        assert box_messages(refused.text) == [NOT_YOURS]
        forged = admin.post(url, data={"wpEditToken": "bad+\\", "wpCancel": "1"})
        assert box_messages(forged.text) == [SESSION_FAILURE]
        assert api_status(server, send_id)["status"] == "delivering"

        cancelled = admin.post(
            url, data={"wpEditToken": hidden_value(page, "wpEditToken"), "wpCancel": "1"}
        ).text
        assert box_messages(cancelled) == [
            "The send has been cancelled: messages not yet delivered will not be delivered."
        ]
        numbers = page_numbers(cancelled)
        assert (numbers["mm-status-state"], numbers["mm-count-queued"], numbers["mm-count-cancelled"]) == (
            "cancelled",
            "0",
            "1700",
        )
        assert 'id="mm-cancel-form"' not in cancelled
        again = admin.post(url, data={"wpEditToken": hidden_value(page, "wpEditToken"), "wpCancel": "1"}).text
        assert box_messages(again) == ["This send has already been cancelled."]

        wiki.background().drain()  # the 700 queued deliveries and the next fan-out: none delivers
    send = api_status(server, send_id)
    assert (send["status"], send["delivered"], send["cancelled"], send["queued"]) == (
        "cancelled",
        300,
        1700,
        0,
    )
    assert_status_page_matches_the_api(server, admin.get(url).text, send_id)
    with server.open_wiki() as wiki, wiki.db.read() as conn:
        keys = conn.execute(
            select(pages.c.dbkey).where(pages.c.namespace == 1, pages.c.dbkey.like("Big_target_%"))
        )
        delivered = [wiki.pages.get_page(conn, wiki.titles.make(1, key)) for key in keys.scalars()]
        assert len(delivered) == 300  # no page beyond those delivered before the cancel
        assert all(
            p is not None and wiki.pages.get_text(conn, p).count("== alert('mm') ==") == 1 for p in delivered
        )
    log = admin.get(page_url(server, "Special:Log/massmessage")).text
    assert_no_raw_script(log)
    link = f'href="/w/index.php/Special:MassMessageStatus/{send_id}"'
    (line,) = [li for li in re.findall(r"<li data-mw-logid=.*?</li>", log, re.S) if link in li]
    assert 'data-mw-logaction="massmessage/send"' in line
    assert "sent a message to" in line and ">Big list</a>" in line
    comment = re.search(r'<span class="comment">\((.*?)\)</span>', line)
    assert comment is not None and html.unescape(comment.group(1)) == XSS


def test_the_cli_cancels_through_the_same_service(server: LiveServer) -> None:
    with ahead_of_the_server(server) as wiki:
        send_id, _ = wiki.massmessage.submit(
            actor(wiki, "Admin"), SendRequest("Small list", "Shell cancel", "Hi ~~~~", None)
        )
        done_id, _ = wiki.massmessage.submit(
            actor(wiki, "Admin"), SendRequest("Small list", "Shell done", "Hi ~~~~", None)
        )
    out = server.cli("massmessage", "cancel", str(send_id)).stdout
    assert f"send {send_id} by Admin to Small list" in out and "cancelled: 2 targets, 0 queued" in out
    assert "cancelled by the command line" in out
    assert api_status(server, send_id)["status"] == "cancelled"
    assert "cancelled: 2 targets" in server.cli("massmessage", "status", str(send_id)).stdout
    with ahead_of_the_server(server) as wiki:
        wiki.background().drain()
    finished = server.cli("massmessage", "cancel", str(done_id), check=False)
    assert finished.returncode == 1 and "already finished" in finished.stderr
    send = api_status(server, send_id)
    assert (send["delivered"], send["cancelled"]) == (0, 2)
    assert api_status(server, done_id)["status"] == "done"


def test_the_status_page_updates_itself_while_the_send_runs(server: LiveServer, browser: WebDriver) -> None:
    """In Chromium: massmessage-status.js polls list=massmessagestatus and rewrites the numbers
    in place (the page is never reloaded), and stops with the cancel (its button goes)."""
    with ahead_of_the_server(server) as wiki:
        send_id, _ = wiki.massmessage.submit(
            actor(wiki, "Admin"), SendRequest("Live list", XSS, "Live ~~~~", None)
        )
        wiki.jobs.run_once(1)  # the fan-out
        log_in(browser, server, "Admin", PASSWORD)
        open_page(browser, server, f"Special:MassMessageStatus/{send_id}")
        browser.execute_script("window.__sameDocument = true;")

        def text(element_id: str) -> str:
            return str(browser.find_element(By.ID, element_id).text)

        assert (text("mm-status-state"), text("mm-count-delivered"), text("mm-count-queued")) == (
            "delivering",
            "0",
            "6",
        )
        wiki.jobs.run_once(2)
        wait(browser).until(lambda _: text("mm-count-delivered") == "2")
        assert (text("mm-count-queued"), text("mm-count-done")) == ("4", "2")
        assert browser.find_element(By.ID, "mm-progress").get_attribute("value") == "2"
        wiki.massmessage.cancel(send_id, None)
        wait(browser).until(lambda _: text("mm-status-state") == "cancelled")
        assert (text("mm-count-cancelled"), text("mm-count-queued")) == ("4", "0")
        wait(browser).until(lambda d: not d.find_elements(By.ID, "mm-cancel-form"))
        assert browser.execute_script("return window.__sameDocument === true && !window.__xss;")
        assert text("mm-status-subject") == XSS  # shown as text


def test_the_status_script_and_the_listing(server: LiveServer, admin: requests.Session) -> None:
    script = requests.get(f"{server.base_url}/w/static/massmessage-status.js")
    assert (
        script.status_code == 200
        and "list: 'massmessagestatus'" in script.text
        and "new mw.Api()" in script.text
    )
    listing = admin.get(page_url(server, "Special:MassMessageStatus")).text
    assert_no_raw_script(listing)
    ids = [int(i) for i in re.findall(r'<tr data-mm-send="(\d+)">', listing)]
    assert ids and ids == sorted(ids, reverse=True)
    assert requests.get(page_url(server, "Special:MassMessageStatus/99999")).status_code == 404


def test_unclosed_tags_counts_start_and_end_tags() -> None:
    assert unclosed_tags("Hello <b>unbalanced") == ["<b>"]
    assert unclosed_tags("<b>bold</b> <br> <img src=x> <i>x") == ["<i>"]
    assert unclosed_tags("x</span> <div><div></div>") == ["<div>", "</span>"]  # start tags counted first
    assert unclosed_tags('<span class="a/b">x') == []  # a "/" inside: taken as self-closing
