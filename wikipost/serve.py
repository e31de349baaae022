"""The app factory uvicorn imports in each worker process (settings from the environment)."""

from __future__ import annotations

import ctypes
import os

from wikipost.app import ApiEndpoint, build_app
from wikipost.ops.logs import configure_logging
from wikipost.settings import load_settings
from wikipost.wakeup import WakeSender, wake_address
from wikipost.wiki import build_wiki

_M_MMAP_THRESHOLD = -3  # glibc's mallopt() parameter
LARGE_BLOCK_BYTES = 1 << 20


def unmap_large_blocks(threshold: int = LARGE_BLOCK_BYTES) -> None:
    """Have glibc map malloc blocks of ``threshold`` bytes and more on their own, so that
    freeing one gives its memory back to the system (Linux; elsewhere nothing happens).

    Each password check (Argon2) needs 19 MiB of working memory. By default glibc raises its
    mmap threshold after the first such block is freed, and from then on serves it from the
    arena of the thread doing the check, which keeps it: every thread of the request thread
    pool that ever checked a password held 19 MiB more (issue #11's soak: the server's
    anonymous memory rose from 95 to 134 MB after warm-up at 100 requests/s, 152 to 192 MB at
    200). A fixed threshold keeps it flat, at half the size; a check costs a few page faults
    more (21 to 27 ms for one check alone; login latency in the soak did not move).
    """
    try:
        libc = ctypes.CDLL(None)  # the C library is loaded already
        libc.mallopt(_M_MMAP_THRESHOLD, threshold)
    except (OSError, AttributeError):  # not glibc
        pass


def create_app() -> ApiEndpoint:
    unmap_large_blocks()
    settings = load_settings()
    log_handler = configure_logging(settings.logging)
    wiki = build_wiki(settings)
    if os.environ.get("WIKIPOST_WORKER_PROCESS") == "1":
        # serve started the worker process: it delivers, runs jobs and checkpoints the WAL.
        wiki.db.defer_checkpoints()
        wiki.remote_wake = WakeSender(wake_address(settings.data_dir)).wake
        return build_app(wiki, run_worker=False, log_handler=log_handler)
    return build_app(wiki, run_worker=True, log_handler=log_handler)
