"""The emulator's deterministic "model": what it answers to a chat request, and its usage."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Completion",
    "SchemaFiller",
    "complete",
    "prompt_tokens",
    "reply_text",
    "tokenize",
]

_TOKEN_RE = re.compile(r"\s*\S+")
_NUMBER_RE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_QUOTED_RE = re.compile(r"\"([^\"]+)\"|“([^”]+)”|(?<!\w)'([^']+)'(?!\w)")
_FORCING_CHOICES = ("required", "any")
_MAX_DEPTH = 6


def tokenize(text: str) -> list[str]:
    """Split into tokens: ``\\s*\\S+`` (leading whitespace stays with its word)."""
    return _TOKEN_RE.findall(text)


def _content_text(content: Any) -> tuple[str, int]:
    """(text, number of images) of an OpenAI message ``content``."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    texts: list[str] = []
    images = 0
    if isinstance(content, Sequence):
        for part in content:
            if not isinstance(part, Mapping):
                continue
            kind = part.get("type")
            if kind == "text":
                texts.append(str(part.get("text", "")))
            elif kind in ("image_url", "image", "input_image"):
                images += 1
    return " ".join(texts), images


def _message_text(message: Any) -> str:
    return _content_text(message.get("content"))[0] if isinstance(message, Mapping) else ""


def _last_user(messages: Sequence[Any]) -> Mapping[str, Any] | None:
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return message
    return None


def user_text(messages: Sequence[Any]) -> str:
    """The text of the last user message ('' if none)."""
    return _message_text(_last_user(messages))


def reply_text(messages: Sequence[Any]) -> str:
    """The reply: the last user message verbatim, or ``Tool result: ...`` after a tool message."""
    last = messages[-1] if messages else None
    if isinstance(last, Mapping) and last.get("role") == "tool":
        return "Tool result: " + _message_text(last)
    user = _last_user(messages)
    text, images = _content_text(user.get("content")) if user is not None else ("", 0)
    if images:
        text = f"I see {images} image(s). {text}"
    return text if text.strip() else "(empty)"


def prompt_tokens(messages: Sequence[Any]) -> int:
    """Tokens over all message texts plus 4 per message."""
    return sum(len(tokenize(_message_text(m))) + 4 for m in messages)


class SchemaFiller:
    """Builds a value valid against a JSON schema from the text of a user message.

    Integers and numbers take the numbers found in the text, in order (then 1); strings take the
    first quoted phrase, else the whole text; enums their first value; ``default``/``const`` win;
    booleans are ``true``; arrays get one item; ``$ref``, ``anyOf``/``oneOf``/``allOf`` resolve.
    """

    def __init__(self, root: Mapping[str, Any], text: str) -> None:
        self.root = root
        self._numbers: Iterator[str] = iter(_NUMBER_RE.findall(text))
        quoted = _QUOTED_RE.search(text)
        phrase = next((g for g in quoted.groups() if g), "") if quoted else ""
        self.string = phrase or text.strip() or "text"

    def build(self) -> Any:
        """A value for the root schema."""
        return self.fill(self.root)

    def _ref(self, ref: str) -> Mapping[str, Any]:
        node: Any = self.root
        if not ref.startswith("#"):
            return {}
        for part in ref[1:].split("/"):
            if part:
                part = part.replace("~1", "/").replace("~0", "~")
                node = node.get(part, {}) if isinstance(node, Mapping) else {}
        return node if isinstance(node, Mapping) else {}

    def fill(self, schema: Any, depth: int = 0) -> Any:
        """A value for ``schema`` (nested ``depth`` levels deep)."""
        if not isinstance(schema, Mapping):
            return self.string
        if "$ref" in schema:
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return self.fill({**self._ref(str(schema["$ref"])), **rest}, depth)
        for key in ("default", "const"):
            if key in schema:
                return schema[key]
        if schema.get("enum"):
            return schema["enum"][0]
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.fill_ref(part)
                merged["properties"] = {
                    **merged.get("properties", {}),
                    **part.get("properties", {}),
                }
                merged.update({k: v for k, v in part.items() if k != "properties"})
            return self.fill(merged, depth)
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                chosen = next(
                    (o for o in options if self.fill_ref(o).get("type") != "null"), options[0]
                )
                return self.fill(chosen, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = (
                "object" if "properties" in schema else "array" if "items" in schema else "string"
            )
        return self._typed(str(kind), schema, depth)

    def fill_ref(self, schema: Any) -> Mapping[str, Any]:
        """``schema`` with a top-level ``$ref`` resolved (for peeking at its type)."""
        if isinstance(schema, Mapping) and "$ref" in schema:
            return self._ref(str(schema["$ref"]))
        return schema if isinstance(schema, Mapping) else {}

    def _typed(self, kind: str, schema: Mapping[str, Any], depth: int) -> Any:
        if kind == "object":
            if depth >= 2 * _MAX_DEPTH:
                return {}
            props = schema.get("properties") or {}
            required = set(schema.get("required") or ())
            return {
                name: self.fill(sub, depth + 1)
                for name, sub in props.items()
                if depth < _MAX_DEPTH or name in required
            }
        if kind == "array":
            items = schema.get("items", {})
            count = max(int(schema.get("minItems", 0)), 0 if depth >= _MAX_DEPTH else 1)
            count = min(count, int(schema.get("maxItems", count)))
            return [self.fill(items, depth + 1) for _ in range(count)]
        if kind in ("integer", "number"):
            return self._number(kind, schema)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema)

    def _number(self, kind: str, schema: Mapping[str, Any]) -> int | float:
        text = next(self._numbers, "1")
        value: float = float(text)
        step = 1 if kind == "integer" else 0.5
        low, high = schema.get("minimum"), schema.get("maximum")
        above, below = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(low, int | float) and value < low:
            value = low
        if isinstance(above, int | float) and not isinstance(above, bool) and value <= above:
            value = above + step
        if isinstance(high, int | float) and value > high:
            value = high
        if isinstance(below, int | float) and not isinstance(below, bool) and value >= below:
            value = below - step
        if kind == "integer" or value == int(value):
            return int(value)
        return value

    def _string(self, schema: Mapping[str, Any]) -> str:
        formats = {
            "date": "2025-01-01",
            "date-time": "2025-01-01T00:00:00Z",
            "time": "00:00:00",
            "email": "user@example.com",
            "uri": "https://example.com",
            "url": "https://example.com",
            "uuid": "00000000-0000-4000-8000-000000000000",
        }
        value = formats.get(str(schema.get("format")), self.string)
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        if len(value) < low:
            value += "x" * (low - len(value))
        return value[: int(high)] if isinstance(high, int) else value


