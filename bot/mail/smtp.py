"""Delivery through an SMTP server (aiosmtplib): the transport used when ``SMTP_HOST`` is set.

TLS: ``SMTP_TLS`` connects over TLS from the start (usually port 465); ``SMTP_STARTTLS``
requires an upgrade with STARTTLS (usually port 587); with neither, aiosmtplib upgrades
whenever the server offers STARTTLS.  Certificates are always verified.

Errors become :class:`~bot.mail.base.TransportError`: a server that cannot be reached is
``unavailable``; a 5xx refusal of every recipient or of the message data is
``permanent``; everything else (including a refused login or sender, which the operator
can fix) is worth retrying.  Error texts carry the server's reply, never the password.
"""

from __future__ import annotations

import logging

import aiosmtplib

from bot.exceptions import ConfigError
from bot.mail.base import Envelope, Transport, TransportError
from bot.settings import SmtpSettings

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0


def _reply(code: int, message: str) -> str:
    return f"{code} {' '.join(str(message).split())}"[:300]


class SmtpTransport(Transport):
    def __init__(self, settings: SmtpSettings, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if settings.tls and settings.starttls:
            raise ConfigError("set SMTP_TLS or SMTP_STARTTLS, not both")
        if bool(settings.username) != bool(settings.password):
            raise ConfigError("SMTP_USERNAME and SMTP_PASSWORD go together: set both or neither")
        self.settings = settings
        self.timeout = timeout
        self.description = f"smtp://{settings.host}:{settings.port}"

    async def send(self, envelope: Envelope) -> None:
        s = self.settings
        try:
            refused, _reply_text = await aiosmtplib.send(
                envelope.data,
                sender=envelope.sender,
                recipients=list(envelope.recipients),
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                use_tls=s.tls,
                start_tls=True if s.starttls else (False if s.tls else None),
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise TransportError(
                "every recipient was refused: "
                + "; ".join(_reply(r.code, r.message) for r in exc.recipients),
                permanent=bool(codes) and all(code >= 500 for code in codes),
            ) from None
        except aiosmtplib.SMTPDataError as exc:
            raise TransportError(
                f"the server refused the message: {_reply(exc.code, exc.message)}",
                permanent=exc.code >= 500,
            ) from None
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected) as exc:
            raise TransportError(
                f"cannot reach {self.description}: {exc}", unavailable=True
            ) from None
        except aiosmtplib.SMTPTimeoutError as exc:
            raise TransportError(f"{self.description} timed out: {exc}", unavailable=True) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise TransportError(
                f"{self.description} replied {_reply(exc.code, exc.message)}"
            ) from None
        except aiosmtplib.SMTPException as exc:
            raise TransportError(f"{self.description}: {exc}") from None
        except OSError as exc:  # DNS failures, TLS handshake errors
            raise TransportError(
                f"cannot reach {self.description}: {exc}", unavailable=True
            ) from None
        if refused:
            logger.warning(
                "%s: the server accepted %s but refused %d of its %d recipients",
                self.description,
                envelope.reference or envelope.message_id,
                len(refused),
                len(envelope.recipients),
            )
