"""Per-key token buckets, in memory (one gateway process; each replica limits alone)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class RateLimiter:
    """``per_minute`` requests a minute per key, bursting up to ``per_minute``."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def acquire(self, key: str) -> int | None:
        """Take one token: None when allowed, else the seconds to wait (Retry-After)."""
        if self.per_minute <= 0:
            return None
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            self._prune(now)
            return None
        self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _prune(self, now: float) -> None:
        if len(self._buckets) < 10_000:
            return
        full_after = 60.0  # an idle bucket is full again after a minute: forget it
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
