"""The curated knowledge base: FAQ entries, application windows and the Maths Hubs."""

from __future__ import annotations
