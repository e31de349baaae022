"""Delivers into a local Maildir (the embedded default): one file per mail, exact bytes."""

from __future__ import annotations

import mailbox
import threading
from collections.abc import Sequence
from pathlib import Path

from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.message import OutgoingMail


class MaildirBackend(MailBackend):
    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._box: mailbox.Maildir | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            if self._box is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._box = mailbox.Maildir(self.path, create=True)

    def close(self) -> None:
        with self._lock:
            self._box = None

    def send_each(self, messages: Sequence[OutgoingMail]) -> list[DeliveryError | None]:
        self.open()
        box = self._box
        assert box is not None
        out: list[DeliveryError | None] = []
        for mail in messages:
            try:
                box.add(mail.raw)
                out.append(None)
            except OSError as err:
                out.append(DeliveryError(f"Maildir {self.path}: {err}"))
        return out

    def messages(self) -> list[bytes]:
        """Every stored mail's bytes (tests, ``mail list`` checks)."""
        box = mailbox.Maildir(self.path, create=True)
        return [box.get_bytes(key) for key in sorted(box.keys())]
