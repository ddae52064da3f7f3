"""Turn chat-completion chunks (streamed) or a whole completion into events; no I/O.

Handles the providers' differences seen in recorded traffic and on real servers: usage on the
last content chunk or on a final ``choices: []`` chunk, reasoning in ``reasoning_content`` /
``reasoning`` / ``reasoning_text`` or inside ``<think>...</think>``, tool-call deltas whose later
fragments repeat ``id`` and ``name`` (llama.cpp) or carry empty ids and null names (TGI),
arguments already given as objects (TGI), integer tool-call ids, and ``eos_token`` finish reasons.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from .._shared.bodies import dumps, loads
from .._shared.responses import error_from_response
from .._shared.think import ThinkSplitter as _ThinkSplitter
from ..errors import HFRouterError, MalformedResponseError, ProviderError
from ..events import (
    Event,
    Finish,
    InvalidToolCall,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = [
    "ChatStreamDecoder",
    "ToolCallAccumulator",
    "json_loads",
    "normalize_finish_reason",
    "parse_usage",
]

try:  # the optional extra hf-router[fast]: orjson parses a chunk about twice as fast
    from orjson import loads as json_loads
except ImportError:  # pragma: no cover - depends on the environment
    json_loads = json.JSONDecoder().decode

_FINISH_REASONS = {
    "stop": "stop",
    "eos_token": "stop",
    "eos": "stop",
    "stop_sequence": "stop",
    "end_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "tool_use": "tool_calls",
    "content_filter": "content_filter",
}


def normalize_finish_reason(reason: str) -> str:
    """Map the providers' finish reasons onto ``stop | length | tool_calls | content_filter``."""
    return _FINISH_REASONS.get(reason, reason)


def parse_usage(raw: Any) -> Usage | None:
    """Read an OpenAI ``usage`` object (with reasoning and cached token details)."""
    if not isinstance(raw, Mapping):
        return None
    try:
        prompt = int(raw.get("prompt_tokens") or raw.get("input_tokens") or 0)
        completion = int(raw.get("completion_tokens") or raw.get("output_tokens") or 0)
        total = int(raw.get("total_tokens") or prompt + completion)
    except (TypeError, ValueError):
        return None
    details: dict[str, int] = {}
    out_details = raw.get("completion_tokens_details")
    if isinstance(out_details, Mapping) and out_details.get("reasoning_tokens"):
        details["reasoning_tokens"] = int(out_details["reasoning_tokens"])
    in_details = raw.get("prompt_tokens_details")
    if isinstance(in_details, Mapping) and in_details.get("cached_tokens"):
        details["cached_tokens"] = int(in_details["cached_tokens"])
    return Usage(prompt, completion, total, details)


