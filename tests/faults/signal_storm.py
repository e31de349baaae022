"""``python -m tests.faults.signal_storm DATA_DIR``: a worker whose stop handler is itself hit by
SIGTERMs, at every return inside it — so one lands while the handler holds whatever it holds.

The worker (``run_worker``, as ``wikipost jobs work`` runs it) gets one SIGTERM from a timer
thread; a profile hook then sends another SIGTERM at each return and C-function return inside
the handler's frames (up to 40). Issue #11's handler called ``Event.set``: a nested SIGTERM at
the return of the lock's acquire ran the handler again inside the locked block, and it
deadlocked on that lock. A handler that takes no lock survives any number of them. Prints
``stopped after N nested SIGTERMs`` and exits 0 when the worker stopped.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from wikipost.db.migrate import upgrade
from wikipost.settings import load_settings
from wikipost.wiki import build_wiki
from wikipost.worker_process import run_worker

NESTED_LIMIT = 40


def main(data_dir: Path) -> None:
    wiki = build_wiki(load_settings(None, data_dir, environ={}))
    upgrade(wiki.db)
    depth = 0
    sent = 0

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        nonlocal depth, sent
        handler = signal.getsignal(signal.SIGTERM)
        if frame.f_code is getattr(handler, "__code__", None):
            depth += 1 if event == "call" else -1 if event == "return" else 0
        if depth > 0 and sent < NESTED_LIMIT and event in ("c_return", "return"):
            sent += 1
            os.kill(os.getpid(), signal.SIGTERM)

    sys.setprofile(profile)
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
    run_worker(wiki)
    sys.setprofile(None)
    print(f"stopped after {sent} nested SIGTERMs", flush=True)
    wiki.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
