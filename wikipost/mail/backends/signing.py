"""A backend wrapper that DKIM-signs every mail before the real backend sends it.

``build_backend`` puts it around the configured backend when ``[mail] dkim_selector`` is set,
so the outbox drainer, ``delivery = "sync"`` and Special:RunJobs — everything that sends
through ``Wiki.mailer`` — send signed mail. See wikipost/mail/dkimsign.py for why signing
happens here, at each attempt, rather than when the mail is composed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from wikipost.mail.backends.base import DeliveryError, MailBackend
from wikipost.mail.dkimsign import DkimError, DkimSigner
from wikipost.mail.message import OutgoingMail

log = logging.getLogger("wikipost.mail")


class DkimSigningBackend(MailBackend):
    def __init__(self, inner: MailBackend, signer: DkimSigner) -> None:
        self.inner = inner
        self.signer = signer
        self.name = inner.name

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def send_each(self, messages: Sequence[OutgoingMail]) -> list[DeliveryError | None]:
        """Sign each mail, send the signed ones; a mail that cannot be signed is not sent
        unsigned: it gets a (temporary) DeliveryError with the reason."""
        out: list[DeliveryError | None] = [None] * len(messages)
        signed: list[OutgoingMail] = []
        positions: list[int] = []
        for index, mail in enumerate(messages):
            try:
                signed.append(self.signer.sign(mail))
                positions.append(index)
            except DkimError as err:
                log.warning("mail %s not sent: %s", mail.message_id, err)
                out[index] = DeliveryError(str(err))
        if signed:
            for index, result in zip(positions, self.inner.send_each(signed), strict=True):
                out[index] = result
        return out
