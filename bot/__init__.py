"""The Maths Hub applicant assistant.

A chat assistant for teachers and schools applying to the secondary teaching for mastery
programmes that England's Maths Hubs run with the NCETM.  The package is layered:

* the domain (``bot.knowledge``, ``bot.flows``, ``bot.assistant``, ``bot.answers``,
  ``bot.clock``) knows nothing of Telegram, HTTP, SQLite or SMTP;
* adapters wrap it: ``bot.store`` (SQLite), ``bot.mail`` (SMTP / .eml files),
  ``bot.channels`` (console, web chat, Telegram);
* ``bot.cli`` wires them together and is run as ``python -m bot``.
"""

from __future__ import annotations

__version__ = "0.1.0"
