"""Mail backends behind one interface; :func:`build_backend` picks one from the settings and,
with ``[mail] dkim_selector`` set, wraps it in the DKIM signer."""

from __future__ import annotations

from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.backends.maildir import MaildirBackend
from wikipost.mail.backends.memory import MemoryBackend
from wikipost.mail.backends.signing import DkimSigningBackend
from wikipost.mail.backends.smtp import SmtpBackend
from wikipost.mail.dkimsign import DkimError, DkimSigner
from wikipost.settings import Settings, SettingsError


def build_backend(settings: Settings) -> MailBackend:
    backend = _plain_backend(settings)
    mail = settings.mail
    try:
        signer = DkimSigner.from_settings(
            mail.dkim_selector, mail.dkim_domain, mail.dkim_private_key_file, settings.site.password_sender
        )
    except DkimError as err:  # checked when the settings loaded; the key file changed since
        raise SettingsError(f"[mail] {err}") from err
    return backend if signer is None else DkimSigningBackend(backend, signer)


def _plain_backend(settings: Settings) -> MailBackend:
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


__all__ = [
    "DeliveryError",
    "DkimSigningBackend",
    "MailBackend",
    "MaildirBackend",
    "MemoryBackend",
    "SmtpBackend",
    "build_backend",
]
