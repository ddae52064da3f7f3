"""Per-call time limits: the overall ``deadline`` (retries, fallbacks, Retry-After waits and
the whole stream) and the stream's stall guard (no complete event for ``stall_timeout``
seconds). ``timeout`` stays what it always was: the limit of one connect or one read."""

from __future__ import annotations

import time

import httpx

from ..errors import TimeoutError

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_STALL_TIMEOUT", "Deadline", "StallGuard", "check_limit"]

DEFAULT_DEADLINE = 600.0
"""Seconds one call may take in all (None: no overall limit)."""
DEFAULT_STALL_TIMEOUT = 90.0
"""Seconds a stream may go without one complete event before it is given up."""


def check_limit(name: str, value: float | None) -> float | None:
    """Validate a positive number of seconds, or None (no limit)."""
    from ..errors import InvalidInputError

    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidInputError(
            f"{name}={value!r}: give a positive number of seconds, or None for no limit"
        )
    return float(value)


def _cap(value: float | None, limit: float | None) -> float | None:
    if limit is None:
        return value
    return limit if value is None else min(value, limit)


class Deadline:
    """The end of one call (``seconds`` from now; None never ends)."""

    __slots__ = ("expires", "seconds")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.expires = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a deadline."""
        if self.expires is None:
            return None
        return max(0.0, self.expires - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.expires is not None and time.monotonic() >= self.expires

    def error(self, model: str | None = None, provider: str | None = None) -> TimeoutError:
        """The error for a call past its deadline."""
        return TimeoutError(
            f"The call did not finish within its deadline of {self.seconds:g}s",
            model=model,
            provider=provider,
            hint="Raise deadline=... (None: no overall limit), or retry later.",
        )

    def check(self, model: str | None = None, provider: str | None = None) -> None:
        """Raise :class:`~hf_router.errors.TimeoutError` once the deadline has passed."""
        if self.expired:
            raise self.error(model, provider)

    def timeout(
        self, base: float | httpx.Timeout | None, read: float | None = None
    ) -> httpx.Timeout:
        """``base`` (the per-read/connect timeout) with each part capped by the time left and
        the read part also by ``read`` (the stall guard)."""
        t = base if isinstance(base, httpx.Timeout) else httpx.Timeout(base)
        left = self.remaining()
        if left is not None:
            left = max(left, 0.001)
        return httpx.Timeout(
            connect=_cap(t.connect, left),
            read=_cap(_cap(t.read, left), read),
            write=_cap(t.write, left),
            pool=_cap(t.pool, left),
        )


class StallGuard:
    """Watches one stream: call :meth:`progress` after each network chunk with the number of
    complete events so far; it says when the deadline passed (``"deadline"``) or no event
    completed for ``stall`` seconds (``"stall"``), else None."""

    __slots__ = ("_count", "_last", "deadline", "stall")

    def __init__(self, deadline: Deadline, stall: float | None) -> None:
        self.deadline, self.stall = deadline, stall
        self._count = -1
        self._last = time.monotonic()

    def progress(self, count: int) -> str | None:
        now = time.monotonic()
        if count != self._count:
            self._count, self._last = count, now
        elif self.stall is not None and now - self._last >= self.stall:
            return "stall"
        if self.deadline.expires is not None and now >= self.deadline.expires:
            return "deadline"
        return None


def check_size(name: str, value: int) -> int:
    """Validate a positive number of bytes."""
    from ..errors import InvalidInputError

    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInputError(f"{name}={value!r}: give a positive number of bytes")
    return value
