"""Channels: adapters that carry messages between people and the :class:`~bot.assistant.Assistant`."""

from __future__ import annotations
