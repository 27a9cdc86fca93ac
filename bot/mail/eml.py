"""The embedded default transport: each message becomes an ``.eml`` file.

When ``SMTP_HOST`` is unset, messages are written to ``BOT_DATA_DIR/mail/`` as RFC 5322
files (open them with any mail program, or ``python -m email``-style parsers), so a
newcomer sees exactly what a hub would receive.  The file is named after the
application's reference, written to a temporary name, flushed to disk and then renamed,
so a crash never leaves half a message.  A second delivery of the same message finds it
already there; a *different* message is never written over an existing file (it gets
``<reference>-2.eml``).
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from bot.exceptions import DeliveryError
from bot.mail.base import Envelope, Transport, TransportError, all_accepted
from bot.store.base import RecipientResult

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(envelope: Envelope) -> str:
    stem = _UNSAFE.sub("_", envelope.reference or envelope.message_id.strip("<>")).strip("._")
    return f"{stem[:120] or 'message'}.eml"


class EmlDirectoryTransport(Transport):
    delivers = False  # a file on this server has not reached any hub

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.description = f"eml files in {directory}"

    def handed_over(self, envelope: Envelope) -> str:
        return (
            f"written to {self.path_for(envelope)}; no mail server is set (SMTP_HOST), so it "
            "has not reached the hub: set SMTP_HOST and run `python -m bot outbox retry`, "
            "or send the file yourself"
        )

    def path_for(self, envelope: Envelope) -> Path:
        return self.directory / file_name(envelope)

    def _write(self, envelope: Envelope) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = self.path_for(envelope)
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with open(partial, "wb") as handle:
                handle.write(envelope.data)
                handle.flush()
                os.fsync(handle.fileno())
            # Never overwrite another message: the same message again (a retry) is already
            # there; a different one under the same name (a reference reused after the
            # database was reset) gets a name of its own.
            for n in range(1, 1000):
                candidate = target if n == 1 else target.with_name(f"{target.stem}-{n}.eml")
                try:
                    os.link(partial, candidate)
                    return
                except FileExistsError:
                    if candidate.read_bytes() == envelope.data:
                        return
            raise OSError(f"too many files named like {target.name}")
        finally:
            partial.unlink(missing_ok=True)

    def _probe(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = self.directory / f".probe.{os.getpid()}"
        try:
            probe.write_bytes(b"")
        finally:
            probe.unlink(missing_ok=True)

    async def probe(self) -> None:
        """Refuse to start when the mail folder cannot be written: an application taken
        now could not be delivered."""
        try:
            await asyncio.to_thread(self._probe)
        except OSError as exc:
            raise DeliveryError(
                f"cannot write to the mail folder {self.directory}: {exc.strerror or exc} "
                "(it must be a writable directory; BOT_DATA_DIR sets where it is)"
            ) from None

    async def send(self, envelope: Envelope) -> tuple[RecipientResult, ...]:
        try:
            await asyncio.to_thread(self._write, envelope)
            return all_accepted(envelope)
        except OSError as exc:
            raise TransportError(
                f"cannot write to {self.directory}: {exc.strerror or exc}", unavailable=True
            ) from None
