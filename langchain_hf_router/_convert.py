"""Pure conversions between LangChain types and the hf_router core (no I/O).

* :func:`to_wire_messages`: ``BaseMessage`` list → OpenAI message dicts (standard image content
  blocks become ``image_url`` parts; unsupported blocks and message types raise
  :class:`~hf_router.errors.InvalidInputError` naming ``messages[i]``).
* :class:`ChunkTranslator`: core events → ``ChatGenerationChunk`` objects, one per event that
  carries content, usage on exactly one chunk, metadata on the last chunk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from hf_router import (
    Fallback,
    Finish,
    ProviderInfo,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Trimmed,
    Usage,
)
from hf_router.errors import InvalidInputError

__all__ = [
    "FALLBACK_EVENT",
    "MODEL_PROVIDER",
    "TRIMMED_EVENT",
    "ChunkTranslator",
    "to_usage_metadata",
    "to_wire_messages",
]

MODEL_PROVIDER = "huggingface"
"""``response_metadata["model_provider"]`` and ``ls_provider``."""
TRIMMED_EVENT = "hf_router_trimmed"
"""Custom callback event: the input was trimmed (data: ``before``, ``after``,
``dropped_messages``)."""
FALLBACK_EVENT = "hf_router_fallback"
"""Custom callback event: an attempt failed and the next one is tried (data: ``attempt``,
``model``, ``provider``, ``error_type``, ``status_code``, ``reason``)."""

_TEXT_TYPES = frozenset({"text", "input_text", "output_text"})
_SKIPPED_AI_BLOCKS = frozenset(
    {"tool_use", "tool_call", "thinking", "reasoning", "redacted_thinking", "function_call"}
)


# -- messages ---------------------------------------------------------------------------------
def to_wire_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """OpenAI-style dicts for the core (which validates them further)."""
    return [_wire_message(message, f"messages[{i}]") for i, message in enumerate(messages)]


def _wire_message(message: BaseMessage, where: str) -> dict[str, Any]:
    if isinstance(message, SystemMessage):
        out: dict[str, Any] = {"role": "system", "content": _content(message.content, where)}
    elif isinstance(message, HumanMessage):
        out = {"role": "user", "content": _content(message.content, where)}
    elif isinstance(message, AIMessage):
        out = _assistant(message, where)
    elif isinstance(message, ToolMessage):
        content = _content(message.content, where)
        if message.status == "error" and isinstance(content, str) and content:
            content = content if content.lower().startswith("error") else f"Error: {content}"
        out = {"role": "tool", "tool_call_id": message.tool_call_id, "content": content}
    elif isinstance(message, ChatMessage):
        out = {"role": message.role, "content": _content(message.content, where)}
    elif isinstance(message, FunctionMessage):
        out = {
            "role": "function",
            "name": message.name,
            "content": _content(message.content, where),
        }
    else:
        raise InvalidInputError(
            f"{where} is a {type(message).__name__}, which ChatHFRouter cannot send; use "
            "SystemMessage, HumanMessage, AIMessage, ToolMessage or ChatMessage"
        )
    if message.name and out["role"] in ("user", "system", "assistant"):
        out["name"] = message.name
    return out


def _assistant(message: AIMessage, where: str) -> dict[str, Any]:
    text = message.content
    if isinstance(text, list):  # text blocks only: tool calls go in tool_calls, reasoning stays
        parts = [
            block if isinstance(block, str) else _text(block, f"{where}.content[{j}]")
            for j, block in enumerate(text)
            if isinstance(block, str)
            or (isinstance(block, Mapping) and block.get("type") in _TEXT_TYPES)
        ]
        unknown = [
            block.get("type")
            for block in text
            if isinstance(block, Mapping)
            and block.get("type") not in _TEXT_TYPES | _SKIPPED_AI_BLOCKS
            and not _is_image(block)
        ]
        if unknown:
            raise InvalidInputError(
                f"{where} (AIMessage) has content blocks of type {unknown!r} that ChatHFRouter "
                "cannot send; use text blocks"
            )
        text = "".join(parts)
    out: dict[str, Any] = {"role": "assistant", "content": text or ""}
    calls = [
        {
            "id": call.get("id") or f"call_{j}",
            "type": "function",
            "function": {
                "name": call["name"],
                "arguments": _json_args(call["args"], f"{where}.tool_calls[{j}].args"),
            },
        }
        for j, call in enumerate(message.tool_calls)
    ]
    calls += [
        {
            "id": bad.get("id") or f"call_invalid_{j}",
            "type": "function",
            "function": {"name": bad.get("name") or "", "arguments": bad.get("args") or ""},
        }
        for j, bad in enumerate(message.invalid_tool_calls)
        if bad.get("name")
    ]
    if calls:
        out["tool_calls"] = calls
    return out


def _text(block: Mapping[str, Any], where: str) -> str:
    """The text of a text block (missing: ``""``); anything but a string is an error."""
    text = block.get("text", "")
    if not isinstance(text, str):
        raise InvalidInputError(
            f"{where}.text must be a string, not {type(text).__name__} (decode bytes first)"
        )
    return text


def _json_args(args: Any, where: str) -> str:
    """Tool-call arguments as a JSON string; values JSON cannot carry are an error."""
    try:
        return json.dumps(args, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"{where} cannot be sent as JSON ({exc}); use strings, numbers, booleans, None, "
            "lists and dicts"
        ) from None


def _content(content: str | list[Any], where: str) -> str | list[dict[str, Any]]:
    """A string stays a string; a list of blocks becomes OpenAI parts (all-text lists are
    joined into one string, which every OpenAI-compatible server accepts)."""
    if isinstance(content, str):
        return content
    parts = [_part(block, f"{where}.content[{j}]") for j, block in enumerate(content)]
    if all(part["type"] == "text" for part in parts):
        return "".join(part["text"] for part in parts)
    return parts


def _part(block: Any, where: str) -> dict[str, Any]:
    if isinstance(block, str):
        return {"type": "text", "text": block}
    if not isinstance(block, Mapping):
        raise InvalidInputError(
            f"{where} is a {type(block).__name__}; content blocks must be strings or dicts"
        )
    kind = block.get("type")
    if kind in _TEXT_TYPES:
        return {"type": "text", "text": _text(block, where)}
    if kind == "image_url":
        image = block.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        if not isinstance(url, str) or not url:
            raise InvalidInputError(f"{where} (image_url) needs image_url.url")
        return {
            "type": "image_url",
            "image_url": dict(image) if isinstance(image, Mapping) else {"url": url},
        }
    if _is_image(block):
        return {"type": "image_url", "image_url": {"url": _image_url(block, where)}}
    raise InvalidInputError(
        f"{where} has type {kind!r}, which ChatHFRouter cannot send; use text blocks and image "
        "blocks ({'type': 'image', 'base64': ..., 'mime_type': ...} or {'type': 'image', "
        "'url': ...} or OpenAI's image_url)"
    )


def _is_image(block: Mapping[str, Any]) -> bool:
    return block.get("type") == "image" or (
        block.get("type") == "file" and str(block.get("mime_type", "")).startswith("image/")
    )


def _image_url(block: Mapping[str, Any], where: str) -> str:
    """The URL or data URI of a standard image block (v1 ``base64``/``url`` keys, the older
    ``source_type``/``data`` form, or Anthropic's ``source`` dict)."""
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic: {"type": "base64", "media_type", "data"}
        if source.get("type") == "url" and source.get("url"):
            return str(source["url"])
        if source.get("data"):
            mime = source.get("media_type") or "image/png"
            return f"data:{mime};base64,{source['data']}"
    if block.get("url"):
        return str(block["url"])
    data = block.get("base64") or (
        block.get("data") if block.get("source_type") == "base64" else None
    )
    if data:
        mime = block.get("mime_type") or "image/png"
        return f"data:{mime};base64,{data}"
    if block.get("source_type") == "url" and block.get("url"):
        return str(block["url"])
    raise InvalidInputError(
        f"{where} is an image block without 'base64' or 'url' (file ids are not supported by "
        "the router); pass the image inline as base64 or as a URL"
    )


# -- events -----------------------------------------------------------------------------------
def to_usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain's ``UsageMetadata`` with reasoning / cache-read details when reported."""
    out = UsageMetadata(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
    )
    if "cached_tokens" in usage.details:
        out["input_token_details"] = InputTokenDetails(cache_read=usage.details["cached_tokens"])
    if "reasoning_tokens" in usage.details:
        out["output_token_details"] = OutputTokenDetails(
            reasoning=usage.details["reasoning_tokens"]
        )
    return out


class ChunkTranslator:
    """Turns the core's events of one answer into ``ChatGenerationChunk`` objects.

    ``feed(event)`` returns the chunk for a content event (``None`` otherwise) and records
    ``Trimmed``/``Fallback``/``ProviderInfo``; ``notices`` holds the custom callback events to
    dispatch (name, data). ``final()`` gives the last chunk (``chunk_position="last"``) with the
    response metadata; usage comes on one chunk of its own, before it.
    """

    def __init__(self, requested_model: str, *, stream_usage: bool = True) -> None:
        self.requested_model = requested_model
        self.stream_usage = stream_usage
        self.provider: ProviderInfo | None = None
        self.trimmed: Trimmed | None = None
        self.fallbacks: list[Fallback] = []
        self.finish: Finish | None = None
        self.notices: list[tuple[str, dict[str, Any]]] = []

    def feed(self, event: object) -> ChatGenerationChunk | None:
        """The chunk for ``event`` (or ``None`` for events that only update state)."""
        if isinstance(event, TextDelta):
            return _chunk(AIMessageChunk(content=event.text))
        if isinstance(event, ReasoningDelta):
            message = AIMessageChunk(
                content="", additional_kwargs={"reasoning_content": event.text}
            )
            return _chunk(message)
        if isinstance(event, ToolCallDelta):
            call = tool_call_chunk(
                name=event.name, args=event.arguments_fragment, id=event.id, index=event.index
            )
            return _chunk(AIMessageChunk(content="", tool_call_chunks=[call]))
        if isinstance(event, Usage):
            if not self.stream_usage:
                return None
            return _chunk(AIMessageChunk(content="", usage_metadata=to_usage_metadata(event)))
        if isinstance(event, Finish):
            self.finish = event
        elif isinstance(event, ProviderInfo):
            self.provider = event
        elif isinstance(event, Trimmed):
            self.trimmed = event
            self.notices.append((TRIMMED_EVENT, asdict(event)))
        elif isinstance(event, Fallback):
            self.fallbacks.append(event)
            self.notices.append((FALLBACK_EVENT, asdict(event)))
        return None

    def take_notices(self) -> list[tuple[str, dict[str, Any]]]:
        """The custom events recorded since the last call."""
        notices, self.notices = self.notices, []
        return notices

    def response_metadata(self) -> dict[str, Any]:
        """``model_name`` (the model that served), ``model_provider``, ``provider``,
        ``finish_reason``, ``id``, ``system_fingerprint``, plus ``trimmed``/``fallbacks``."""
        finish = self.finish
        served = (finish.model if finish else None) or (
            self.provider.model if self.provider else None
        )
        meta: dict[str, Any] = {
            "model_name": served or self.requested_model,
            "model_provider": MODEL_PROVIDER,
            "provider": self.provider.provider if self.provider else None,
            "finish_reason": finish.reason if finish else None,
            "id": finish.response_id if finish else None,
            "system_fingerprint": finish.system_fingerprint if finish else None,
        }
        if self.provider is not None:
            meta["attempt"] = self.provider.attempt
        if self.trimmed is not None:
            meta["trimmed"] = asdict(self.trimmed)
        if self.fallbacks:
            meta["fallbacks"] = [asdict(f) for f in self.fallbacks]
        return meta

    def final(self) -> ChatGenerationChunk:
        """The last chunk: empty content, the response metadata, ``chunk_position="last"``."""
        meta = self.response_metadata()
        message = AIMessageChunk(
            content="",
            response_metadata=meta,
            id=meta["id"] or None,
            chunk_position="last",
        )
        info = {"finish_reason": meta["finish_reason"], "model_name": meta["model_name"]}
        return ChatGenerationChunk(message=message, generation_info=info)


def _chunk(message: AIMessageChunk) -> ChatGenerationChunk:
    return ChatGenerationChunk(message=message)
