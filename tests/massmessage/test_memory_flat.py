"""Memory flat in the size of a delivery list (#14): a send's targets stream from the list's text
into the target table, so ``wikipost serve`` takes about as much memory submitting a 20,000-target
send as a 1,000-target one (each measured on a fresh server process: the high-water mark,
VmHWM, belongs to that size).

Also here: the streaming reader of list text (``scan_list_text``) against ``parse_list_text``,
which decodes the whole list — the same verdict and the same targets for any text — and the
send's own checks (duplicates, invalid titles found while recording, categories read a page at a
time). The helpers that measure a send are shared with bench/massmessage_memory.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from tests.emailuser.helpers import setup_users
from tests.faults.support import children
from tests.live import LiveServer, bot_login, start_live_server
from tests.massmessage.anchor import save_as
from tests.servers import PostgresStores
from wikipost.api.errors import ApiError
from wikipost.db.schema.accounts import users
from wikipost.db.schema.massmessage import massmessage_targets
from wikipost.namespaces import Namespaces
from wikipost.services import massmessage as massmessage_service
from wikipost.services import massmessage_lists as lists
from wikipost.services.massmessage import SendRequest
from wikipost.services.titles import TitleParser
from wikipost.wiki import Wiki

LIST = "Memory list"
BOT = ("Admin@memory", "memflatbotpass0123456789abcdefgh")  # [0-9a-w]{32}
# What a bigger list may add to serve's peak besides its text (held once, as the page's text):
# SQLite's page cache (2 MB a connection) filled by the inserts, the database pages mapped into
# the process (mmap_size: the list's own pages among them), the allocator's arenas. Measured at
# 20,000 targets (0.8 MB of list text): +4.1 MB on SQLite, +2.1 MB on PostgreSQL; the list
# decoded at once, as before #14, added 11 MB on SQLite.
MARGIN_KB = 5 * 1024


# --- measuring a send (shared with bench/massmessage_memory.py) ---------------------------------


def vm_kb(pid: int, field: str = "VmHWM") -> int:
    """A size from /proc/PID/status in kB: ``VmHWM`` (the peak resident set) or ``VmRSS``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def reset_peak(pid: int) -> int:
    """Reset the process's VmHWM to its current resident set (Linux: "5" to clear_refs), so the
    next reading is the peak of what follows rather than of start-up; the current size (kB)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return vm_kb(pid, "VmRSS")


def list_text(size: int) -> str:
    """A delivery list of the ``User:`` pages of users ``Target 0`` … in the stored form (one
    entry at a time: the list is built as 1.39 prints it without a decoded copy)."""
    entries = ",".join(f'\n\t\t{{\n\t\t\t"title": "User:Target {i}"\n\t\t}}' for i in range(size))
    return '{\n\t"description": "Memory",\n\t"targets": [' + entries + "\n\t]\n}"


def prepare(server: LiveServer, size: int) -> None:
    """An administrator with a bot password, ``size`` users and a list of their user pages,
    written through the services beside the (stopped) server."""
    with server.open_wiki() as wiki:
        admin = wiki.users.create("Admin", None, groups=("sysop", "bureaucrat"))
        wiki.botpasswords.create(admin.id, "memory", ["basic", "highvolume", "editpage"], BOT[1])
        now = int(time.time())
        with wiki.db.write() as conn:
            for start in range(0, size, 5000):
                conn.execute(
                    insert(users),
                    [
                        {"name": f"Target {i}", "email": "", "registration": now, "editcount": 0}
                        for i in range(start, min(size, start + 5000))
                    ],
                )
            wiki.pages.save(
                conn,
                title=wiki.titles.parse(LIST),
                actor=wiki.users.actor_for(admin),
                text=list_text(size),
                content_model=lists.CONTENT_MODEL,
            )


@dataclass
class SendFigures:
    size: int
    serve_before_kb: int  # serve's resident set before the submit (after start and a login)
    serve_kb: int  # serve's peak resident set during the submit
    submit_seconds: float
    worker_before_kb: int | None = None  # the worker's resident set before the send
    worker_kb: int | None = None  # its peak during the delivery (None: not waited for)
    deliver_seconds: float | None = None
    # Resident anonymous / file-backed memory after the submit and after the delivery: the
    # file-backed part is mostly the SQLite database mapped into the process (mmap_size), which
    # grows with the store rather than with anything the process holds.
    serve_split_kb: tuple[int, int] = (0, 0)
    worker_split_kb: tuple[int, int] | None = None


def rss_split_kb(pid: int) -> tuple[int, int]:
    """(RssAnon, RssFile) of the process now, kB."""
    return vm_kb(pid, "RssAnon"), vm_kb(pid, "RssFile")


def newest_send(server: LiveServer, session: requests.Session) -> dict[str, Any]:
    """``list=massmessagestatus`` of the store's newest (here: only) send."""
    answer = session.get(
        server.api_url,
        params={"action": "query", "list": "massmessagestatus", "mmslimit": "1", "format": "json"},
        timeout=60,
    ).json()
    status: dict[str, Any] = answer["query"]["massmessagestatus"][0]
    return status


