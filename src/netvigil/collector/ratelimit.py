"""Per-client rate limits (the ``limits`` library) that never keep a client's address.

The key of a client is a keyed BLAKE2b hash of its address with a random key made when the
process starts and never written anywhere: the limiter's memory holds no address, and the keys
mean nothing after a restart. Limits are in ``limits``' notation (``"100/second;6000/minute"``);
an empty string turns a limit off.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from netvigil._errors import ConfigError


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds, for the Retry-After header
    limit: str = ""  # the limit that was hit, as configured


class ClientLimits:
    """Named groups of limits (``submit``, ``check-in``) over one in-memory storage."""

    def __init__(self, groups: dict[str, str]) -> None:
        self._salt = secrets.token_bytes(32)
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._groups: dict[str, list[RateLimitItem]] = {}
        for name, text in groups.items():
            try:
                self._groups[name] = parse_many(text) if text.strip() else []
            except ValueError as exc:
                raise ConfigError(f"rate limit {name!r}: cannot read {text!r}: {exc}") from exc

    def client_key(self, address: str) -> str:
        return hashlib.blake2b(address.encode(), key=self._salt, digest_size=16).hexdigest()

    def hit(self, group: str, address: str) -> Verdict:
        items = self._groups.get(group, [])
        if not items:
            return Verdict(True)
        key = self.client_key(address)
        for item in items:
            if not self._limiter.hit(item, group, key):
                stats = self._limiter.get_window_stats(item, group, key)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                return Verdict(False, wait, str(item))
        return Verdict(True)
