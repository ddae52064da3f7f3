"""Exit codes of ``hf-router`` and the one-line rendering of a typed error."""

from __future__ import annotations

from hf_router.errors import (
    AllProvidersFailedError,
    AuthenticationError,
    ConnectionError,
    DownloadError,
    GenerationTimeoutError,
    HFRouterError,
    InvalidInputError,
    MissingAuthError,
    MissingTokenError,
    ModelNotSupportedError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    TimeoutError,
)

__all__ = [
    "EXIT_AUTH",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_NOT_FOUND",
    "EXIT_PAYMENT",
    "EXIT_USAGE",
    "exit_code",
    "one_line",
]

EXIT_ERROR = 1
"""Any other failure (a provider error, a malformed answer, a failed media job, ...)."""
EXIT_USAGE = 2
"""Bad arguments (also click's own usage errors) or invalid input: nothing was sent."""
EXIT_AUTH = 3
"""No token / HuggingChat cookie, or it was rejected (401), or access denied (403)."""
EXIT_PAYMENT = 4
"""Out of credits (402) or rate limited (429)."""
EXIT_NOT_FOUND = 5
"""The model is unknown or no provider serves it (404, ``model_not_supported``)."""
EXIT_NETWORK = 6
"""The server could not be reached, or timed out."""
EXIT_INTERRUPTED = 130
"""Ctrl-C."""

_CODES: tuple[tuple[type[HFRouterError], int], ...] = (
    (InvalidInputError, EXIT_USAGE),
    (MissingTokenError, EXIT_AUTH),
    (MissingAuthError, EXIT_AUTH),
    (AuthenticationError, EXIT_AUTH),
    (PermissionDeniedError, EXIT_AUTH),
    (PaymentRequiredError, EXIT_PAYMENT),
    (RateLimitError, EXIT_PAYMENT),
    (ModelNotSupportedError, EXIT_NOT_FOUND),
    (GenerationTimeoutError, EXIT_ERROR),  # a job that did not finish: not the network
    (ConnectionError, EXIT_NETWORK),
    (TimeoutError, EXIT_NETWORK),
    (DownloadError, EXIT_ERROR),
)


def exit_code(error: HFRouterError) -> int:
    """The exit code for ``error``. When every attempt of a plan failed the same way (all 402,
    all unreachable, ...), that way's code; a mix gives :data:`EXIT_ERROR`."""
    if isinstance(error, AllProvidersFailedError):
        codes = {exit_code(a.error) for a in error.attempts}
        return codes.pop() if len(codes) == 1 else EXIT_ERROR
    for cls, code in _CODES:
        if isinstance(error, cls):
            return code
    return EXIT_ERROR


def one_line(error: BaseException) -> str:
    """``error`` as one line (the typed errors already end with what to do)."""
    text = " ".join(str(error).split())
    return text or type(error).__name__
