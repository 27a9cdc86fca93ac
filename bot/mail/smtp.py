"""Delivery through an SMTP server (aiosmtplib): the transport used when ``SMTP_HOST`` is set.

TLS: ``SMTP_TLS`` connects over TLS from the start (usually port 465); ``SMTP_STARTTLS``
requires an upgrade with STARTTLS (usually port 587); with neither, the connection is
upgraded whenever the server offers STARTTLS.  Certificates are always verified.  The
password is never sent over a connection without TLS: a server that offers no TLS (or an
attacker who strips STARTTLS from its reply) gets no ``AUTH`` unless the operator sets
``SMTP_ALLOW_PLAIN_AUTH`` (for a relay on the same machine).

The transaction is driven recipient by recipient, so the outbox learns what the server
said about each address:

- the hub's address (the envelope's *required* recipient) refused: ``RSET``, nothing is
  sent to anybody, and the error is ``permanent`` for a 5xx reply (the message fails with
  the server's reason) or temporary for a 4xx one (greylisting: retried with backoff);
- a copied address refused: the message still goes to the others, and the refusal is
  recorded in the results;
- one overall deadline (``SMTP_TIMEOUT``) covers the whole conversation, so a silent
  server cannot hold a message for longer than that;
- the server goes silent or hangs up *after the data was sent*: it may have accepted the
  message, so the error is ``unconfirmed`` and the outbox does not re-send it blindly.

Connections serve a whole outbox pass: after a message is accepted its connection is
kept for the next one (``close()``, called at the end of each pass, sends QUIT), which
roughly halves the client's CPU a message.  A pass has up to ``SMTP_CONNECTIONS`` (3)
messages in flight, each on its own connection, because each message is seven round
trips (MAIL, a RCPT per recipient, DATA) and one connection leaves the client idle
while the server answers: on loopback that lifts throughput from about 200 to over 250
messages a second.  A kept connection the server has meanwhile dropped (idle timeout, a
``421`` at ``MAIL FROM``) is replaced by a fresh one and the message tried on it once
more: nothing of that message had been accepted, so exactly-once holds.  After any
failure the connection is closed, never reused.

Errors become :class:`~bot.mail.base.TransportError`; their texts carry the server's
reply, never the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import aiosmtplib

from bot.exceptions import ConfigError
from bot.mail.base import Envelope, Transport, TransportError
from bot.settings import SmtpSettings
from bot.store.base import ACCEPTED, DEFERRED, REFUSED, UNCONFIRMED, RecipientResult

logger = logging.getLogger(__name__)

COMMAND_TIMEOUT = 30.0  # any one reply
PROBE_TIMEOUT = 10.0

NO_TLS = (
    "{where} offers no TLS, so the SMTP password would travel in clear: refusing to log in. "
    "Use SMTP_TLS or SMTP_STARTTLS with a server that supports it, or set "
    "SMTP_ALLOW_PLAIN_AUTH=true for a relay on the same machine."
)


def _reply(code: int, message: str) -> str:
    return f"{code} {' '.join(str(message).split())}"[:300]


class PlainAuthRefused(TransportError):
    """Credentials are set but the connection has no TLS (a configuration problem)."""


class _StaleConnection(Exception):
    """A kept connection failed at MAIL FROM, before this message was accepted."""


@dataclass
class _Attempt:
    """What one message's transaction got to: each recipient's reply, and whether the
    data went out (after which a silence may mean delivered)."""

    results: dict[str, RecipientResult] = field(default_factory=dict)
    data_sent: bool = False


class SmtpTransport(Transport):
    def __init__(
        self,
        settings: SmtpSettings,
        *,
        timeout: float | None = None,
        command_timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        if settings.tls and settings.starttls:
            raise ConfigError("set SMTP_TLS or SMTP_STARTTLS, not both")
        if bool(settings.username) != bool(settings.password):
            raise ConfigError("SMTP_USERNAME and SMTP_PASSWORD go together: set both or neither")
        self.settings = settings
        self.timeout = timeout if timeout is not None else settings.timeout
        self.command_timeout = min(command_timeout, self.timeout)
        self.description = f"smtp://{settings.host}:{settings.port}"
        self.connections = settings.connections
        self._idle: list[aiosmtplib.SMTP] = []  # connections kept between messages

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        # No credentials here: aiosmtplib would log in on connect, before we could check TLS.
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.tls,
            start_tls=True if s.starttls else (False if s.tls else None),
            timeout=self.command_timeout,
        )

    async def _log_in(self, client: aiosmtplib.SMTP) -> None:
        s = self.settings
        if not s.username or not s.password:
            return
        if client.get_transport_info("sslcontext") is None and not s.allow_plain_auth:
            raise PlainAuthRefused(NO_TLS.format(where=self.description), unavailable=True)
        await client.login(s.username, s.password)

    async def probe(self) -> None:
        """Connect and check TLS before logging in: a start-up check for credentials.

        Raises ConfigError when the server offers no TLS and plain login is not allowed;
        an unreachable server is only logged (the outbox retries when it comes back).
        """
        s = self.settings
        if not s.username:
            return
        client = self._client()
        try:
            async with asyncio.timeout(min(PROBE_TIMEOUT, self.timeout)):
                await client.connect()
                if client.get_transport_info("sslcontext") is None and not s.allow_plain_auth:
                    raise ConfigError(NO_TLS.format(where=self.description))
                with contextlib.suppress(aiosmtplib.SMTPException):
                    await client.quit()
        except ConfigError:
            raise
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            logger.warning("could not check %s at start-up: %s", self.description, exc)
        finally:
            client.close()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.command_timeout):
                    await client.quit()
            client.close()

    async def send(self, envelope: Envelope) -> tuple[RecipientResult, ...]:
        try:
            return await self._send(envelope)
        except _StaleConnection:
            return await self._send(envelope)  # on a new connection: _send dropped the old

    async def _send(self, envelope: Envelope) -> tuple[RecipientResult, ...]:
        client, reused = self._take_client()
        attempt = _Attempt()
        accepted = False
        try:
            async with asyncio.timeout(self.timeout):
                await self._transact(client, envelope, reused, attempt)
            accepted = True
        except _StaleConnection:
            raise
        except TransportError as exc:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.command_timeout):
                    await client.rset()
            if not exc.results:
                exc.results = tuple(attempt.results.values())
            raise
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise self._failure(exc, attempt) from None
        finally:
            if accepted:
                self._idle.append(client)
            else:
                client.close()
        delivered = tuple(attempt.results.values())
        refused = [r for r in delivered if r.outcome != ACCEPTED]
        if refused:
            logger.warning(
                "%s: %s was delivered, but the server refused %s",
                self.description,
                envelope.reference or envelope.message_id,
                "; ".join(f"{r.address} ({r.reply})" for r in refused),
            )
        return delivered

    def _take_client(self) -> tuple[aiosmtplib.SMTP, bool]:
        """A kept connection that is still up (True), else a new, unconnected one."""
        while self._idle:
            kept = self._idle.pop()
            if kept.is_connected:
                return kept, True
            kept.close()
        return self._client(), False

    async def _transact(
        self, client: aiosmtplib.SMTP, envelope: Envelope, reused: bool, attempt: _Attempt
    ) -> None:
        """MAIL FROM, RCPT TO for each recipient, DATA (after connecting and logging in on a
        new connection), noting each recipient's result and when the data went out."""
        if not reused:
            await client.connect()
            await self._log_in(client)
        try:
            await client.mail(envelope.sender)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPResponseException) as exc:
            stale = not isinstance(exc, aiosmtplib.SMTPResponseException) or exc.code == 421
            if reused and stale:
                raise _StaleConnection from exc
            raise
        for recipient in envelope.recipients:
            attempt.results[recipient] = await self._rcpt(client, recipient)
        self._check_recipients(envelope, attempt.results)
        attempt.data_sent = True
        await client.data(envelope.data)

    def _failure(self, exc: Exception, attempt: _Attempt) -> TransportError:
        """The TransportError an SMTP, network or time-out failure means for the outbox."""
        results = tuple(attempt.results.values())
        if isinstance(
            exc, TimeoutError | aiosmtplib.SMTPTimeoutError | aiosmtplib.SMTPServerDisconnected
        ):
            what = (
                "stopped answering"
                if isinstance(exc, TimeoutError | aiosmtplib.SMTPTimeoutError)
                else "hung up"
            )
            if attempt.data_sent:
                return self._unconfirmed(what, attempt.results)
            return TransportError(
                f"{self.description} {what} before the message was sent"
                + (
                    f" (within the {self.timeout:.0f} s limit)"
                    if isinstance(exc, TimeoutError)
                    else ""
                ),
                unavailable=True,
                results=results,
            )
        if isinstance(exc, aiosmtplib.SMTPDataError):
            return TransportError(
                f"the server refused the message: {_reply(exc.code, exc.message)}",
                permanent=exc.code >= 500,
                results=results,
            )
        if isinstance(exc, aiosmtplib.SMTPConnectError):
            return TransportError(f"cannot reach {self.description}: {exc}", unavailable=True)
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            return TransportError(f"{self.description} replied {_reply(exc.code, exc.message)}")
        if isinstance(exc, aiosmtplib.SMTPException):
            return TransportError(f"{self.description}: {exc}")
        # DNS failures, TLS handshake errors
        return TransportError(f"cannot reach {self.description}: {exc}", unavailable=True)

    async def _rcpt(self, client: aiosmtplib.SMTP, recipient: str) -> RecipientResult:
        try:
            response = await client.rcpt(recipient)
        except aiosmtplib.SMTPRecipientRefused as exc:
            outcome = REFUSED if exc.code >= 500 else DEFERRED
            return RecipientResult(recipient, outcome, _reply(exc.code, exc.message))
        return RecipientResult(recipient, ACCEPTED, _reply(response.code, response.message))

    def _check_recipients(self, envelope: Envelope, results: dict[str, RecipientResult]) -> None:
        """Raise (so nothing is sent) when the hub, or every recipient, was refused."""
        required = [results[r] for r in envelope.required if r in results]
        blocking = [r for r in required if r.outcome != ACCEPTED]
        if not blocking and any(r.outcome == ACCEPTED for r in results.values()):
            return
        blocking = blocking or list(results.values())
        replies = "; ".join(f"{r.address}: {r.reply}" for r in blocking)
        if envelope.required and blocking[0].address in envelope.required:
            text = f"the hub's address was refused ({replies}); nobody was sent the message"
        else:
            text = f"every recipient was refused: {replies}"
        raise TransportError(
            text,
            permanent=all(r.outcome == REFUSED for r in blocking),
            results=tuple(results.values()),
        )

    def _unconfirmed(self, what: str, results: dict[str, RecipientResult]) -> TransportError:
        return TransportError(
            f"{self.description} {what} after receiving the message, so it may have been "
            "delivered; not re-sent automatically, to avoid sending it twice (check with the "
            "hub, then `python -m bot outbox retry` re-sends it with the same Message-ID)",
            unconfirmed=True,
            results=tuple(
                RecipientResult(r.address, UNCONFIRMED, r.reply) if r.outcome == ACCEPTED else r
                for r in results.values()
            ),
        )