def choose_tool(tools: Any, tool_choice: Any, messages: Sequence[Any]) -> Mapping[str, Any] | None:
    """The function the tool-eager model calls, or ``None`` to answer with text."""
    if not isinstance(tools, list) or not tools or tool_choice == "none":
        return None
    functions = [t.get("function", t) for t in tools if isinstance(t, Mapping)]
    functions = [f for f in functions if isinstance(f, Mapping) and f.get("name")]
    if not functions:
        return None
    name: Any = None
    forced = False
    if isinstance(tool_choice, str) and tool_choice != "auto":
        forced = True
        name = None if tool_choice in _FORCING_CHOICES else tool_choice
    elif isinstance(tool_choice, Mapping):
        forced = True
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else tool_choice.get("name")
    last = messages[-1] if messages else None
    if not forced and not (isinstance(last, Mapping) and last.get("role") == "user"):
        return None
    return next((f for f in functions if f.get("name") == name), functions[0])


@dataclass
class Completion:
    """One generated answer: token lists, an optional tool call, finish reason and usage."""

    reasoning: list[str]
    content: list[str]
    finish_reason: str
    prompt_tokens: int
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    extra_tokens: int = 0

    @property
    def completion_tokens(self) -> int:
        """Tokens generated, reasoning and tool arguments included."""
        return len(self.reasoning) + len(self.content) + self.extra_tokens

    def usage(self) -> dict[str, Any]:
        """The OpenAI ``usage`` object (with ``completion_tokens_details.reasoning_tokens``
        when the answer has streamed reasoning, as reasoning providers report it)."""
        done = self.completion_tokens
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": done,
            "total_tokens": self.prompt_tokens + done,
        }
        if self.reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": len(self.reasoning)}
        return usage


def _apply_stop(text: str, stop: Any) -> str:
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    cut = min(
        (i for s in stops if isinstance(s, str) and s and (i := text.find(s)) >= 0), default=-1
    )
    return text if cut < 0 else text[:cut]


def _answer_text(body: Mapping[str, Any], reply: str) -> tuple[str, bool]:
    """(content text, is_json) for the response format asked."""
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind == "json_schema":
            spec = response_format.get("json_schema") or {}
            schema = spec.get("schema") if isinstance(spec, Mapping) else None
            filler = SchemaFiller(schema or {"type": "object"}, user_text(body["messages"]))
            return json.dumps(filler.build()), True
        if kind == "json_object":
            return json.dumps({"answer": reply}), True
    return _apply_stop(reply, body.get("stop")), False


def complete(
    body: Mapping[str, Any],
    *,
    reasoning: str | None,
    call_id: Callable[[], str],
    length: int | None = None,
    thinking: int | None = None,
) -> Completion:
    """Answer a chat-completions request body (already validated: has a ``messages`` list).

    ``length``: the reply is that many tokens (``tok0 tok1 ...``); ``thinking``: a reasoning
    model's thought is that many tokens (``Thinking about: <reply>`` cut or continued with
    `` step1 step2 ...``)."""
    messages: Sequence[Any] = body["messages"]
    prompt = prompt_tokens(messages)
    reply = reply_text(messages) if length is None else " ".join(f"tok{i}" for i in range(length))
    thought = "Thinking about: " + reply
    if thinking is not None:
        steps = tokenize(thought)[:thinking]
        steps += [f" step{i}" for i in range(1, thinking - len(steps) + 1)]
        thought = "".join(steps)
    reasoning_tokens = tokenize(thought) if reasoning == "field" else []
    think_prefix = f"<think>{thought}</think>\n\n" if reasoning == "think_tags" else ""
    tool = choose_tool(body.get("tools"), body.get("tool_choice"), messages)
    if tool is not None:
        parameters = tool.get("parameters") or {"type": "object", "properties": {}}
        arguments = json.dumps(SchemaFiller(parameters, user_text(messages)).build())
        call = {
            "id": call_id(),
            "type": "function",
            "function": {"name": tool["name"], "arguments": arguments},
        }
        return Completion(
            reasoning=reasoning_tokens,
            content=tokenize(think_prefix),
            finish_reason="tool_calls",
            prompt_tokens=prompt,
            tool_calls=[call],
            extra_tokens=len(tokenize(arguments)),
        )
    text, is_json = _answer_text(body, reply)
    content = tokenize(text if is_json else think_prefix + text)
    finish = "stop"
    limit = body.get("max_tokens", body.get("max_completion_tokens"))
    limited = isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0
    if limited and len(reasoning_tokens) + len(content) > limit:
        finish = "length"
        content = content[: max(limit - len(reasoning_tokens), 0)]
        reasoning_tokens = reasoning_tokens[:limit]
    return Completion(reasoning_tokens, content, finish, prompt)
