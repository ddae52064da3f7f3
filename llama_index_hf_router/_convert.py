"""Pure conversions from LlamaIndex types to the core's OpenAI-style request dicts.

* :func:`to_wire_messages`: ``ChatMessage`` list → OpenAI ``messages`` (text, images, assistant
  tool calls with ids and JSON-string arguments, tool results with ``tool_call_id``).
* :func:`to_wire_tools`: LlamaIndex tools → OpenAI ``tools`` dicts.
* :func:`resolve_tool_choice`: LlamaIndex's ``tool_choice`` / ``tool_required`` → the core's.

Every error is an :class:`hf_router.errors.InvalidInputError` that names the offending argument.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from hf_router import sniff_mime
from hf_router.errors import InvalidInputError

__all__ = [
    "parse_arguments",
    "resolve_tool_choice",
    "to_wire_messages",
    "to_wire_tools",
    "tool_call_to_wire",
]

# Roles some LlamaIndex integrations use for the model's own turns.
_ASSISTANT_ROLES = frozenset({"assistant", "chatbot", "model"})
_SENT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


def parse_arguments(arguments: Any) -> dict[str, Any]:
    """Tool-call arguments as a dict: dicts pass, JSON object strings are parsed, an empty
    string is ``{}``; anything else gives ``{}`` (the call is still reported)."""
    if isinstance(arguments, Mapping):
        return dict(arguments)
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        try:
            value = json.loads(arguments)
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def tool_call_to_wire(call_id: str | None, name: str, arguments: Any, index: int) -> dict[str, Any]:
    """One OpenAI ``tool_calls`` entry: arguments always a JSON string."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return {
        "id": call_id or f"call_{index}",
        "type": "function",
        "function": {"name": name, "arguments": args},
    }


def _image_part(block: ImageBlock, where: str) -> dict[str, Any]:
    url = str(block.url) if block.url is not None else None
    if url is None or not url.startswith(("http://", "https://", "data:")):
        try:
            data = block.resolve_image(as_base64=True).read()
        except (ValueError, OSError) as exc:
            raise InvalidInputError(
                f"{where} is an ImageBlock whose image cannot be read ({exc}); give it bytes, "
                "an existing path or an http(s)/data URL"
            ) from None
        encoded = data.decode("ascii") if isinstance(data, bytes) else str(data)
        mime = block.image_mimetype or _sniff(encoded)
        url = f"data:{mime};base64,{encoded}"
    image_url: dict[str, Any] = {"url": url}
    if block.detail:
        image_url["detail"] = block.detail
    return {"type": "image_url", "image_url": image_url}


def _sniff(encoded: str) -> str:
    try:
        head = base64.b64decode(encoded[:64] + "=" * (-len(encoded[:64]) % 4))
    except ValueError:
        return "image/png"
    mime = sniff_mime(head)
    return mime if mime.startswith("image/") else "image/png"


def _content(
    message: ChatMessage, where: str
) -> tuple[str | list[dict[str, Any]], list[ToolCallBlock]]:
    """(wire content, tool-call blocks) of one message. Text-only content is a plain string
    (some servers reject part lists); thinking blocks are not sent back."""
    parts: list[dict[str, Any]] = []
    calls: list[ToolCallBlock] = []
    for j, block in enumerate(message.blocks):
        block_where = f"{where}.blocks[{j}]"
        if isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(_image_part(block, block_where))
        elif isinstance(block, ToolCallBlock):
            calls.append(block)
        elif isinstance(block, (ThinkingBlock, CachePoint)):
            continue  # reasoning is the model's own; cache points are provider hints
        else:
            kind = getattr(block, "block_type", type(block).__name__)
            raise InvalidInputError(
                f"{block_where} is a {type(block).__name__} (block_type {kind!r}), which "
                "HFRouter cannot send; use TextBlock or ImageBlock (turn documents, audio and "
                "video into text first)"
            )
    if all(p["type"] == "text" for p in parts):
        return "\n".join(p["text"] for p in parts), calls
    return parts, calls


