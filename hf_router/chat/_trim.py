"""Input trimming by character count (seed: ``calculate_lenght`` and ``max_inputs_lenght``).

Stages, applied only while the input is over the limit:

1. more than 6 messages: keep the first 3 and the last 3 (plus every system message);
2. keep the system messages, the last user message and the turn in progress after it
   (tool calls and their results), then without that turn;
3. last resort: only the last user message; if even that is over the limit,
   :class:`~hf_router.errors.InputTooLongError`.

An assistant message with tool calls and the tool messages answering it are kept or dropped
together, so the server never sees a tool result without its call (or the reverse).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import InputTooLongError
from ..events import Trimmed

__all__ = [
    "IMAGE_PART_LENGHT",
    "MESSAGE_OVERHEAD",
    "calculate_lenght",
    "calculate_length",
    "trim_messages",
    "trim_with_report",
]

MESSAGE_OVERHEAD = 16
"""Characters counted for each message on top of its content (seed)."""

IMAGE_PART_LENGHT = 1000
"""Characters counted for each image (or other non-text) part of a multimodal message."""

Message = Mapping[str, Any]


def measure_content(content: Any, text: Callable[[str], float], part: float) -> float:
    """The size of a message's ``content``: ``text`` of each text (a string, or the text
    parts of a multimodal list), ``part`` for each other part (an image)."""
    if content is None:
        return 0
    if isinstance(content, str):
        return text(content)
    if isinstance(content, list):
        total = 0.0
        for item in content:
            if isinstance(item, Mapping) and item.get("type", "text") == "text":
                total += text(str(item.get("text", "")))
            elif isinstance(item, str):
                total += text(item)
            else:
                total += part
        return total
    return text(str(content))


def _content_length(content: Any) -> int:
    if isinstance(content, str):  # the common case, without the generic walk
        return len(content)
    return int(measure_content(content, len, IMAGE_PART_LENGHT))


def calculate_lenght(messages: Sequence[Message]) -> int:
    """The seed's input size: the sum over messages of ``len(content) + 16``.

    Text parts of a multimodal message count their characters; each image part counts
    :data:`IMAGE_PART_LENGHT`. Example: two messages ``"Привет!"`` give ``(7 + 16) * 2 == 46``.
    """
    return sum(_content_length(m.get("content")) + MESSAGE_OVERHEAD for m in messages)


calculate_length = calculate_lenght


def _units(messages: Sequence[Message]) -> list[list[int]]:
    """Group message indices so that an assistant tool call and its tool results stay together."""
    units: list[list[int]] = []
    open_calls: set[str] = set()
    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "tool" and units and open_calls:
            units[-1].append(i)
            open_calls.discard(str(message.get("tool_call_id")))
            continue
        units.append([i])
        calls = message.get("tool_calls") if role == "assistant" else None
        open_calls = {str(c.get("id")) for c in calls if isinstance(c, Mapping)} if calls else set()
    return units


def _pick(messages: Sequence[Message], units: list[list[int]]) -> list[Message]:
    keep = sorted({i for unit in units for i in unit})
    return [messages[i] for i in keep]


def _last_user_index(messages: Sequence[Message]) -> int | None:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            return i
    return None


def trim_with_report(
    messages: Sequence[Message], max_inputs_lenght: int = 10000
) -> tuple[list[Message], Trimmed | None]:
    """Trim ``messages`` to fit; returns the kept messages and a :class:`Trimmed` report (or
    None when nothing was cut). Raises :class:`InputTooLongError` when even the last user
    message alone is over the limit."""
    before = calculate_lenght(messages)
    if before <= max_inputs_lenght:
        return list(messages), None
    units = _units(messages)
    system_units = [u for u in units if messages[u[0]].get("role") in ("system", "developer")]
    candidates: list[list[Message]] = []
    last_user = _last_user_index(messages)
    user_unit = next((u for u in units if last_user in u), None)
    if len(messages) > 6:
        n = len(messages)
        edges = {0, 1, 2, n - 3, n - 2, n - 1}
        # Whole groups only (a tool call keeps its results), plus the last user message so
        # the model never sees tool results without the question.
        kept = [u for u in units if edges.intersection(u) or u is user_unit] + system_units
        candidates.append(_pick(messages, kept))
    if last_user is not None and user_unit is not None:
        after_turn = [u for u in units if u[0] > last_user]
        candidates.append(_pick(messages, [*system_units, user_unit, *after_turn]))
        candidates.append(_pick(messages, [*system_units, user_unit]))
        candidates.append([messages[last_user]])
    for kept in candidates:
        size = calculate_lenght(kept)
        if size <= max_inputs_lenght:
            return kept, Trimmed(before, size, len(messages) - len(kept))
    size = calculate_lenght(candidates[-1]) if candidates else before
    raise InputTooLongError(size, max_inputs_lenght)


def trim_messages(messages: Sequence[Message], max_inputs_lenght: int = 10000) -> list[Message]:
    """Trim ``messages`` to at most ``max_inputs_lenght`` by :func:`calculate_lenght`
    (see the module docstring for the stages). The input list is never modified."""
    return trim_with_report(messages, max_inputs_lenght)[0]
