"""Aggregating events into one :class:`~hf_router.events.ChatResult`."""

from __future__ import annotations

from ..events import (
    ChatResult,
    Event,
    Fallback,
    Finish,
    ProviderInfo,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Trimmed,
    Usage,
)

__all__ = ["ResultBuilder"]


class ResultBuilder:
    """Collects events of one answer; :meth:`result` gives the :class:`ChatResult` with tool
    calls parsed (invalid JSON arguments become ``invalid_tool_calls``)."""

    def __init__(self) -> None:
        from ._decoder import ToolCallAccumulator

        self._result = ChatResult()
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._tools = ToolCallAccumulator()

    def add(self, event: Event) -> None:
        """Take one event."""
        r = self._result
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, ReasoningDelta):
            self._reasoning.append(event.text)
        elif isinstance(event, ToolCallDelta):
            self._tools.add(
                {
                    "index": event.index,
                    "id": event.id,
                    "function": {"name": event.name, "arguments": event.arguments_fragment},
                }
            )
        elif isinstance(event, Usage):
            r.usage = event
        elif isinstance(event, Finish):
            r.finish_reason = event.reason
            r.response_id = event.response_id
            r.model = event.model
            r.system_fingerprint = event.system_fingerprint
        elif isinstance(event, ProviderInfo):
            r.provider_info = event
        elif isinstance(event, Trimmed):
            r.trimmed = event
        elif isinstance(event, Fallback):
            r.fallbacks.append(event)

    def result(self) -> ChatResult:
        """The aggregated answer so far."""
        r = self._result
        r.text = "".join(self._text)
        r.reasoning = "".join(self._reasoning)
        r.tool_calls, r.invalid_tool_calls = self._tools.finish()
        return r