def _additional_tool_calls(message: ChatMessage, where: str) -> list[dict[str, Any]]:
    raw = message.additional_kwargs.get("tool_calls")
    if not raw:
        return []
    if not isinstance(raw, Sequence):
        raise InvalidInputError(
            f"{where}.additional_kwargs['tool_calls'] must be a list of OpenAI tool calls"
        )
    out = []
    for k, call in enumerate(raw):
        data = call.model_dump() if hasattr(call, "model_dump") else call
        function = data.get("function") if isinstance(data, Mapping) else None
        if not isinstance(function, Mapping) or not function.get("name"):
            raise InvalidInputError(
                f"{where}.additional_kwargs['tool_calls'][{k}] needs a 'function' with a "
                "'name' (OpenAI format)"
            )
        out.append(
            tool_call_to_wire(data.get("id"), function["name"], function.get("arguments"), k)
        )
    return out


def to_wire_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """OpenAI chat messages for ``messages`` (the input is not modified).

    Raises:
        InvalidInputError: ``messages`` is not a list of ``ChatMessage``, or a message holds a
            block HFRouter cannot send (audio, video, document, citation).
    """
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise InvalidInputError(
            f"messages must be a list of ChatMessage, not {type(messages).__name__}"
        )
    wire: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, ChatMessage):
            raise InvalidInputError(
                f"{where} is a {type(message).__name__}; pass llama_index ChatMessage objects "
                "(ChatMessage(role='user', content='...'))"
            )
        role = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
        role = "assistant" if role in _ASSISTANT_ROLES else role
        if role not in _SENT_ROLES:
            raise InvalidInputError(
                f"{where} has role {role!r}; use system, user, assistant or tool"
            )
        content, blocks = _content(message, where)
        item: dict[str, Any] = {"role": role, "content": content}
        if role == "assistant":
            calls = [
                tool_call_to_wire(b.tool_call_id, b.tool_name, b.tool_kwargs, k)
                for k, b in enumerate(blocks)
            ] or _additional_tool_calls(message, where)
            if calls:
                item["tool_calls"] = calls
        elif role == "tool":
            call_id = message.additional_kwargs.get("tool_call_id")
            if not call_id:
                raise InvalidInputError(
                    f"{where} is a tool result without additional_kwargs['tool_call_id']; set "
                    "it to the id of the assistant tool call it answers"
                )
            item["tool_call_id"] = str(call_id)
        name = message.additional_kwargs.get("name")
        if isinstance(name, str) and name and role in ("user", "assistant", "function"):
            item["name"] = name
        wire.append(item)
    return wire


def to_wire_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """OpenAI ``tools`` dicts for LlamaIndex tools (anything with ``metadata.to_openai_tool``).

    Raises:
        InvalidInputError: a tool is not a LlamaIndex tool, or its schema cannot be converted to
            JSON Schema (the message names ``tools[i]`` and the tool).
    """
    if isinstance(tools, (str, bytes)) or not isinstance(tools, Sequence):
        raise InvalidInputError(
            f"tools must be a list of LlamaIndex tools, not {type(tools).__name__}"
        )
    out = []
    for i, tool in enumerate(tools):
        metadata = getattr(tool, "metadata", None)
        if metadata is None or not hasattr(metadata, "to_openai_tool"):
            raise InvalidInputError(
                f"tools[{i}] is a {type(tool).__name__}; pass LlamaIndex tools such as "
                "FunctionTool.from_defaults(fn)"
            )
        name = getattr(metadata, "name", None)
        try:
            spec = metadata.to_openai_tool(skip_length_check=True)
            json.dumps(spec)
        except Exception as exc:  # pydantic schema errors, unserialisable defaults, ...
            raise InvalidInputError(
                f"tools[{i}] ({name!r}) has a schema that cannot be converted to JSON Schema: "
                f"{type(exc).__name__}: {str(exc)[:200]}; give its function JSON-friendly "
                "parameter types or an explicit fn_schema"
            ) from None
        out.append(spec)
    return out


def resolve_tool_choice(tool_choice: Any, tool_required: bool) -> Any:
    """The core's ``tool_choice``: an explicit choice wins (a tool name, ``"auto"``,
    ``"none"``, ``"required"`` or the OpenAI object), else ``"required"`` when
    ``tool_required``, else ``"auto"``."""
    if tool_choice is not None:
        return tool_choice
    return "required" if tool_required else "auto"
