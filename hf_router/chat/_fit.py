"""Fitting a chat history into a budget of ``calculate_lenght`` units (characters + 16/message).

What is kept (both modes): every system/developer message, the last user message and the turn
in progress after it (assistant tool calls and their tool results) are never dropped; an
assistant tool call and the tool messages answering it are dropped together.

* ``mode="window"`` (the budget comes from the model's context window): whole older turns are
  dropped, oldest first (a turn starts at a user message);
* ``mode="seed"`` (an explicit ``max_inputs_lenght``): the seed's stages - more than 6 messages:
  the first 3 and last 3 (plus the protected ones), then only the protected ones.

If still over, the longest tool results, then the longest other unprotected messages of what
is left, are shortened from the middle (head and tail kept, a visible marker between). Only when
the system messages plus the last user message alone are over the budget:
:class:`~hf_router.errors.InputTooLongError`.

The budget for a context window is :func:`window_budget`; the token estimate behind it is
:func:`estimate_tokens` (see docs/long-inputs.md for the measurements behind the factors).
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InputTooLongError
from ..events import Trimmed
from ._budget import completion_reserve
from ._trim import (
    IMAGE_PART_LENGHT,
    MESSAGE_OVERHEAD,
    _content_length,
    _units,
    calculate_lenght,
    measure_content,
)

__all__ = [
    "ASCII_CHARS_PER_TOKEN",
    "TOKENS_PER_OTHER_CHAR",
    "TOKENS_PER_SYMBOL",
    "available_tokens",
    "cut_marker",
    "estimate_tokens",
    "fit_messages",
    "upper_bound_tokens",
    "window_budget",
]

logger = logging.getLogger("hf_router")

Message = Mapping[str, Any]

ASCII_CHARS_PER_TOKEN = 3.3
"""ASCII letters and whitespace per token, conservatively (measured 3.7 for English prose and
5.4 for Python once symbols are counted apart, on SmolLM2's 49k BPE vocabulary; larger
vocabularies pack more)."""
TOKENS_PER_SYMBOL = 1.0
"""ASCII digits and punctuation count one token each (several tokenizers split numbers digit by
digit; JSON measured 1.4 characters per token)."""
TOKENS_PER_OTHER_CHAR = 1.8
IMAGE_PART_TOKENS = 2048.0
"""An image part, whatever its encoding (a data URL's base64 is not prompt text): vision
models spend from a few hundred tokens (one tile) to a couple of thousand per image at the
resolutions chat clients send, so 2,048 is on the safe side for most."""
"""Non-ASCII characters (CJK, Cyrillic, accents, emoji): measured 1.65 (Chinese) and 1.73
(Japanese) tokens per character on SmolLM2, 0.73 for Russian."""
SAFETY = 0.95
"""Share of the window the estimate may fill (template tokens, estimate error)."""
TOOL_SCHEMA_CHARS_PER_TOKEN = 2.5
MIN_KEEP = 64
"""Characters a shortened message keeps at least (head and tail), besides the marker."""
_PLAIN = (string.ascii_letters + " \n\t").encode()


def _text_tokens(text: str) -> float:
    data = text.encode("ascii", "ignore")
    symbols = len(data.translate(None, _PLAIN))
    other = len(text) - len(data)
    return (
        (len(data) - symbols) / ASCII_CHARS_PER_TOKEN
        + symbols * TOKENS_PER_SYMBOL
        + other * TOKENS_PER_OTHER_CHAR
    )


def _content_tokens(content: Any) -> float:
    return measure_content(content, _text_tokens, IMAGE_PART_TOKENS)


def estimate_tokens(messages: Sequence[Message]) -> float:
    """A conservative (high) estimate of the prompt tokens of ``messages``: ASCII text at
    :data:`ASCII_CHARS_PER_TOKEN`, symbols and other characters per their factors, plus the
    per-message overhead of :func:`calculate_lenght` at the ASCII rate."""
    return sum(
        _content_tokens(m.get("content")) + MESSAGE_OVERHEAD / ASCII_CHARS_PER_TOKEN
        for m in messages
    )


def upper_bound_tokens(messages: Sequence[Message]) -> float:
    """A quick upper bound of :func:`estimate_tokens` (no scan of the text: ASCII strings at
    most one token per character, others :data:`TOKENS_PER_OTHER_CHAR`)."""
    total = 0.0
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            total += len(content) * (1.0 if content.isascii() else TOKENS_PER_OTHER_CHAR)
        elif content is not None:
            total += measure_content(content, _text_upper_bound, IMAGE_PART_TOKENS)
        total += MESSAGE_OVERHEAD / ASCII_CHARS_PER_TOKEN
    return total


def _text_upper_bound(text: str) -> float:
    return len(text) * (1.0 if text.isascii() else TOKENS_PER_OTHER_CHAR)


def _image_parts(messages: Sequence[Message]) -> int:
    """How many non-text parts (images) the messages carry."""
    count = 0
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            count += sum(
                1
                for part in content
                if not isinstance(part, str)
                and not (isinstance(part, Mapping) and part.get("type", "text") == "text")
            )
    return count


def _text_only(message: Message) -> Message:
    """The message with only its text (images are budgeted apart: see :func:`window_budget`)."""
    content = message.get("content")
    if not isinstance(content, list):
        return message
    texts = [
        part if isinstance(part, str) else str(part.get("text", ""))
        for part in content
        if isinstance(part, str)
        or (isinstance(part, Mapping) and part.get("type", "text") == "text")
    ]
    return {"content": "\n".join(texts)}


def available_tokens(context_window: int, max_tokens: int | None, tools: Any = None) -> float:
    """Prompt tokens the estimate may fill: ``(window - completion reserve) * SAFETY`` minus
    the tool schemas."""
    available = (context_window - completion_reserve(context_window, max_tokens)) * SAFETY
    if tools:
        available -= len(repr(tools)) / TOOL_SCHEMA_CHARS_PER_TOKEN
    return available


SAMPLE_CHARS = 65_536
"""Characters of a long input that the characters-per-token ratio is measured on."""


def _chars_per_token(messages: Sequence[Message]) -> float:
    """This input's calculate_lenght units per estimated token, measured on an even sample of
    at most about :data:`SAMPLE_CHARS` characters (a long history costs no full scan)."""
    step = max(1, len(messages) * 2048 // SAMPLE_CHARS) if len(messages) > 32 else 1
    sample = []
    for m in messages[::step]:
        m = _text_only(m)
        content = m.get("content")
        if isinstance(content, str) and len(content) > 2048:
            middle = len(content) // 2
            content = content[:1024] + content[middle - 512 : middle + 512]
            m = {"content": content}
        sample.append(m)
    tokens = estimate_tokens(sample)
    return calculate_lenght(sample) / tokens if tokens > 0 else ASCII_CHARS_PER_TOKEN


def window_budget(
    messages: Sequence[Message],
    context_window: int,
    max_tokens: int | None,
    *,
    tools: Any = None,
    size: int | None = None,
) -> int:
    """The input budget in ``calculate_lenght`` units for a model with ``context_window``
    tokens: :func:`available_tokens`, converted with the characters-per-token ratio of this
    input's text (see :func:`estimate_tokens`; measured on a sample of a long input). Images
    are budgeted apart: :data:`IMAGE_PART_TOKENS` each, counted as ``IMAGE_PART_LENGHT``
    units (their base64 is not prompt text and would skew the ratio)."""
    images = _image_parts(messages)
    available = available_tokens(context_window, max_tokens, tools) - images * IMAGE_PART_TOKENS
    if available <= 0:
        return 0
    ratio = _chars_per_token(messages)
    return int(available * min(ratio, ASCII_CHARS_PER_TOKEN * 2)) + images * IMAGE_PART_LENGHT


def cut_marker(count: int) -> str:
    """The text that replaces ``count`` characters cut from the middle of a message."""
    return f"\n[... {count:,} characters cut to fit the context window ...]\n"


# -- structure ----------------------------------------------------------------------------------
def _last_user(messages: Sequence[Message]) -> int | None:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            return i
    return None


def _protected(messages: Sequence[Message], units: list[list[int]]) -> set[int]:
    """Indices never dropped: system/developer, the last user message and everything after it
    (or the last unit when there is no user message)."""
    keep = {i for i, m in enumerate(messages) if m.get("role") in ("system", "developer")}
    last = _last_user(messages)
    if last is None:
        if units:
            keep.update(units[-1])
        return keep
    start = next(u[0] for u in units if last in u)
    keep.update(range(start, len(messages)))
    return keep


def _turns(
    messages: Sequence[Message], units: list[list[int]], protected: set[int]
) -> list[list[int]]:
    """Droppable turns, oldest first: runs of unprotected units, a new one at each user message."""
    turns: list[list[int]] = []
    for unit in units:
        if protected.intersection(unit):
            continue
        if not turns or messages[unit[0]].get("role") == "user":
            turns.append([])
        turns[-1].extend(unit)
    return turns


# -- shortening -------------------------------------------------------------------------------
def _shorten_text(text: str, cut: int) -> str:
    """``text`` without ``cut`` characters from its middle (the marker in their place)."""
    keep = len(text) - cut
    head = (keep + 1) // 2
    return text[:head] + cut_marker(cut) + text[len(text) - (keep - head) :]


def _shortened(message: Message, want: int) -> tuple[Message, int]:
    """``message`` with about ``want`` calculate_lenght units less (never below MIN_KEEP
    characters); returns the new message and the units saved (0 if it cannot shrink)."""
    content = message.get("content")
    if isinstance(content, str):
        room = len(content) - MIN_KEEP
        cut = min(room, want + len(cut_marker(want)) + 8)
        if cut <= len(cut_marker(cut)):
            return message, 0
        new = _shorten_text(content, cut)
        return {**message, "content": new}, len(content) - len(new)
    if isinstance(content, list):
        texts = [
            (len(str(p.get("text", ""))), i)
            for i, p in enumerate(content)
            if isinstance(p, Mapping) and p.get("type", "text") == "text"
        ]
        if not texts:
            return message, 0
        _, index = max(texts)
        part = content[index]
        new_part, saved = _shortened({"content": str(part.get("text", ""))}, want)
        if not saved:
            return message, 0
        parts = list(content)
        parts[index] = {**part, "text": new_part["content"]}
        return {**message, "content": parts}, saved
    return message, 0


def _shorten(
    out: list[Message], kept: list[int], candidates: list[int], size: int, budget: int
) -> tuple[int, list[tuple[int, int]]]:
    """Shorten ``candidates`` (positions in ``out``), longest first, until ``size`` fits."""
    cuts: list[tuple[int, int]] = []
    order = sorted(candidates, key=lambda p: _content_length(out[p].get("content")), reverse=True)
    for pos in order:
        if size <= budget:
            break
        new, saved = _shortened(out[pos], size - budget)
        if saved:
            out[pos] = new
            size -= saved
            cuts.append((kept[pos], saved))
    return size, cuts


# -- fitting ----------------------------------------------------------------------------------
def fit_messages(
    messages: Sequence[Message],
    budget: int,
    *,
    mode: str = "window",
    reason: str = "window",
) -> tuple[list[Message], Trimmed | None]:
    """Fit ``messages`` into ``budget`` calculate_lenght units (see the module docstring).

    Returns the messages to send (a new list; the input is never modified) and a
    :class:`~hf_router.events.Trimmed` report, or None when nothing had to change.
    """
    sizes = [_content_length(m.get("content")) + MESSAGE_OVERHEAD for m in messages]
    before = sum(sizes)
    if before <= budget:
        return list(messages), None
    units = _units(messages)
    protected = _protected(messages, units)
    last_user = _last_user(messages)
    floor = sum(
        sizes[i]
        for i in protected
        if messages[i].get("role") in ("system", "developer") or i == last_user
    )
    if floor > budget:
        raise InputTooLongError(
            floor,
            budget,
            hint="The system messages plus the last user message alone do not fit the "
            "context window; shorten them, or use a model with a larger context window "
            "(or pass max_inputs_lenght=None to send everything and let the server decide).",
        )
    dropped = set()
    size = before
    if mode == "seed":
        if len(messages) > 6:
            n = len(messages)
            edges = {0, 1, 2, n - 3, n - 2, n - 1}
            keep = set(protected)
            for unit in units:
                if edges.intersection(unit):
                    keep.update(unit)
            dropped = set(range(n)) - keep
            size = before - sum(sizes[i] for i in dropped)
        if size > budget:
            dropped = set(range(len(messages))) - protected
            size = before - sum(sizes[i] for i in dropped)
    else:
        for turn in _turns(messages, units, protected):
            if size <= budget:
                break
            dropped.update(turn)
            size -= sum(sizes[i] for i in turn)
    kept = [i for i in range(len(messages)) if i not in dropped]
    out = [messages[i] for i in kept]
    cuts: list[tuple[int, int]] = []
    if size > budget:
        system = ("system", "developer")
        tools = [p for p, i in enumerate(kept) if messages[i].get("role") == "tool"]
        others = [
            p
            for p, i in enumerate(kept)
            if messages[i].get("role") not in (*system, "tool") and i != last_user
        ]
        size, cuts = _shorten(out, kept, tools, size, budget)
        if size > budget:
            size, more = _shorten(out, kept, others, size, budget)
            cuts += more
    if size > budget:
        raise InputTooLongError(
            size,
            budget,
            hint="Even after dropping older turns and shortening tool results the input does "
            "not fit; shorten the current turn, or use a model with a larger context window.",
        )
    details = []
    if dropped:
        details.append(f"dropped {len(dropped)} older message(s) at positions {_ranges(dropped)}")
    for index, saved in cuts:
        role = messages[index].get("role")
        details.append(f"shortened message {index} ({role}) by {saved:,} characters")
    report = Trimmed(
        before,
        size,
        len(dropped),
        limit=budget,
        shortened_messages=len(cuts),
        reason=reason,
        details=tuple(details),
    )
    logger.warning(
        "Fitted the input to %s: %s -> %s characters (budget %s): %s",
        "the context window" if reason != "limit" else "max_inputs_lenght",
        f"{before:,}",
        f"{size:,}",
        f"{budget:,}",
        "; ".join(details),
    )
    return out, report


def _ranges(indices: set[int]) -> str:
    """``{0,1,2,5}`` -> ``"0-2, 5"`` (at most 6 ranges shown)."""
    items = sorted(indices)
    ranges: list[str] = []
    start = prev = items[0]
    for i in [*items[1:], None]:  # type: ignore[list-item]
        if i is not None and i == prev + 1:
            prev = i
            continue
        ranges.append(f"{start}-{prev}" if start != prev else str(start))
        if i is not None:
            start = prev = i
    shown = ", ".join(ranges[:6])
    return shown + (f" and {len(ranges) - 6} more range(s)" if len(ranges) > 6 else "")
