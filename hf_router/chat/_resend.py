"""Whether a chat request that failed in transport may be sent again on the same provider.

A chat completion starts a generation that may be billed. A failure *after the request was
sent* (a read timeout, a reset, a server that hung up) may leave the server generating, so it is
not retried on the same provider unless ``RetryPolicy(retry_after_send=True)``; the error says
so. One exception: a connection that ends with no response within
:data:`STALE_CONNECTION_WINDOW` of sending was a keep-alive connection the server had already
closed, so the request was never processed and is retried like a connect failure.
"""

from __future__ import annotations

from ..errors import ConnectionError, HFRouterError, TimeoutError

__all__ = ["STALE_CONNECTION_WINDOW", "after_send", "mark_stale"]

STALE_CONNECTION_WINDOW = 1.0
"""Seconds: a connection lost with no response this soon after sending was a stale one."""

_NOT_RETRIED = (
    "; not retried on this provider: the request was sent, so the server may still be "
    "generating (and billing) the answer"
)
_NOT_RETRIED_HINT = (
    "Raise timeout=... (whole answers stream by default, so it applies between tokens), "
    "or pass retry_policy=RetryPolicy(retry_after_send=True) to retry anyway."
)


def mark_stale(error: HFRouterError, elapsed: float) -> None:
    """Count a connection lost ``elapsed`` seconds after sending, before any response, as
    never sent when it is within :data:`STALE_CONNECTION_WINDOW`."""
    if (
        isinstance(error, ConnectionError)
        and error.request_sent
        and elapsed < STALE_CONNECTION_WINDOW
    ):
        error.request_sent = False


def after_send(error: HFRouterError) -> HFRouterError:
    """``error`` saying it was not retried, when it came after the request was sent."""
    if not isinstance(error, (TimeoutError, ConnectionError)) or not error.request_sent:
        return error
    return type(error)(
        error.message + _NOT_RETRIED,
        model=error.model,
        provider=error.provider,
        request_sent=True,
        hint=_NOT_RETRIED_HINT,
    )
