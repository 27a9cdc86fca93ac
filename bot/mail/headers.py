"""Making applicant text safe to put into a header.

Nothing an applicant typed may add or change a header.  Python's email package refuses
CR/LF in header values on current releases, but not on every patch level, and other
characters (NUL, the Unicode line and paragraph separators U+2028/U+2029, NEL U+0085,
bidi overrides) still confuse mail software.  So everything that reaches a header goes
through :func:`header_text` or :func:`address` first, whatever validated it before.
"""

from __future__ import annotations

import re
import unicodedata

# Categories dropped from header text: every "other" category (Cc control, Cf format,
# Cs surrogate, Co private use, Cn unassigned) and the line/paragraph separators.
_DROP = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
# A conservative ASCII addr-spec: dot-atom local part and a dotted domain of letters,
# digits and hyphens.  Anything else is left out of the headers and the envelope.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MAX_HEADER_CHARS = 200
MAX_ADDRESS_CHARS = 254


def header_text(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """``value`` on one line: control, format and separator characters become spaces,
    runs of whitespace one space, and the result at most ``limit`` characters."""
    kept = "".join(" " if unicodedata.category(c) in _DROP else c for c in str(value))
    text = " ".join(kept.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def address(value: str) -> str | None:
    """A plain ``local@domain`` fit for a header and the SMTP envelope, or None.

    Control characters are removed first (so ``a@b.org\\r\\nBcc: x@y.org`` does not
    survive as an address at all); what remains must be one ASCII address.
    """
    kept = "".join(c for c in str(value) if unicodedata.category(c) not in _DROP)
    kept = kept.strip()
    if len(kept) > MAX_ADDRESS_CHARS or not _ADDRESS.match(kept):
        return None
    return kept


def domain_of(value: str, default: str = "localhost") -> str:
    """The domain of an address (for Message-IDs), or ``default``."""
    found = address(value.rsplit("<", 1)[-1].rstrip(">").strip()) if value else None
    return found.rsplit("@", 1)[1].lower() if found else default
