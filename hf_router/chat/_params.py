"""Validating chat parameters and building the request body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInputError

__all__ = ["build_body", "normalize_tool_choice"]

_OPTIONAL = ("temperature", "top_p", "seed", "frequency_penalty", "presence_penalty")
_PASSTHROUGH = (
    "tools",
    "response_format",
    "reasoning_effort",
    "parallel_tool_calls",
    "n",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "user",
)


def normalize_tool_choice(choice: Any) -> Any:
    """``"any"``/``True`` → ``"required"``; a bare tool name → the OpenAI object form."""
    if choice is None or isinstance(choice, Mapping):
        return choice
    if choice is True or choice == "any":
        return "required"
    if choice is False:
        return "none"
    if isinstance(choice, str):
        if choice in ("auto", "none", "required"):
            return choice
        return {"type": "function", "function": {"name": choice}}
    raise InvalidInputError(
        f"tool_choice={choice!r} is not valid; use 'auto', 'none', 'required', a tool name or "
        "{'type': 'function', 'function': {'name': ...}}"
    )


def _check_number(name: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise InvalidInputError(f"{name}={value!r} must be a number between {low} and {high}")


def build_body(
    model: str,
    messages: list[dict[str, Any]],
    *,
    stream: bool,
    max_tokens: int | None,
    stop: str | list[str] | None = None,
    tool_choice: Any = None,
    extra_body: Mapping[str, Any] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """The JSON body of a chat-completions request; unknown keyword arguments are rejected."""
    unknown = set(params) - set(_OPTIONAL) - set(_PASSTHROUGH)
    if unknown:
        raise InvalidInputError(
            f"Unknown chat parameter(s): {', '.join(sorted(unknown))}; pass provider-specific "
            "fields in extra_body={...}"
        )
    body: dict[str, Any] = {"model": model, "messages": messages}
    if max_tokens is not None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise InvalidInputError(f"max_tokens={max_tokens!r} must be a positive integer")
        body["max_tokens"] = max_tokens
    if params.get("temperature") is not None:
        _check_number("temperature", params["temperature"], 0.0, 2.0)
    if params.get("top_p") is not None:
        _check_number("top_p", params["top_p"], 0.0, 1.0)
    for key in _OPTIONAL + _PASSTHROUGH:
        if params.get(key) is not None:
            body[key] = params[key]
    if stop is not None:
        if isinstance(stop, str):
            stop = [stop]
        if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
            raise InvalidInputError("stop must be a non-empty string or a list of them")
        body["stop"] = stop
    tools = body.get("tools")
    if tools is not None and (
        not isinstance(tools, list) or not all(isinstance(t, Mapping) for t in tools)
    ):
        raise InvalidInputError("tools must be a list of OpenAI tool dicts")
    if not tools:
        body.pop("tools", None)
        body.pop("parallel_tool_calls", None)
    choice = normalize_tool_choice(tool_choice)
    if choice is not None and tools:
        body["tool_choice"] = choice
    body["stream"] = stream
    if stream:
        body["stream_options"] = {"include_usage": True}
    if extra_body:
        body.update(extra_body)
    return body
