"""Retry policy as data: one predicate, one wait (Retry-After first, then backoff)."""

from __future__ import annotations

import logging
import random
from typing import Any

from tenacity import RetryCallState, retry_if_exception, stop_after_attempt

from ..errors import (
    ConnectionError,
    ModelLoadingError,
    ProviderError,
    RateLimitError,
    TimeoutError,
)
from .config import RetryPolicy
from .deadline import Deadline

__all__ = ["is_retryable", "retry_kwargs"]

logger = logging.getLogger("hf_router")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _hint(exc: BaseException) -> float | None:
    """The wait the server asked for (Retry-After, or a loading model's estimate), never
    negative."""
    hinted = getattr(exc, "retry_after", None)
    if hinted is None and isinstance(exc, ModelLoadingError):
        hinted = exc.estimated_time
    if hinted is None or hinted != hinted:  # None or NaN
        return None
    return max(0.0, float(hinted))


def is_retryable(
    exc: BaseException,
    policy: RetryPolicy,
    deadline: Deadline | None = None,
    *,
    billed_request: bool = False,
) -> bool:
    """429, 500/502/503/504 and connect/read failures are retried, unless the server asks
    for a wait longer than ``policy.max_retry_after`` or than the call has left (then we
    fall back at once instead).

    ``billed_request``: the request starts a generation that may be billed (a chat
    completion). Then a timeout or lost connection *after the request was sent* is not
    retried (the server may still be generating the answer: a retry could bill it twice),
    unless ``policy.retry_after_send``. Connect failures, 429 and 5xx answers still are."""
    if deadline is not None and deadline.expired:
        return False
    if isinstance(exc, RateLimitError | ModelLoadingError):
        hinted = _hint(exc)
        if hinted is None:
            return True
        left = deadline.remaining() if deadline is not None else None
        return hinted <= policy.max_retry_after and (left is None or hinted < left)
    if isinstance(exc, ProviderError):
        return exc.status_code in RETRY_STATUSES
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return not (billed_request and exc.request_sent and not policy.retry_after_send)
    return False


def _wait(policy: RetryPolicy, deadline: Deadline | None) -> Any:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = _hint(exc) if exc is not None else None
        if hinted is not None:
            seconds = min(hinted, policy.max_retry_after)
        else:
            backoff = policy.initial_backoff * (2 ** (state.attempt_number - 1))
            seconds = min(policy.max_backoff, backoff) + random.uniform(0, policy.jitter)
        left = deadline.remaining() if deadline is not None else None
        return max(0.0, seconds if left is None else min(seconds, left))

    return wait


def _stop(policy: RetryPolicy, deadline: Deadline | None) -> Any:
    tries = stop_after_attempt(max(0, policy.max_retries) + 1)

    def stop(state: RetryCallState) -> bool:
        if tries(state):
            return True
        if deadline is None or deadline.expires is None:
            return False
        left = deadline.remaining() or 0.0
        return left <= 0 or (state.upcoming_sleep or 0.0) >= left

    return stop


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    logger.info(
        "Retrying after %s (try %d) in %.2fs", type(exc).__name__, state.attempt_number, delay
    )


def retry_kwargs(
    policy: RetryPolicy, deadline: Deadline | None = None, *, billed_request: bool = False
) -> dict[str, Any]:
    """Keyword arguments for both ``tenacity.Retrying`` and ``tenacity.AsyncRetrying``; with
    a ``deadline`` no wait outlasts it and no retry starts once it has passed
    (``billed_request``: see :func:`is_retryable`)."""
    return {
        "stop": _stop(policy, deadline),
        "wait": _wait(policy, deadline),
        "retry": retry_if_exception(
            lambda exc: is_retryable(exc, policy, deadline, billed_request=billed_request)
        ),
        "before_sleep": _log_retry,
        "reraise": True,
    }
