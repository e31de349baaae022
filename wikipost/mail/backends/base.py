"""The one small interface every mail backend implements.

``send_messages(list) -> count`` is the whole contract callers rely on; ``send_each`` gives the
outbox each message's own outcome (``None`` = accepted, else a :class:`DeliveryError`) so one
refused mail does not hide the others' fate. Backends are context managers around
``open``/``close``; ``open`` is idempotent and a closed backend reopens on the next send.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from wikipost.mail.message import OutgoingMail


class DeliveryError(Exception):
    """A mail was not accepted. ``permanent`` (5xx): do not retry; else retry later.

    ``unreachable``: not this mail's fault — the backend could not be reached at all (no SMTP
    connection, a maildir on a full or read-only filesystem), so every other mail would fail
    the same way now; the outbox then stops trying the rest of its batch.
    """

    def __init__(self, reason: str, *, permanent: bool = False, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.unreachable = unreachable


class MailBackend:
    name = "base"

    def open(self) -> None:
        """Acquire what sending needs (a connection); idempotent."""

    def close(self) -> None:
        """Release it; the next send opens again."""

    def send_each(self, messages: Sequence[OutgoingMail]) -> list[DeliveryError | None]:
        raise NotImplementedError

    def send_messages(self, messages: Sequence[OutgoingMail]) -> int:
        """Send every message; how many were accepted."""
        return sum(1 for outcome in self.send_each(messages) if outcome is None)

    def __enter__(self) -> MailBackend:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
