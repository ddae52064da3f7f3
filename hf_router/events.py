"""The typed events the core emits; both framework adapters are translations of these.

A chat stream yields, in order: optional :class:`Trimmed` (input was cut to fit), optional
:class:`Fallback` events (an attempt failed and the next one is tried), one :class:`ProviderInfo`
(who serves the answer) before the first token, then :class:`TextDelta`,
:class:`ReasoningDelta` and :class:`ToolCallDelta` events, then :class:`Usage` (when the server
reports it) and a final :class:`Finish`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ChatResult",
    "Event",
    "Fallback",
    "Finish",
    "InvalidToolCall",
    "MediaResult",
    "ProviderInfo",
    "ReasoningDelta",
    "Source",
    "Sources",
    "Status",
    "TextDelta",
    "Title",
    "ToolActivity",
    "ToolCall",
    "ToolCallDelta",
    "Trimmed",
    "Usage",
]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning ("thinking") text."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of a tool call. ``id`` and ``name`` come once, on the first fragment of a call;
    later fragments carry more of the JSON ``arguments_fragment``."""

    index: int
    id: str | None
    name: str | None
    arguments_fragment: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage reported by the server. ``details`` holds e.g. ``reasoning_tokens`` and
    ``cached_tokens`` when given."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    details: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finish:
    """The end of an answer. ``reason`` is normalised to ``stop``, ``length``, ``tool_calls``,
    ``content_filter`` (or the server's own word). The response's ``id``, the ``model`` that
    served it and the ``system_fingerprint`` come along when the server sent them."""

    reason: str
    response_id: str | None = None
    model: str | None = None
    system_fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """Who serves this answer: the requested ``model``, the inference ``provider``, the
    provider's own model id and the attempt number (1 = first try, >1 = after a fallback)."""

    model: str
    provider: str | None
    provider_model_id: str | None
    attempt: int


@dataclass(frozen=True, slots=True)
class Trimmed:
    """The input was changed to fit (sizes by ``calculate_lenght``, never message text).

    ``limit`` is the budget it was fitted to; ``reason`` says where that came from:
    ``"window"`` (the model's context window from ``/v1/models``), ``"limit"`` (an explicit
    ``max_inputs_lenght``) or ``"provider"`` (the provider refused the input as too long and it
    was re-fitted to the limit its error stated). ``details`` says what was dropped or
    shortened, e.g. ``"dropped 12 older message(s) at positions 1-12"``.
    """

    before: int
    after: int
    dropped_messages: int
    limit: int | None = None
    shortened_messages: int = 0
    reason: str = "limit"
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Fallback:
    """An attempt failed before any answer text and the next attempt of the plan is tried."""

    attempt: int
    model: str
    provider: str | None
    error_type: str
    status_code: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class Source:
    """A web page HuggingChat's web search used."""

    url: str
    title: str = ""
    hostname: str = ""
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class Sources:
    """Web-search sources surfaced during an answer."""

    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Title:
    """A conversation title."""

    text: str


@dataclass(frozen=True, slots=True)
class Status:
    """Progress while waiting (e.g. media generation): ``label`` such as ``Generating`` or
    ``Finished``, free ``text`` and the seconds elapsed."""

    label: str
    text: str = ""
    elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class MediaResult:
    """A generated image or video saved to ``path`` (and/or available at ``url``)."""

    kind: Literal["image", "video"]
    path: str | None
    url: str | None
    mime_type: str | None
    width: int | None
    height: int | None
    provider: str | None
    prompt: str


@dataclass(frozen=True, slots=True)
class ToolActivity:
    """A tool the server ran for the answer (HuggingChat's MCP tools, e.g. a web search).

    ``phase`` is ``call`` (with the ``parameters``), ``progress``, ``result`` or ``error``;
    ``call_id`` ties the phases of one call together; ``text`` is the progress message, the
    error text or the start of the result's text."""

    name: str
    phase: Literal["call", "progress", "result", "error"]
    parameters: dict[str, Any] = field(default_factory=dict)
    call_id: str | None = None
    text: str = ""


Event = (
    TextDelta
    | ReasoningDelta
    | ToolCallDelta
    | Usage
    | Finish
    | ProviderInfo
    | Trimmed
    | Fallback
    | Sources
    | Title
    | Status
    | MediaResult
    | ToolActivity
)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A complete tool call with parsed arguments."""

    id: str
    name: str
    arguments: dict[str, Any]

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI wire form (arguments as a JSON string)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }


@dataclass(frozen=True, slots=True)
class InvalidToolCall:
    """A tool call whose arguments were not valid JSON; kept as received."""

    id: str | None
    name: str | None
    arguments: str
    error: str


@dataclass(slots=True)
class ChatResult:
    """A whole answer, aggregated from the events of one request."""

    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    invalid_tool_calls: list[InvalidToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None
    provider_info: ProviderInfo | None = None
    response_id: str | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    trimmed: Trimmed | None = None
    fallbacks: list[Fallback] = field(default_factory=list)

    @property
    def provider(self) -> str | None:
        """The inference provider that served the answer."""
        return self.provider_info.provider if self.provider_info else None
