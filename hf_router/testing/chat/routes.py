"""The router's chat routes: ``/v1/chat/completions`` (also per provider) and ``/v1/models``,
answering as JSON or SSE with the faults of the request's scenario."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..core.catalog import LISTED_MODELS, ModelSpec, is_model_id
from ..core.drops import DeliberateDrop
from ..core.faults import CHAT_ITEMS, FaultPlan, error_event, model_not_supported, unauthorized
from ..core.requests import INVALID as _INVALID
from ..core.requests import JSON_KEY as _JSON_KEY
from ..core.requests import dumps as _dumps
from ..core.requests import emulator_state, has_token, scenario_items
from ..core.requests import json_response as _json
from ..core.state import CoreState
from .model import Completion, complete
from .overflow import overflow_response

__all__ = ["CHAT_ROUTES"]

_POLICIES = frozenset({"fastest", "cheapest", "preferred"})
_SSE = "text/event-stream"
_CHUNK_TAIL = b',"logprobs":null,"finish_reason":null}]}\n\n'


@dataclass
class _Route:
    model: ModelSpec | None
    provider: str | None
    provider_model: str = ""
    error: Response | None = None

    def headers(self) -> dict[str, str]:
        return {"x-inference-provider": self.provider} if self.provider else {}


def _unprocessable(message: str, route: _Route) -> _Route:
    route.error = _json({"error": message}, 422, route.headers())
    return route


def _resolve(state: CoreState, name: str, pinned: str | None) -> _Route:
    """Which model and provider serve ``name`` (``id``, ``id:policy``, ``id:provider``)."""
    if pinned is not None:
        spec = state.model_by_provider_id(pinned, name)
        if spec is None and is_model_id(name):
            spec = state.model(name)
        wanted, base = pinned, name
    else:
        base, _, suffix = name.partition(":")
        spec = state.model(base) if is_model_id(base) else None
        wanted = suffix if suffix and suffix not in _POLICIES else None
    route = _Route(spec, wanted)
    if spec is None:
        route.error = _json({"error": f"Model {name} does not exist"}, 404, route.headers())
        return route
    entry = spec.provider(wanted) if wanted else next(iter(spec.live()), None)
    if entry is None or entry.status != "live":
        route.error = model_not_supported(base, wanted, route.headers())
        return route
    route.provider, route.provider_model = entry.provider, entry.provider_id
    return route


def _route(state: CoreState, data: Any, pinned: str | None) -> _Route:
    if not isinstance(data, dict):
        return _unprocessable(
            "Failed to deserialize the JSON body into the target type: expected a JSON object",
            _Route(None, pinned),
        )
    name = data.get("model")
    if not isinstance(name, str) or not name.strip():
        return _unprocessable("Input validation error: missing field `model`", _Route(None, pinned))
    route = _resolve(state, name.strip(), pinned)
    if route.error is None and not isinstance(data.get("messages"), list):
        _unprocessable("Input validation error: `messages` must be a list of messages", route)
    return route


def _deltas(c: Completion) -> Iterator[dict[str, Any]]:
    """The ``delta`` objects of a streamed answer, one token (or fragment) each."""
    first = True
    for key, tokens in (("reasoning_content", c.reasoning), ("content", c.content)):
        for token in tokens:
            yield {"role": "assistant", key: token} if first else {key: token}
            first = False
    for index, call in enumerate(c.tool_calls):
        function = call["function"]
        head = {"index": index, "id": call["id"], "type": "function"}
        delta: dict[str, Any] = {
            "tool_calls": [{**head, "function": {"name": function["name"], "arguments": ""}}]
        }
        yield {"role": "assistant", "content": None, **delta} if first else delta
        first = False
        arguments = function["arguments"]
        for start in range(0, len(arguments), 8):
            fragment = {"index": index, "function": {"arguments": arguments[start : start + 8]}}
            yield {"tool_calls": [fragment]}
    if first:
        yield {"role": "assistant", "content": ""}


_BURST_BLOCK = 64 * 1024


async def _in_blocks(events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The same bytes, written in 64 KiB blocks instead of one write per SSE event (the
    ``burst`` fault: an answer served as fast as possible, as when many chunks share a packet)."""
    buffer = bytearray()
    async for piece in events:
        buffer += piece
        if len(buffer) >= _BURST_BLOCK:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