def measure_send(
    server: LiveServer, size: int, *, deliver: bool, deliver_timeout: float = 1800.0
) -> SendFigures:
    """Start ``server`` (fresh process), submit a send to its ``size``-target list and read
    serve's peak during the submit; with ``deliver``, wait until it is delivered and read the
    peak of the worker (``jobs work``, serve's child) since just before the submit."""
    server.start()
    assert server.proc is not None
    serve_pid = server.proc.pid
    session, csrf = bot_login(server.api_url, *BOT)
    workers = children(serve_pid, b"work")
    worker_before = reset_peak(workers[0]) if len(workers) == 1 else None
    before = reset_peak(serve_pid)
    started = time.monotonic()
    answer = session.post(
        server.api_url,
        data={
            "action": "massmessage",
            "spamlist": LIST,
            "subject": "Memory",
            "message": "Hello. ~~~~",
            "token": csrf,
            "format": "json",
        },
        timeout=600,
    ).json()
    submit_seconds = time.monotonic() - started
    assert answer.get("massmessage") == {"result": "success", "count": size}, answer
    figures = SendFigures(size, before, vm_kb(serve_pid), submit_seconds, worker_before)
    figures.serve_split_kb = rss_split_kb(serve_pid)
    if deliver:
        deadline = time.monotonic() + deliver_timeout
        while (status := newest_send(server, session))["status"] != "done":
            if time.monotonic() > deadline:
                raise TimeoutError(f"not delivered in {deliver_timeout} s: {status}")
            time.sleep(0.2)
        assert status["delivered"] == size, status
        figures.deliver_seconds = time.monotonic() - started - submit_seconds
        if worker_before is not None and children(serve_pid, b"work") == workers:  # not restarted
            figures.worker_kb = vm_kb(workers[0])
            figures.worker_split_kb = rss_split_kb(workers[0])
    return figures


def fresh_send(tmp_path: Path, size: int, config: dict[str, Any], *, deliver: bool = False) -> SendFigures:
    """A new store and a new ``wikipost serve``: prepare, measure, stop."""
    server = start_live_server(tmp_path, config, start=False)
    try:
        prepare(server, size)
        return measure_send(server, size, deliver=deliver)
    finally:
        server.stop()


# --- the memory test ---------------------------------------------------------------------------


def assert_flat(small: SendFigures, large: SendFigures) -> None:
    """The larger send raised serve's high-water mark by at most its list's text and MARGIN_KB
    more than the 1,000-target send did (and stayed within 1.2 times it)."""
    text_kb = len(list_text(large.size)) // 1024
    allowed = small.serve_kb + text_kb + MARGIN_KB
    report = f"1,000: {small}; {large.size:,}: {large}; allowed {allowed} kB"
    assert large.serve_kb <= allowed, report
    assert large.serve_kb <= 1.2 * small.serve_kb, report


@pytest.mark.live
def test_serve_memory_is_flat_in_the_list_size_on_sqlite(tmp_path: Path) -> None:
    small = fresh_send(tmp_path, 1_000, {})
    large = fresh_send(tmp_path, 20_000, {})
    assert_flat(small, large)


@pytest.mark.live
@pytest.mark.postgres
def test_serve_memory_is_flat_in_the_list_size_on_postgres(
    tmp_path: Path, postgres_stores: PostgresStores
) -> None:
    made = []
    try:
        figures = []
        for size in (1_000, 20_000):
            name, url = postgres_stores.fresh()
            made.append(name)
            figures.append(fresh_send(tmp_path, size, {"database": {"url": url}}))
        assert_flat(*figures)
    finally:
        for name in made:
            postgres_stores.drop(name)