class ToolCallAccumulator:
    """Collects tool-call fragments by index into complete calls."""

    __slots__ = ("_calls", "_last_index")

    def __init__(self) -> None:
        self._calls: dict[int, list[Any]] = {}  # index -> [id, name, [argument fragments]]
        self._last_index = -1

    def __bool__(self) -> bool:
        return bool(self._calls)

    def add(self, raw: Mapping[str, Any], position: int = 0) -> ToolCallDelta | None:
        """Add one raw ``tool_calls[i]`` delta; returns the normalised event (or None)."""
        function = raw.get("function")
        function = function if isinstance(function, Mapping) else {}
        raw_id = raw.get("id")
        call_id = str(raw_id) if raw_id not in (None, "") else None
        name = function.get("name") or None
        arguments = function.get("arguments")
        if arguments is None:
            fragment = ""
        elif isinstance(arguments, str):
            fragment = arguments
        else:
            try:
                fragment = dumps(arguments)
            except ValueError:
                raise MalformedResponseError(
                    "A tool call's arguments are nested too deeply to use"
                ) from None
        index = raw.get("index")
        if not isinstance(index, int):
            known_ids = {entry[0] for entry in self._calls.values()}
            if call_id is not None and call_id not in known_ids:
                index = len(self._calls)
            elif self._last_index >= 0:
                index = self._last_index
            else:
                index = position
        self._last_index = index
        entry = self._calls.get(index)
        if entry is None:
            entry = self._calls[index] = [call_id, name, []]
            new_id, new_name = call_id, name
        else:
            new_id = new_name = None
            if entry[0] is None and call_id is not None:
                entry[0] = new_id = call_id
            if entry[1] is None and name is not None:
                entry[1] = new_name = name
        if fragment:
            entry[2].append(fragment)
        if new_id is None and new_name is None and not fragment:
            return None
        return ToolCallDelta(index, new_id, new_name, fragment)

    def finish(self) -> tuple[list[ToolCall], list[InvalidToolCall]]:
        """Complete calls with parsed arguments, and the ones whose arguments were not JSON."""
        calls: list[ToolCall] = []
        invalid: list[InvalidToolCall] = []
        for index in sorted(self._calls):
            call_id, name, parts = self._calls[index]
            text = "".join(parts)
            call_id = call_id or f"call_{uuid.uuid4().hex[:24]}"
            try:
                args = loads(text) if text.strip() else {}
            except ValueError as exc:
                invalid.append(InvalidToolCall(call_id, name, text, f"invalid JSON: {exc}"))
                continue
            if not isinstance(args, dict) or not name:
                why = "no tool name" if not name else "arguments are not a JSON object"
                invalid.append(InvalidToolCall(call_id, name, text, why))
                continue
            calls.append(ToolCall(call_id, name, args))
        return calls, invalid


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    return str(content)


def _reasoning(delta: Mapping[str, Any], out: list[Event]) -> None:
    """Reasoning text under any of the field names providers use."""
    reasoning = (
        delta.get("reasoning_content") or delta.get("reasoning") or delta.get("reasoning_text")
    )
    if reasoning and isinstance(reasoning, str):
        out.append(ReasoningDelta(reasoning))


def in_band_error(error: Any, *, model: str | None, provider: str | None) -> HFRouterError:
    """An ``{"error": ...}`` object received inside a 200 response."""
    status = None
    if isinstance(error, Mapping):
        for key in ("status", "status_code", "code"):
            value = error.get(key)
            if isinstance(value, int) and 400 <= value < 600:
                status = value
                break
    try:
        body = dumps({"error": error})
    except ValueError:
        body = '{"error": "(an error object nested too deeply to show)"}'
    if status is not None:
        return error_from_response(
            status, {"content-type": "application/json"}, body, model=model, provider=provider
        )
    err = error_from_response(
        500, {"content-type": "application/json"}, body, model=model, provider=provider
    )
    return ProviderError(
        "The provider reported an error inside the stream",
        provider=provider,
        model=model,
        server_message=err.server_message,
    )


