"""Mail backends behind one interface; :func:`build_backend` picks one from the settings."""

from __future__ import annotations

from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.backends.maildir import MaildirBackend
from wikipost.mail.backends.memory import MemoryBackend
from wikipost.mail.backends.smtp import SmtpBackend
from wikipost.settings import Settings


def build_backend(settings: Settings) -> MailBackend:
    mail = settings.mail
    if mail.backend == "memory":
        return MemoryBackend()
    if mail.backend == "maildir":
        return MaildirBackend(settings.maildir_path)
    if mail.backend == "smtp":
        return SmtpBackend(
            mail.smtp_host,
            mail.smtp_port,
            username=mail.smtp_user,
            password=mail.smtp_password,
            tls=mail.smtp_tls,
            timeout=mail.smtp_timeout,
        )
    raise ValueError(f'[mail] backend must be "maildir", "smtp" or "memory", not {mail.backend!r}')


__all__ = ["DeliveryError", "MailBackend", "MaildirBackend", "MemoryBackend", "SmtpBackend", "build_backend"]