# --- the streaming reader against the whole-list decoder ---------------------------------------

_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=8)
)
_titles = st.sampled_from(["User:A", "User talk:B", "Main Page", "Talk:", "x|y", "", "Project:P", "a@b"])
_entries = st.one_of(
    st.fixed_dictionaries(
        {"title": _titles}, optional={"site": st.sampled_from(["anchorwiki", "elsewhere", 1])}
    ),
    _json_scalars,
    st.fixed_dictionaries({}, optional={"name": _titles}),
)
_documents = st.fixed_dictionaries(
    {},
    optional={
        "description": st.one_of(st.text(max_size=5), st.integers()),
        "targets": st.one_of(st.lists(_entries, max_size=4), _json_scalars),
        "other": _json_scalars,
    },
)


def _render(document: Any, draw_noise: list[str]) -> str:
    """JSON text of ``document`` with some whitespace, sometimes a repeated key (the last
    counts) and sometimes broken syntax."""
    text = json.dumps(document, indent=draw_noise[0] if draw_noise[0] else None)
    noise = draw_noise[1]
    if noise == "dup" and text.startswith("{") and len(text) > 2:
        return '{"targets": 5, ' + text[1:] if text != "{}" else text
    if noise == "cut":
        return text[:-1]
    if noise == "comma" and text.endswith("]}"):
        return text[:-2] + ",]}"
    if noise == "tail":
        return text + " x"
    if noise == "space":
        return " \n" + text + "\t\r\n"
    return text


def _verdict(run: Callable[[], Any]) -> Any:
    try:
        return run()
    except lists.ListContentError as err:
        return ("error", err.code, err.info)


@pytest.fixture(scope="module")
def titles() -> TitleParser:
    return TitleParser(Namespaces("AnchorWiki"))


@settings(max_examples=400, deadline=None)
@given(
    document=st.one_of(_documents, st.lists(_json_scalars, max_size=2), _json_scalars),
    indent=st.sampled_from(["", "\t", "  "]),
    noise=st.sampled_from(["", "", "dup", "cut", "comma", "tail", "space"]),
)
def test_the_streaming_reader_agrees_with_the_decoder(
    titles: TitleParser, document: Any, indent: str, noise: str
) -> None:
    text = _render(document, [indent, noise])
    sites = lists.Sites.of("127.0.0.1", "anchorwiki")

    def decoded() -> Any:
        data = lists.parse_list_text(text, titles)
        return data["description"], lists.usable_targets(data, sites)

    def streamed() -> Any:
        scanned = lists.scan_list_text(text)
        scanned.check_titles(titles)
        return scanned.description, list(scanned.usable_titles(sites))

    assert _verdict(streamed) == _verdict(decoded), text


@pytest.mark.parametrize(
    "text",
    [
        '{"description": "d", "targets": [{"title": "A"}], "targets": [{"title": "B"}]}',
        '{"targets": [{"title": "A"}], "description": "d", "description": "e"}',
        '{"description": "d", "targets": [{"title": "A"}, {"title": 1e400}]}',
        '{"description": "d", "targets": [{"title": "A", "n": NaN}]}',
        '{"description": "d", "targets": [{"title": "A", "n": 123456789012345678901234567890}]}',
        '{"description": "d", "targets": [{"title": "Talk:"}], "x": [1,]}',
        '{"description": "d", "targets": [{"title": "Talk:"}]}',
        '\ufeff{"description": "d", "targets": []}',
        '{"description": "d", "targets": [] }  ',
        '{"description": "d" "targets": []}',
        '{"description": "d", "targets": [{"title": "A"} {"title": "B"}]}',
        "{}",
        "[]",
        "",
    ],
)
def test_the_streaming_reader_on_edge_cases(titles: TitleParser, text: str) -> None:
    def decoded() -> Any:
        data = lists.parse_list_text(text, titles)
        return data["description"], [t["title"] for t in data["targets"]]

    def streamed() -> Any:
        scanned = lists.scan_list_text(text)
        scanned.check_titles(titles)
        return scanned.description, [t["title"] for t in scanned.items()]

    assert _verdict(streamed) == _verdict(decoded)


# --- the send: duplicates in the database, titles checked while recording ----------------------