class ChatStreamDecoder:
    """Stateful decoder for one answer. Feed SSE ``data`` payloads (:meth:`feed_data`) or a
    whole completion (:meth:`feed_completion`), then call :meth:`finish`."""

    def __init__(self, *, model: str | None = None, provider: str | None = None) -> None:
        self.model = model
        self.provider = provider
        self.done = False
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.response_id: str | None = None
        self.served_model: str | None = None
        self.system_fingerprint: str | None = None
        self.tools = ToolCallAccumulator()
        self._think = _ThinkSplitter()
        self._need_meta = True

    # -- streamed chunks ------------------------------------------------------------------
    def feed_data(
        self, data: str, event: str = "message", out: list[Event] | None = None
    ) -> list[Event]:
        """Decode one SSE data payload into events (appended to ``out`` when given)."""
        if out is None:
            out = []
        if data[:1] != "{" and data.strip() == "[DONE]":
            self.done = True
            return out
        try:
            chunk = json_loads(data)
        except (ValueError, RecursionError):
            preview = data if len(data) <= 80 else data[:77] + "..."
            raise MalformedResponseError(
                f"The stream carried data that is not JSON: {preview!r}",
                model=self.model,
                provider=self.provider,
            ) from None
        if not isinstance(chunk, dict):
            raise MalformedResponseError(
                "The stream carried JSON that is not an object",
                model=self.model,
                provider=self.provider,
            )
        if chunk.get("error") or event == "error":
            raise in_band_error(chunk.get("error", chunk), model=self.model, provider=self.provider)
        start = len(out)
        try:
            self._chunk_events(chunk, out)
            return out
        except (AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
            del out[start:]  # nothing from a chunk that could not be read
            raise MalformedResponseError(
                f"The stream carried a chunk of an unexpected shape ({type(exc).__name__})",
                model=self.model,
                provider=self.provider,
            ) from None

    def _chunk_events(self, chunk: dict[str, Any], out: list[Event]) -> None:
        if self._need_meta:
            self._meta(chunk)
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            delta = choice.get("delta") or choice.get("message") or {}
            if len(delta) > 1 or "content" not in delta:
                _reasoning(delta, out)
            content = delta.get("content")
            if content:
                text = content if isinstance(content, str) else _content_text(content)
                if "<" in text or self._think.busy:
                    self._think.feed(text, out)
                else:
                    out.append(TextDelta(text))
            tool_calls = delta.get("tool_calls")
            if tool_calls:
                for position, raw in enumerate(tool_calls):
                    if isinstance(raw, Mapping):
                        ev = self.tools.add(raw, position)
                        if ev is not None:
                            out.append(ev)
            reason = choice.get("finish_reason")
            if reason:
                self.finish_reason = normalize_finish_reason(str(reason))
        usage = chunk.get("usage")
        if usage:
            self.usage = parse_usage(usage) or self.usage

    # -- a whole completion ---------------------------------------------------------------
    def feed_completion(self, body: Any) -> list[Event]:
        """Decode a non-streamed ``chat.completion`` object into the same events."""
        if not isinstance(body, dict):
            raise MalformedResponseError(
                "The completion is not a JSON object", model=self.model, provider=self.provider
            )
        if body.get("error"):
            raise in_band_error(body["error"], model=self.model, provider=self.provider)
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
            raise MalformedResponseError(
                "The completion has no choices", model=self.model, provider=self.provider
            )
        self._meta(body)
        choice = choices[0]
        message = choice.get("message") or {}
        out: list[Event] = []
        _reasoning(message, out)
        text = _content_text(message.get("content"))
        if text:
            self._think.feed(text, out)
            self._think.flush(out)
        for position, raw in enumerate(message.get("tool_calls") or []):
            if isinstance(raw, Mapping):
                ev = self.tools.add({**raw, "index": raw.get("index", position)}, position)
                if ev is not None:
                    out.append(ev)
        reason = choice.get("finish_reason")
        if reason:
            self.finish_reason = normalize_finish_reason(str(reason))
        self.usage = parse_usage(body.get("usage")) or self.usage
        self.done = True
        return out

    def finish(self) -> list[Event]:
        """Flush held text and emit :class:`Usage` (when known) and :class:`Finish`."""
        out: list[Event] = []
        self._think.flush(out)
        if self.usage is not None:
            out.append(self.usage)
        reason = self.finish_reason or "stop"
        if self.tools and reason == "stop":
            reason = "tool_calls"  # TGI ends tool calls with eos_token
        out.append(Finish(reason, self.response_id, self.served_model, self.system_fingerprint))
        return out

    @property
    def complete(self) -> bool:
        """True once ``[DONE]`` or a finish reason arrived (a clean end of the answer)."""
        return self.done or self.finish_reason is not None

    def _meta(self, chunk: Mapping[str, Any]) -> None:
        if self.response_id is None and chunk.get("id"):
            self.response_id = str(chunk["id"])
        if self.served_model is None and chunk.get("model"):
            self.served_model = str(chunk["model"])
        if self.system_fingerprint is None and chunk.get("system_fingerprint"):
            self.system_fingerprint = str(chunk["system_fingerprint"])
        # Keep looking (a cheap check per chunk) until all three are known.
        self._need_meta = (
            self.response_id is None or self.served_model is None or self.system_fingerprint is None
        )
