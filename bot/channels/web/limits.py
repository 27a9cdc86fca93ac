"""Token-bucket rate limits for the web chat, per browser session and per network address.

A bucket holds up to ``burst`` messages and refills at ``per_minute``; a person typing
never meets the session limit, while a script hammering the server is slowed to it.
Full buckets carry no information, so they are dropped when the table grows large:
memory stays bounded however many addresses and sessions come and go.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def _level(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def take(self, key: str) -> float:
        """Spend one message for ``key``: 0.0 if allowed, else the seconds to wait."""
        now = self.clock()
        tokens = self._level(key, now)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate if self.rate > 0 else math.inf
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_keys:
            self._sweep(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        self._buckets = {
            key: value
            for key, value in self._buckets.items()
            if min(self.burst, value[0] + (now - value[1]) * self.rate) < self.burst
        }

    def __len__(self) -> int:
        return len(self._buckets)
