"""Validating chat parameters and building the request body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .._shared.checks import check_count, check_json, check_mapping
from ..errors import InvalidInputError

__all__ = ["MAX_TOKENS_LIMIT", "build_body", "check_max_tokens", "normalize_tool_choice"]

MAX_TOKENS_LIMIT = 10_000_000
"""No model generates more tokens than this in one answer; a larger ``max_tokens`` is a typo."""
MAX_N = 128
"""OpenAI's upper bound for ``n`` (choices per request)."""
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_CHOICES = ("auto", "none", "required")

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


def check_max_tokens(value: Any) -> None:
    """``max_tokens``: None (not sent) or a whole number from 1 to :data:`MAX_TOKENS_LIMIT`."""
    if value is not None:
        check_count(value, "max_tokens", high=MAX_TOKENS_LIMIT)


def _check_tools(tools: Any) -> list[str]:
    """OpenAI function tools; their names."""
    if not isinstance(tools, list):
        raise InvalidInputError(
            f"tools must be a list of OpenAI tool dicts, not {type(tools).__name__}"
        )
    names: list[str] = []
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(tool, Mapping) or tool.get("type", "function") != "function":
            raise InvalidInputError(
                f"{where} must be a function tool: {{'type': 'function', 'function': "
                "{'name': ..., 'description': ..., 'parameters': {'type': 'object', ...}}}"
            )
        if not isinstance(function, Mapping):
            raise InvalidInputError(
                f"{where} has no 'function' dict; give {{'name': ..., 'parameters': ...}}"
            )
        name = function.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise InvalidInputError(
                f"{where}.function.name={name!r} must be 1-64 letters, digits, '_' or '-'"
            )
        if name in names:
            raise InvalidInputError(f"{where}: the tool name {name!r} is given twice")
        description = function.get("description")
        if description is not None and not isinstance(description, str):
            raise InvalidInputError(f"{where}.function.description must be a string")
        parameters = function.get("parameters")
        if parameters is not None and (
            not isinstance(parameters, Mapping) or parameters.get("type", "object") != "object"
        ):
            raise InvalidInputError(
                f"{where}.function.parameters must be a JSON schema of an object "
                "({'type': 'object', 'properties': {...}})"
            )
        check_json(tool, where)
        names.append(name)
    return names


def _check_choice(choice: Any, names: list[str]) -> None:
    """``tool_choice`` (normalised) must fit the offered tools."""
    if choice is None or choice in _CHOICES:  # without tools these are dropped, harmlessly
        return
    function = choice.get("function") if isinstance(choice, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    if not isinstance(name, str):
        raise InvalidInputError(
            f"tool_choice={choice!r} is not valid; use 'auto', 'none', 'required', a tool name "
            "or {'type': 'function', 'function': {'name': ...}}"
        )
    if name not in names:
        offered = ", ".join(names) or "none were given"
        raise InvalidInputError(
            f"tool_choice names {name!r}, which is not among the tools offered ({offered}); "
            "name one of them, or pass that tool in tools=[...]"
        )


def _check_params(params: Mapping[str, Any]) -> None:
    """Types and ranges of the optional chat parameters (None means "not sent")."""
    given = {k: v for k, v in params.items() if v is not None}
    for name, low, high in (
        ("temperature", 0.0, 2.0),
        ("top_p", 0.0, 1.0),
        ("frequency_penalty", -2.0, 2.0),
        ("presence_penalty", -2.0, 2.0),
    ):
        if name in given:
            _check_number(name, given[name], low, high)
    seed = given.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidInputError(f"seed={seed!r} must be a whole number (an int), or None")
    if "n" in given:
        check_count(given["n"], "n", high=MAX_N)
    if "top_logprobs" in given:
        check_count(given["top_logprobs"], "top_logprobs", low=0, high=20)
    for name in ("logprobs", "parallel_tool_calls"):
        if name in given and not isinstance(given[name], bool):
            raise InvalidInputError(f"{name}={given[name]!r} must be True or False")
    for name in ("reasoning_effort", "user"):
        if name in given and (not isinstance(given[name], str) or not given[name]):
            raise InvalidInputError(f"{name}={given[name]!r} must be a non-empty string")
    if "response_format" in given:
        fmt = given["response_format"]
        if not isinstance(fmt, Mapping) or not isinstance(fmt.get("type"), str):
            raise InvalidInputError(
                "response_format must be a dict with a 'type', e.g. {'type': 'json_object'}"
            )
        check_json(fmt, "response_format")
    if "logit_bias" in given:
        check_mapping(given["logit_bias"], "logit_bias")


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
    if not isinstance(stream, bool):
        raise InvalidInputError(f"stream={stream!r} must be True or False")
    body: dict[str, Any] = {"model": model, "messages": messages}
    check_max_tokens(max_tokens)
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    _check_params(params)
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
    names = _check_tools(tools) if tools is not None else []
    if not tools:
        body.pop("tools", None)
        body.pop("parallel_tool_calls", None)
    choice = normalize_tool_choice(tool_choice)
    _check_choice(choice, names)
    if choice is not None and tools:
        body["tool_choice"] = choice
    body["stream"] = stream
    if stream:
        body["stream_options"] = {"include_usage": True}
    check_mapping(extra_body, "extra_body")
    if extra_body:
        body.update(extra_body)
    return body
