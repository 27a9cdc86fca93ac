"""Persistence: the :class:`~bot.store.base.Store` interface, a SQLite adapter and a fake."""

from __future__ import annotations
