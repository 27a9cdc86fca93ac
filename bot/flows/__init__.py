"""Declarative conversation flows (``flows/*.yaml``) and the engine that runs them."""

from __future__ import annotations
