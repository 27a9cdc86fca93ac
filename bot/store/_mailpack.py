"""How outbox message bytes are kept at rest: compressed, then compacted once sent.

Every email the assistant sends is the same template with different answers, and about
15 KB, most of it the HTML part and two base64 attachments: at 10,000 applications the
bodies were 84 % of a 195 MB database.  Plain zlib only gets them to about 4 KB (and
SQLite then spills each row onto overflow pages).  zlib with a *preset dictionary* (the
first message the database ever stored, kept in the table ``mail_dictionary``) finds the
template in it, and a message shrinks to a few hundred bytes to 2 KB.  The dictionary lives
with the data, so any process that opens the database can read every message.

Sent messages are compacted after :data:`~bot.store.base.SENT_BODY_RETENTION`: the header
block (From, To, Cc, Subject, Date, Message-ID) is kept with a note in place of the body;
the outbox row keeps its recipients, Message-ID and each recipient's result, and the
application itself (its answers) stays for the full retention period, so the email can be
composed again (same Message-ID) if a hub ever asks for it.

Stored forms of ``outbox.data``: ``b"\\0D" + dictionary id (4 bytes) + zlib stream``, or
plain bytes (messages stored before this, and compacted ones).  An RFC 5322 message never
starts with a NUL byte, so the two cannot be confused.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

PACKED = b"\0D"
COMPACTED_TAIL = b"kept with the rest of the hub's applications.]\r\n"
MAX_DICTIONARY = 32 * 1024  # zlib's window: a longer dictionary's start would be unused


def dictionary_id(blob: bytes) -> int | None:
    return int.from_bytes(blob[2:6], "big") if blob.startswith(PACKED) else None


def pack(data: bytes, dictionary: tuple[int, bytes] | None) -> bytes:
    if dictionary is None or not data:
        return data
    number, zdict = dictionary
    compressor = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, zdict=zdict)
    packed = PACKED + number.to_bytes(4, "big") + compressor.compress(data) + compressor.flush()
    return packed if len(packed) < len(data) else data


def unpack(blob: bytes, dictionaries: Mapping[int, bytes]) -> bytes:
    number = dictionary_id(blob)
    if number is None:
        return blob
    decompressor = zlib.decompressobj(15, zdict=dictionaries[number])
    return decompressor.decompress(blob[6:]) + decompressor.flush()


def compact(data: bytes, days: int) -> bytes:
    """The message's header block and a note where its body was."""
    head, separator, _ = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, _ = data.partition(b"\n\n")
    note = (
        f"[The body of this message was removed {days} days after the hub's mail server "
        "accepted it. The application it carried is "
    )
    return head + b"\r\n\r\n" + note.encode() + COMPACTED_TAIL
