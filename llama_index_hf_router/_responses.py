"""Turning the core's events into LlamaIndex ``ChatResponse`` / ``CompletionResponse`` objects.

One :class:`ResponseAssembler` serves one request, streamed or not. Every text or reasoning
event gives a chunk whose ``delta`` is the new text and whose ``message.content`` is the text so
far; :meth:`ResponseAssembler.final` gives the last chunk (``delta=""``) with the whole text,
the reasoning as a ``ThinkingBlock``, every tool call (``ToolCallBlock`` and
``message.additional_kwargs["tool_calls"]``) and the usage and routing details in
``additional_kwargs``. Fallback and trimming are also dispatched as instrumentation events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.llms.llm import ToolSelection

from hf_router import (
    ChatResult,
    Event,
    Fallback,
    ProviderInfo,
    ReasoningDelta,
    ResultBuilder,
    TextDelta,
    Trimmed,
)

from ._convert import parse_arguments, tool_call_to_wire
from .events import FallbackEvent, TrimmedEvent

__all__ = ["ResponseAssembler", "first_tool_call_only", "to_completion", "tool_selections"]


def _usage_kwargs(result: ChatResult) -> dict[str, int]:
    if result.usage is None:
        return {}
    usage = result.usage
    out = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    if "reasoning_tokens" in usage.details:
        out["reasoning_tokens"] = usage.details["reasoning_tokens"]
    return out


class ResponseAssembler:
    """Collects the events of one answer and builds the chunks a LlamaIndex caller sees.

    Args:
        model: The model requested (used until the server names the one that served).
        dispatch: Called with each instrumentation event (:class:`FallbackEvent`,
            :class:`TrimmedEvent`) as soon as the core reports it.
    """

    def __init__(self, model: str, dispatch: Callable[[BaseEvent], None]) -> None:
        self.model = model
        self._dispatch = dispatch
        self._builder = ResultBuilder()
        self._text = ""
        self._reasoning = ""
        self._provider: ProviderInfo | None = None

    # -- streaming --------------------------------------------------------------------------
    def feed(self, event: Event) -> ChatResponse | None:
        """Take one core event; returns the chunk to hand to the caller, if any.

        The text is accumulated here (cumulative content is needed per chunk anyway); the
        core's ResultBuilder only sees the other events (tool calls, usage, finish, ...).
        """
        if isinstance(event, TextDelta):
            if not event.text:
                return None
            self._text += event.text
            return self._chunk(delta=event.text)
        if isinstance(event, ReasoningDelta):
            if not event.text:
                return None
            self._reasoning += event.text
            return self._chunk(delta="", thinking_delta=event.text)
        self._builder.add(event)
        if isinstance(event, ProviderInfo):
            self._provider = event
        elif isinstance(event, Fallback):
            self._dispatch(FallbackEvent.from_core(event))
        elif isinstance(event, Trimmed):
            self._dispatch(TrimmedEvent.from_core(event, model=self.model))
        return None

    def _blocks(self, tool_blocks: list[ToolCallBlock] | None = None) -> list[ContentBlock]:
        blocks: list[ContentBlock] = []
        if self._reasoning:
            blocks.append(ThinkingBlock(content=self._reasoning))
        blocks.append(TextBlock(text=self._text))
        blocks.extend(tool_blocks or [])
        return blocks

    def _chunk(self, delta: str, thinking_delta: str | None = None) -> ChatResponse:
        extra: dict[str, Any] = {}
        if thinking_delta is not None:
            extra["thinking_delta"] = thinking_delta
        if self._provider is not None:
            extra["provider"] = self._provider.provider
        return ChatResponse(
            message=ChatMessage(role=MessageRole.ASSISTANT, blocks=self._blocks()),
            delta=delta,
            additional_kwargs=extra,
        )

    # -- the end ----------------------------------------------------------------------------
    def final(self) -> ChatResponse:
        """The last chunk (or the whole non-streamed answer): everything about the answer."""
        result = self._builder.result()
        tool_blocks = [
            ToolCallBlock(tool_call_id=c.id, tool_name=c.name, tool_kwargs=dict(c.arguments))
            for c in result.tool_calls
        ]
        message_kwargs: dict[str, Any] = {}
        if result.tool_calls:
            message_kwargs["tool_calls"] = [
                tool_call_to_wire(c.id, c.name, c.arguments, i)
                for i, c in enumerate(result.tool_calls)
            ]
        if result.invalid_tool_calls:
            message_kwargs["invalid_tool_calls"] = [asdict(c) for c in result.invalid_tool_calls]
        usage = _usage_kwargs(result)
        info = result.provider_info
        extra: dict[str, Any] = {
            **usage,
            "model": result.model or self.model,
            "provider": info.provider if info else None,
            "attempt": info.attempt if info else None,
            "finish_reason": result.finish_reason,
            "response_id": result.response_id,
            "fallbacks": [asdict(f) for f in result.fallbacks],
        }
        if result.trimmed is not None:
            extra["trimmed"] = asdict(result.trimmed)
        if result.system_fingerprint:
            extra["system_fingerprint"] = result.system_fingerprint
        raw = {
            "id": result.response_id,
            "model": extra["model"],
            "provider": extra["provider"],
            "finish_reason": result.finish_reason,
            # TokenCountingHandler reads raw["usage"]; None sends it to additional_kwargs.
            "usage": usage or None,
        }
        message = ChatMessage(
            role=MessageRole.ASSISTANT,
            blocks=self._blocks(tool_blocks),
            additional_kwargs=message_kwargs,
        )
        return ChatResponse(message=message, delta="", raw=raw, additional_kwargs=extra)


def to_completion(response: ChatResponse) -> CompletionResponse:
    """A chat response as a completion response (same text, delta, details and raw)."""
    extra = {**response.message.additional_kwargs, **response.additional_kwargs}
    return CompletionResponse(
        text=response.message.content or "",
        delta=response.delta,
        additional_kwargs=extra,
        raw=response.raw,
    )


def tool_selections(message: ChatMessage) -> list[ToolSelection]:
    """The tool calls of ``message`` with dict arguments: its ``ToolCallBlock``\\ s, else the
    OpenAI-style ``additional_kwargs["tool_calls"]``."""
    blocks = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    selections = [
        ToolSelection(
            tool_id=b.tool_call_id or f"call_{i}",
            tool_name=b.tool_name,
            tool_kwargs=parse_arguments(b.tool_kwargs),
        )
        for i, b in enumerate(blocks)
    ]
    if selections:
        return selections
    for i, call in enumerate(message.additional_kwargs.get("tool_calls") or []):
        data = call.model_dump() if hasattr(call, "model_dump") else call
        function = data.get("function") or {}
        selections.append(
            ToolSelection(
                tool_id=data.get("id") or f"call_{i}",
                tool_name=function.get("name", ""),
                tool_kwargs=parse_arguments(function.get("arguments")),
            )
        )
    return selections


def first_tool_call_only(response: ChatResponse) -> ChatResponse:
    """``response`` with only its first tool call (a copy; the original is unchanged)."""
    message = response.message
    calls = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    wire = message.additional_kwargs.get("tool_calls") or []
    if len(calls) <= 1 and len(wire) <= 1:
        return response
    blocks = [b for b in message.blocks if not isinstance(b, ToolCallBlock)] + calls[:1]
    extra = dict(message.additional_kwargs)
    if wire:
        extra["tool_calls"] = wire[:1]
    new_message = message.model_copy(update={"blocks": blocks, "additional_kwargs": extra})
    return response.model_copy(update={"message": new_message})
