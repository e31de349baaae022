"""Keeps sent mail on the instance (tests): ``backend.outbox`` in sending order."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.message import OutgoingMail


class MemoryBackend(MailBackend):
    name = "memory"

    def __init__(self) -> None:
        self.outbox: list[OutgoingMail] = []
        self._lock = threading.Lock()

    def send_each(self, messages: Sequence[OutgoingMail]) -> list[DeliveryError | None]:
        with self._lock:
            self.outbox.extend(messages)
        return [None] * len(messages)
