"""Recognising a provider's "the input is longer than my context window" refusal.

Wordings handled (status 400, 413 or 422; numbers are parsed when present):

* OpenAI / vLLM / llama-cpp-python: ``This model's maximum context length is 8192 tokens.
  However, you requested 9000 tokens (8000 in the messages, 1000 in the completion).`` and
  newer vLLM ``... However, your request has 9000 input tokens.``;
* TGI: ``Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given:
  5000 `inputs` tokens and 1000 `max_new_tokens```, and ``inputs`` ``must have less than N
  tokens. Given: M``;
* llama.cpp's server: ``the request exceeds the available context size, try increasing it``
  (with ``n_prompt_tokens``/``n_ctx`` in the error body when the server reports them);
* Anthropic-style ``prompt is too long: 210000 tokens > 200000 maximum``, Together's ``Input
  validation error: ... must be <= N``, and plain ``context length exceeded`` /
  ``context_length_exceeded`` / ``too many tokens`` / ``reduce the length of the messages``.

:func:`refit_budget` turns a refusal into a new budget for :func:`~._fit.fit_messages`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import APIStatusError, HFRouterError

__all__ = ["FIXED_FACTOR", "MARGIN", "Overflow", "parse_overflow", "refit_budget"]

FIXED_FACTOR = 0.5
"""The new budget's share of the current input when the refusal states no numbers."""
MARGIN = 0.85
"""The share of the limit the provider stated that the re-fitted input aims at."""

_STATUSES = frozenset({400, 413, 422})
_N = r"(\d[\d,]*)"
_WINDOW_PATTERNS = (
    re.compile(r"maximum context length is " + _N, re.I),
    re.compile(r"must be <= " + _N, re.I),
    re.compile(r"must have less than " + _N + " tokens", re.I),
    re.compile(r"context (?:window|size|length) (?:of|is) " + _N, re.I),
    re.compile(r"tokens > " + _N + " maximum", re.I),
    re.compile(r"\"n_ctx\"\s*:\s*" + _N, re.I),
    re.compile(r"exceed(?:s)? context window of " + _N, re.I),
)
_REQUESTED_PATTERNS = (
    re.compile(r"you requested " + _N + " tokens", re.I),
    re.compile(r"your request has " + _N + " input tokens", re.I),
    re.compile(r"prompt is too long: " + _N + " tokens", re.I),
    re.compile(r"Given: " + _N + r"(?![\d,]|\s*`inputs`)", re.I),
    re.compile(r"Requested tokens \(" + _N + r"\)", re.I),
    re.compile(r"\"n_prompt_tokens\"\s*:\s*" + _N, re.I),
)
_PROMPT_PATTERNS = (
    re.compile(r"\(" + _N + " in the messages", re.I),
    re.compile(r"Given: " + _N + " `inputs` tokens", re.I),
    re.compile(r"has " + _N + " input tokens", re.I),
)
_COMPLETION_PATTERNS = (
    re.compile(_N + " in the completion", re.I),
    re.compile(r"and " + _N + " `max_new_tokens`", re.I),
)
_WORDS = re.compile(
    r"maximum context length|context[ _]length[ _]exceeded|exceeds? (?:the )?(?:available )?"
    r"context|prompt is too long|input is too long|too many (?:input )?tokens|`inputs` tokens|"
    r"reduce the length of the (?:messages|prompt)|must have less than \d+ tokens|exceed context window|context window",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Overflow:
    """A context-overflow refusal: the provider's window and the tokens it counted (when
    stated); ``prompt`` and ``completion`` split ``requested`` when the message says how."""

    window: int | None = None
    requested: int | None = None
    prompt: int | None = None
    completion: int | None = None


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> int | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return int(match.group(1).replace(",", ""))
    return None


def parse_overflow(error: HFRouterError) -> Overflow | None:
    """The refusal in ``error``, or None when it is not a context overflow."""
    if not isinstance(error, APIStatusError) or error.status_code not in _STATUSES:
        return None
    text = error.server_message or ""
    if not _WORDS.search(text):
        return None
    prompt = _first(_PROMPT_PATTERNS, text)
    completion = _first(_COMPLETION_PATTERNS, text)
    requested = _first(_REQUESTED_PATTERNS, text)
    if requested is None and prompt is not None:
        requested = prompt + (completion or 0)
    return Overflow(_first(_WINDOW_PATTERNS, text), requested, prompt, completion)


def refit_budget(overflow: Overflow, size: int, max_tokens: int | None) -> int:
    """The new budget (calculate_lenght units) for an input of ``size`` units that the
    provider refused: scaled by the prompt tokens it allows over the ones it counted, with a
    margin; by :data:`FIXED_FACTOR` when the refusal states no usable numbers."""
    window, requested = overflow.window, overflow.requested
    if window is None or requested is None or requested <= 0:
        return int(size * FIXED_FACTOR)
    completion = overflow.completion
    if completion is None:
        completion = max_tokens or 0
    prompt = overflow.prompt if overflow.prompt is not None else max(requested - completion, 1)
    allowed = window - completion
    if allowed <= 0 or prompt <= 0:
        return int(size * FIXED_FACTOR)
    if allowed >= prompt:  # the numbers do not explain the refusal: shrink by the fixed factor
        return int(size * FIXED_FACTOR)
    return int(size * allowed / prompt * MARGIN)
