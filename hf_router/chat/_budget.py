"""The completion budget: the reserve kept for the answer when fitting a prompt, and the
warning for an answer cut at the token limit.

No cap is sent by default (``max_tokens=None``): the provider's own limit applies. Code that
must still plan for the answer's length (fitting the input into the context window, LlamaIndex's
``num_output`` for prompt packing) uses :func:`completion_reserve`, a number that is never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInputError
from ..events import Usage

__all__ = [
    "RESERVE_CAP",
    "RESERVE_FRACTION",
    "UNKNOWN_WINDOW_RESERVE",
    "completion_reserve",
    "sent_cap",
    "warn_if_truncated",
]

logger = logging.getLogger("hf_router")

RESERVE_CAP = 8192
"""The most :func:`completion_reserve` keeps for an uncapped answer."""
RESERVE_FRACTION = 4
"""An uncapped answer is given a quarter of the context window (up to :data:`RESERVE_CAP`)."""
UNKNOWN_WINDOW_RESERVE = 4096
"""The reserve for an uncapped answer when the context window is unknown."""


def _check(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidInputError(f"{name}={value!r} must be a positive integer or None")


def completion_reserve(context_window: int | None, max_tokens: int | None) -> int:
    """Tokens to keep free for the answer when fitting a prompt into ``context_window``.

    * ``max_tokens`` set: that cap (the server reserves exactly that much);
    * no cap, window known: ``min(8192, context_window // 4)`` (at least 1);
    * no cap, window unknown: 4096.

    The reserve is for planning only; it is never sent as ``max_tokens``.

    >>> completion_reserve(131072, None), completion_reserve(8192, None)
    (8192, 2048)
    >>> completion_reserve(131072, 512), completion_reserve(None, None)
    (512, 4096)
    """
    _check("context_window", context_window)
    _check("max_tokens", max_tokens)
    if max_tokens is not None:
        return max_tokens
    if context_window is None:
        return UNKNOWN_WINDOW_RESERVE
    return max(1, min(RESERVE_CAP, context_window // RESERVE_FRACTION))


def sent_cap(params: Mapping[str, Any]) -> int | None:
    """The token cap a request's parameters send (``max_tokens``, or ``max_tokens`` /
    ``max_completion_tokens`` in ``extra_body``), None when none is sent."""
    extra = params.get("extra_body")
    if isinstance(extra, Mapping):
        for key in ("max_tokens", "max_completion_tokens"):
            if isinstance(extra.get(key), int):
                return int(extra[key])
    value = params.get("max_tokens")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def warn_if_truncated(
    finish_reason: str | None,
    *,
    model: str | None,
    provider: str | None,
    max_tokens: int | None,
    usage: Usage | None,
    text: str,
    reasoning: str,
    has_tool_calls: bool,
) -> None:
    """Log one WARNING on the ``hf_router`` logger when an answer ended at the token limit
    (``finish_reason == "length"``); nothing otherwise."""
    if finish_reason != "length":
        return
    cap = f"max_tokens={max_tokens}" if max_tokens is not None else "no max_tokens sent"
    parts = [f"The answer was cut at the token limit ({cap}; model {model!r}"]
    if provider:
        parts[0] += f", provider {provider!r}"
    parts[0] += ")"
    if usage is not None:
        thought = usage.details.get("reasoning_tokens")
        if thought is not None:
            answer = max(usage.output_tokens - thought, 0)
            parts.append(f"{thought} reasoning + {answer} answer tokens")
        else:
            parts.append(f"{usage.output_tokens} output tokens")
    thought_tokens = usage.details.get("reasoning_tokens", 0) if usage is not None else 0
    if not text.strip() and not has_tool_calls and (reasoning or thought_tokens):
        parts.append(
            "the answer is empty because reasoning used the whole budget: raise max_tokens or "
            "lower reasoning_effort"
        )
    elif max_tokens is not None:
        parts.append("raise max_tokens for a longer answer")
    else:
        parts.append("the provider's own limit applied; ask for a shorter answer")
    logger.warning("; ".join(parts))
