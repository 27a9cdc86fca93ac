"""Delivering submitted Expressions of Interest to their Maths Hubs by email.

- :mod:`bot.mail.compose` turns a submitted application into an RFC 5322 message
  (:mod:`bot.mail.body` lays out its text and HTML parts, :mod:`bot.mail.headers`
  keeps applicant text from adding or changing a header).
- :mod:`bot.mail.outbox` delivers the store's outbox through a :class:`~bot.mail.base.Transport`:
  SMTP (:mod:`bot.mail.smtp`), a directory of ``.eml`` files (:mod:`bot.mail.eml`) or
  the in-memory fake (:mod:`bot.mail.memory`).
- :mod:`bot.mail.factory` builds all of that from the settings; :mod:`bot.mail.commands`
  implements ``python -m bot outbox`` and ``python -m bot export``.
"""
