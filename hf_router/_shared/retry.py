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

__all__ = ["is_retryable", "retry_kwargs"]

logger = logging.getLogger("hf_router")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def is_retryable(exc: BaseException, policy: RetryPolicy, *, billed_request: bool = False) -> bool:
    """429, 500/502/503/504 and connect/read failures are retried, unless the server asks
    for a wait longer than ``policy.max_retry_after`` (then we fall back instead).

    ``billed_request``: the request starts a generation that may be billed (a chat
    completion). Then a timeout or lost connection *after the request was sent* is not
    retried (the server may still be generating the answer: a retry could bill it twice),
    unless ``policy.retry_after_send``. Connect failures, 429 and 5xx answers still are."""
    if isinstance(exc, RateLimitError):
        return exc.retry_after is None or exc.retry_after <= policy.max_retry_after
    if isinstance(exc, ModelLoadingError):
        return exc.estimated_time is None or exc.estimated_time <= policy.max_retry_after
    if isinstance(exc, ProviderError):
        return exc.status_code in RETRY_STATUSES
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return not (billed_request and exc.request_sent and not policy.retry_after_send)
    return False


def _wait(policy: RetryPolicy) -> Any:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is None and isinstance(exc, ModelLoadingError):
            hinted = exc.estimated_time
        if hinted is not None:
            return float(min(hinted, policy.max_retry_after))
        backoff = policy.initial_backoff * (2 ** (state.attempt_number - 1))
        return min(policy.max_backoff, backoff) + random.uniform(0, policy.jitter)

    return wait


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    logger.info(
        "Retrying after %s (try %d) in %.2fs", type(exc).__name__, state.attempt_number, delay
    )


def retry_kwargs(policy: RetryPolicy, *, billed_request: bool = False) -> dict[str, Any]:
    """Keyword arguments for both ``tenacity.Retrying`` and ``tenacity.AsyncRetrying``
    (``billed_request``: see :func:`is_retryable`)."""
    return {
        "stop": stop_after_attempt(max(0, policy.max_retries) + 1),
        "wait": _wait(policy),
        "retry": retry_if_exception(
            lambda exc: is_retryable(exc, policy, billed_request=billed_request)
        ),
        "before_sleep": _log_retry,
        "reraise": True,
    }
