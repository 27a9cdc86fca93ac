"""The Maths Hub applicant assistant.

A chat assistant for teachers and schools applying to the secondary teaching for mastery
programmes that England's Maths Hubs run with the NCETM.  The package is layered:

* the domain (``bot.knowledge``, ``bot.flows``, ``bot.answers``, ``bot.clock``) and the
  conversation core (``bot.assistant``, ``bot.conversation``) know nothing of Telegram,
  HTTP, SQLite or SMTP; they reach storage through the ports of ``bot.store.ports``;
* adapters wrap it: ``bot.store`` (SQLite), ``bot.mail`` (SMTP / .eml files),
  ``bot.channels`` (console, web chat, Telegram);
* ``bot.cli`` wires them together (with ``bot.services``) and is run as ``python -m bot``.
"""

from __future__ import annotations

__version__ = "0.1.0"