@dataclass
class _Answer:
    """One answer being rendered: the completion, its metadata and the faults shaping it."""

    completion: Completion
    completion_id: str
    created: int
    model: str
    plan: FaultPlan

    def body(self) -> dict[str, Any]:
        c = self.completion
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(c.content) if c.content or not c.tool_calls else None,
        }
        if c.reasoning:
            message["reasoning_content"] = "".join(c.reasoning)
        if c.tool_calls:
            message["tool_calls"] = c.tool_calls
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": c.finish_reason,
        }
        return {**self._envelope("chat.completion"), "choices": [choice], "usage": c.usage()}

    def _envelope(self, kind: str) -> dict[str, Any]:
        return {
            "id": self.completion_id,
            "object": kind,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "emu-1",
        }

    async def cut_json(self, payload: bytes) -> AsyncIterator[bytes]:
        """Half of a JSON body, then a dropped connection."""
        yield payload[: len(payload) // 2]
        raise DeliberateDrop

    async def events(self, include_usage: bool) -> AsyncIterator[bytes]:
        """The SSE byte chunks of a streamed answer, shaped by the fault plan."""
        plan, c = self.plan, self.completion
        head = (
            _dumps(self._envelope("chat.completion.chunk"))[:-1]
            + b',"choices":[{"index":0,"delta":'
        )
        head = b"data: " + head
        if plan.slow_first_token:
            await asyncio.sleep(plan.slow_first_token)
        for index, delta in enumerate(_deltas(c)):
            if plan.cut_after is not None and index >= plan.cut_after:
                raise DeliberateDrop
            if index and plan.slow_tokens:
                await asyncio.sleep(plan.slow_tokens)
            if plan.token_delay:
                await asyncio.sleep(plan.token_delay)  # slow_generation: generating this token
            yield head + _dumps(delta) + _CHUNK_TAIL
            if plan.malformed_sse:
                yield b"upstream hiccup: this line is not server-sent events\n\n"
                yield b'data: {"id": "broken", "choices": [{"delta": {"content": \n\n'
                yield b"data: [DONE]\n\n"
                return
            if plan.midstream_error and index == 1:
                yield error_event()
                return
        if plan.cut_after is not None:
            raise DeliberateDrop
        if plan.midstream_error:
            yield error_event()
            return
        if plan.end_without_done:
            return
        reason = _dumps(c.finish_reason)
        yield head + b'{},"logprobs":null,"finish_reason":' + reason + b"}]}\n\n"
        if include_usage:
            usage = {**self._envelope("chat.completion.chunk"), "choices": [], "usage": c.usage()}
            yield b"data: " + _dumps(usage) + b"\n\n"
        yield b"data: [DONE]\n\n"


async def _chat(request: Request) -> Response:
    state = emulator_state(request)
    data = request.scope.get(_JSON_KEY, _INVALID)
    route = _route(state, data, request.path_params.get("provider"))
    headers = route.headers()
    if not has_token(request):
        return unauthorized(headers)
    if route.error is not None or route.model is None or route.provider is None:
        return route.error or _json({"error": "unroutable request"}, 400, headers)
    try:
        items = scenario_items(request)
    except ValueError as exc:
        return _json({"error": f"Invalid X-Emulator-Scenario: {exc}"}, 400, headers)
    items.extend(state.faults.take(route.model.model_id, route.provider, only=CHAT_ITEMS))
    plan = FaultPlan.from_items(items)
    if plan.answer is not None:
        if plan.slow_first_token:
            await asyncio.sleep(plan.slow_first_token)
        return plan.answer_response(route.model.model_id, route.provider)
    if route.model.overflow is not None:
        entry = route.model.provider(route.provider)
        window = (entry.context_length if entry else None) or route.model.context_length
        refusal = overflow_response(route.model.overflow, window, data, headers)
        if refusal is not None:
            return refusal
    completion = complete(
        data,
        reasoning=route.model.reasoning,
        call_id=state.call_id,
        length=plan.generated_length(),
        thinking=plan.long_reasoning,
    )
    answer = _Answer(
        completion, state.completion_id(), int(time.time()), route.provider_model, plan
    )
    stream = bool(data.get("stream")) and not plan.json_stream
    if stream or plan.malformed_sse:
        options = data.get("stream_options")
        usage = isinstance(options, dict) and bool(options.get("include_usage"))
        events = answer.events(usage)
        if plan.burst:
            events = _in_blocks(events)
        return StreamingResponse(events, headers=headers, media_type=_SSE)
    payload = _dumps(answer.body())
    if plan.cut_after is not None:
        headers["content-length"] = str(len(payload))
        return StreamingResponse(
            answer.cut_json(payload), headers=headers, media_type="application/json"
        )
    if plan.slow_first_token:
        await asyncio.sleep(plan.slow_first_token)
    if plan.token_delay:  # slow_generation: nothing is sent until the whole answer is generated
        await asyncio.sleep(plan.token_delay * sum(1 for _ in _deltas(completion)))
    return Response(payload, headers=headers, media_type="application/json")


async def _list_models(request: Request) -> Response:
    state = emulator_state(request)
    for model_id in LISTED_MODELS:  # served like any id, but listed before first use too
        state.model(model_id)
    models = state.models.values()
    data = [s.openai_entry() for s in models if s.pipeline_tag() == "text-generation"]
    return _json({"object": "list", "data": data})


CHAT_ROUTES = [
    Route("/v1/chat/completions", _chat, methods=["POST"]),
    Route("/{provider}/v1/chat/completions", _chat, methods=["POST"]),
    Route("/v1/models", _list_models, methods=["GET"]),
]