def _targets(wiki: Wiki, send_id: int) -> list[str]:
    with wiki.db.read() as conn:
        return list(
            conn.execute(
                select(massmessage_targets.c.title)
                .where(massmessage_targets.c.send_id == send_id)
                .order_by(massmessage_targets.c.id)
            ).scalars()
        )


@pytest.fixture
def store_wiki(any_wiki: Wiki) -> Wiki:
    return any_wiki


def test_duplicates_are_dropped_by_the_database_in_list_order(store_wiki: Wiki) -> None:
    wiki = store_wiki
    admin = wiki.users.actor_for(setup_users(wiki).admin)
    entries = ["User:Bob", "User talk:Carol", "User talk:Bob", "user:carol", "Dave", "User:Bob"]
    text = json.dumps({"description": "", "targets": [{"title": t} for t in entries]})
    save_as(wiki, admin, LIST, text, model=lists.CONTENT_MODEL)
    send_id, count = wiki.massmessage.submit(admin, SendRequest(LIST, "Dupes", "Hi.", None))
    assert count == 3
    assert _targets(wiki, send_id) == ["User talk:Bob", "User talk:Carol", "Dave"]
    assert wiki.massmessage.preview(admin, SendRequest(LIST, "Dupes", "Hi.", None)).count == 3


def test_an_invalid_title_found_while_recording_undoes_the_send(store_wiki: Wiki) -> None:
    wiki = store_wiki
    admin = wiki.users.actor_for(setup_users(wiki).admin)
    # Stored without validation (the service-level save): the title check comes at submit,
    # after thousands of targets were recorded.
    targets = [{"title": f"User:Someone {i}"} for i in range(2500)] + [{"title": "Bad|title"}]
    save_as(wiki, admin, LIST, json.dumps({"description": "", "targets": targets}), model=lists.CONTENT_MODEL)
    with pytest.raises(ApiError) as raised:
        wiki.massmessage.submit(admin, SendRequest(LIST, "Invalid", "Hi.", None))
    assert [m.code for m in raised.value.messages] == ["massmessage-spamlist-invalid"]
    with pytest.raises(ApiError) as both:  # with another failure, the list is reported too
        wiki.massmessage.submit(admin, SendRequest(LIST, " ", "Hi.", None))
    assert [m.code for m in both.value.messages] == [
        "massmessage-empty-subject",
        "massmessage-spamlist-invalid",
    ]
    with wiki.db.read() as conn:
        assert conn.execute(select(massmessage_targets.c.id)).first() is None
    assert wiki.massmessage.recent_sends(10) == []


def test_an_entry_for_another_site_with_an_invalid_title_makes_the_list_invalid(store_wiki: Wiki) -> None:
    wiki = store_wiki
    admin = wiki.users.actor_for(setup_users(wiki).admin)
    text = json.dumps(
        {"description": "", "targets": [{"title": "User:Bob"}, {"title": "Bad|title", "site": "elsewhere"}]}
    )
    save_as(wiki, admin, LIST, text, model=lists.CONTENT_MODEL)
    with pytest.raises(ApiError) as raised:
        wiki.massmessage.submit(admin, SendRequest(LIST, "Invalid", "Hi.", None))
    assert [m.code for m in raised.value.messages] == ["massmessage-spamlist-invalid"]


def test_a_category_is_read_a_page_at_a_time_in_its_order(
    store_wiki: Wiki, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki = store_wiki
    admin = wiki.users.actor_for(setup_users(wiki).admin)
    monkeypatch.setattr(massmessage_service, "CATEGORY_PAGE", 3)
    names = [f"User talk:Member {i}" for i in (5, 1, 4, 2, 3, 0, 6)]
    for name in names:
        save_as(wiki, admin, name, "[[Category:Members]]")
    save_as(wiki, admin, "Project:Also", "[[Category:Members|!first]]")
    send_id, count = wiki.massmessage.submit(admin, SendRequest("Category:Members", "Cat", "Hi.", None))
    project = wiki.titles.parse("Project:Also").prefixed_text  # sorts first: "!first"
    expected = [project] + [f"User talk:Member {i}" for i in range(7)]
    assert count == 8
    assert _targets(wiki, send_id) == expected
    with wiki.db.read() as conn:
        in_order = [t.prefixed_text for t in wiki.pages.category_members(conn, "Members")]
    assert in_order == expected
