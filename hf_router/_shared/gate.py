"""The back-off gate shared by every request of one client, and an optional send-rate limit.

A 429 closes the gate of its key (the model string as sent, so ``repo:provider`` when a
provider is pinned) for the ``Retry-After`` it carries. While closed, new sends to that key
wait instead of hammering the provider. When the pause is over the gate is *half-open*: one
request goes through as a probe; the others wait until it answers. A probe that is not a 429
opens the gate for everyone, a 429 closes it again. Without a gate every slot of a batch
discovers the limit on its own, and all of them retry at the same instant when it ends.

The gate polls a clock instead of using loop-bound primitives, so one gate serves any number
of event loops and threads (sync and async callers alike).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Mapping

from ..errors import RateLimitError
from .responses import parse_retry_after

__all__ = ["BackoffGate", "RateLimiter", "send_limiter"]

_DEFAULT_PAUSE = 1.0  # a 429 without Retry-After still pauses this long
_POLL = 0.05  # how often a waiter looks at a half-open gate
_PROBE_STALE = 30.0  # a probe that never reported back frees its turn after this long


class BackoffGate:
    """Per-key pause after a 429 (see the module docstring). ``max_pause`` caps the pause:
    when the server asks for longer, a caller is refused at once with :class:`RateLimitError`
    (its ``retry_after`` tells how long), so the client can fall back to another provider."""

    def __init__(self, max_pause: float = 60.0) -> None:
        self.max_pause = max_pause
        self._closed: dict[str, float] = {}  # key -> monotonic time it reopens
        self._probe: dict[str, float] = {}  # key -> when the probe in flight was sent
        self._lock = threading.Lock()
        self.pauses = 0  # how many times a 429 closed a gate (for tests and progress)
        self.enabled = True  # False: every send goes at once (only to compare, as tests do)

    def __repr__(self) -> str:
        return f"BackoffGate(closed={sorted(self._closed)})"

    def _turn(self, key: str) -> tuple[float, bool]:
        """``(seconds to wait, is_probe)``; ``(0, False)`` when the gate is open."""
        with self._lock:
            until = self._closed.get(key)
            if until is None:
                return 0.0, False
            now = time.monotonic()
            if now < until:
                remaining = until - now
                if remaining > self.max_pause:
                    raise RateLimitError(
                        "Rate limited: the provider asked to pause longer than allowed",
                        retry_after=remaining,
                        status_code=429,
                        model=key,
                    )
                return remaining, False
            sent = self._probe.get(key)
            if sent is None or now - sent > _PROBE_STALE:
                self._probe[key] = now
                return 0.0, True
            return _POLL, False

    async def await_turn(self, key: str) -> bool:
        """Wait until ``key`` may be sent; True when this send is the half-open probe."""
        if not self.enabled or key not in self._closed:  # the fast path: no lock, no clock
            return False
        while True:
            wait, probe = self._turn(key)
            if wait <= 0:
                return probe
            await asyncio.sleep(min(wait, 1.0))

    def wait_turn(self, key: str) -> bool:
        """Sync twin of :meth:`await_turn` (sleeps the calling thread)."""
        if not self.enabled or key not in self._closed:
            return False
        while True:
            wait, probe = self._turn(key)
            if wait <= 0:
                return probe
            time.sleep(min(wait, 1.0))

    def observe(self, key: str, status: int, headers: Mapping[str, str], probe: bool) -> None:
        """Record an answer's status: a 429 closes the gate, anything else after the pause
        (or from the probe) opens it."""
        if not self.enabled:
            return
        if status == 429:
            pause = parse_retry_after(headers)
            pause = _DEFAULT_PAUSE if pause is None else max(0.0, pause)
            with self._lock:
                until = time.monotonic() + pause
                if until > self._closed.get(key, 0.0):
                    self._closed[key] = until
                    self.pauses += 1
                self._probe.pop(key, None)
            return
        if key not in self._closed:
            return
        with self._lock:
            until = self._closed.get(key)
            if until is not None and (probe or time.monotonic() >= until):
                del self._closed[key]
                self._probe.pop(key, None)

    def release(self, key: str, probe: bool) -> None:
        """A send failed before any status: let another request probe."""
        if probe:
            with self._lock:
                self._probe.pop(key, None)


class RateLimiter:
    """At most ``rate`` sends per second (a token bucket holding up to ``burst`` tokens),
    shared by whatever runs under :data:`send_limiter`. Loop- and thread-agnostic."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if not rate > 0:
            raise ValueError("rate must be a positive number of requests per second")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate / 10))
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate}, burst={self.burst})"

    def _take(self) -> float:
        """Take a token if there is one (0.0), else the seconds until there will be."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate

    async def acquire(self) -> None:
        """Wait for one send's token."""
        while (wait := self._take()) > 0:  # noqa: ASYNC110 - a clock, shared across loops
            await asyncio.sleep(wait)

    def acquire_sync(self) -> None:
        """Sync twin of :meth:`acquire`."""
        while (wait := self._take()) > 0:
            time.sleep(wait)


#: The limiter that applies to the sends of the current context (set by a batch run; tasks
#: created inside inherit it, so retries and fallbacks of its rows count too).
send_limiter: contextvars.ContextVar[RateLimiter | None] = contextvars.ContextVar(
    "hf_router_send_limiter", default=None
)
