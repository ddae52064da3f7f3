"""Validating chat messages and turning media into OpenAI ``image_url`` parts."""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError
from .checks import check_json

__all__ = ["has_images", "media_to_parts", "prepare_messages", "sniff_mime"]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)

MediaItem = Any
"""bytes, a path (str or Path), an http(s) URL, a data URI, or a ``(item, filename)`` tuple."""


def sniff_mime(data: bytes, filename: str | None = None) -> str:
    """The MIME type of image or video bytes from their magic numbers (then the file name)."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data[:4] == b"\x1aE\xdf\xa3":
        return "video/webm"
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    return "application/octet-stream"


def _media_url(item: MediaItem, index: int) -> str:
    name: str | None = None
    if isinstance(item, tuple) and len(item) == 2:
        item, name = item
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
    elif isinstance(item, str) and item.startswith(("http://", "https://", "data:")):
        return item
    elif isinstance(item, (str, Path)):
        path = Path(item).expanduser()
        if not path.is_file():
            raise InvalidInputError(
                f"media[{index}] is neither a URL, a data URI nor an existing file: {str(item)[:80]!r}"
            )
        data = path.read_bytes()
        name = name or path.name
    else:
        raise InvalidInputError(
            f"media[{index}] has type {type(item).__name__}; pass bytes, a file path, a URL, "
            "a data URI or a (media, filename) tuple"
        )
    if not data:
        raise InvalidInputError(f"media[{index}] is empty")
    mime = sniff_mime(data, name)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def media_to_parts(media: Iterable[MediaItem]) -> list[dict[str, Any]]:
    """OpenAI ``image_url`` content parts for each media item."""
    return [
        {"type": "image_url", "image_url": {"url": _media_url(item, i)}}
        for i, item in enumerate(media)
    ]


def has_images(messages: Sequence[Mapping[str, Any]]) -> bool:
    """True when any message carries an image part."""
    for message in messages:
        content = message.get("content")
        if isinstance(content, list) and any(
            isinstance(p, Mapping) and p.get("type") in ("image_url", "image", "input_image")
            for p in content
        ):
            return True
    return False


def _check_part(part: Any, where: str) -> None:
    if isinstance(part, str):
        return
    if not isinstance(part, Mapping) or not isinstance(part.get("type"), str):
        raise InvalidInputError(
            f"{where} must be a dict with a 'type' (e.g. {{'type': 'text', 'text': '...'}})"
        )
    kind = part["type"]
    if kind == "text" and not isinstance(part.get("text"), str):
        raise InvalidInputError(
            f"{where}.text must be a string, not {type(part.get('text')).__name__} "
            "(decode bytes first, or send files with media=[...])"
        )
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        if not isinstance(url, str) or not url:
            raise InvalidInputError(
                f"{where}.image_url must be {{'url': 'https://...' or 'data:...'}}; pass raw "
                "bytes or paths with media=[...]"
            )
    check_json(part, where)


def _check_content(content: Any, where: str) -> None:
    if content is None or isinstance(content, str):
        return
    if isinstance(content, list):
        for j, part in enumerate(content):
            _check_part(part, f"{where}.content[{j}]")
        return
    raise InvalidInputError(
        f"{where}.content must be a string or a list of content parts, not {type(content).__name__}"
    )


def _wire_tool_calls(calls: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(calls, list):
        raise InvalidInputError(f"{where}.tool_calls must be a list")
    out = []
    for j, call in enumerate(calls):
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping) or not function.get("name"):
            raise InvalidInputError(
                f"{where}.tool_calls[{j}] needs a 'function' with a 'name' (OpenAI format)"
            )
        args = function.get("arguments", "{}")
        if not isinstance(args, str):
            check_json(args, f"{where}.tool_calls[{j}].function.arguments")
        out.append(
            {
                "id": str(call.get("id") or f"call_{j}"),
                "type": "function",
                "function": {
                    "name": function["name"],
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
        )
    return out


def prepare_messages(
    messages: Any, media: Iterable[MediaItem] | None = None
) -> list[dict[str, Any]]:
    """Validate OpenAI-style messages and return wire-ready copies (the input is not modified).

    An assistant message with tool calls and no content gets ``""`` (some servers reject null);
    tool-call arguments given as objects become JSON strings; ``media`` is attached as
    ``image_url`` parts to the last user message.
    """
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise InvalidInputError(
            "messages must be a list of dicts like [{'role': 'user', 'content': 'Hello'}], "
            f"not {type(messages).__name__}"
        )
    if not messages:
        raise InvalidInputError("messages is empty; send at least one user message")
    out: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, Mapping):
            raise InvalidInputError(
                f"{where} is a {type(message).__name__}; each message must be a dict like "
                "{'role': 'user', 'content': '...'}"
            )
        role = message.get("role")
        if role not in _ROLES:
            raise InvalidInputError(
                f"{where} has role {role!r}; use one of system, user, assistant, tool"
            )
        calls = role == "assistant" and bool(message.get("tool_calls"))
        if message.get("content") is None and not calls:
            raise InvalidInputError(
                f"{where} ({role}) has no 'content'; give it a string or a list of parts "
                "(only an assistant message with tool_calls may leave it out or None)"
            )
        _check_content(message.get("content"), where)
        wire = dict(message)
        if role == "tool" and (
            not isinstance(message.get("tool_call_id"), str) or not message["tool_call_id"]
        ):
            raise InvalidInputError(f"{where} is a tool result without a 'tool_call_id' string")
        if calls:
            wire["tool_calls"] = _wire_tool_calls(message["tool_calls"], where)
            if wire.get("content") is None:
                wire["content"] = ""
        check_json(wire, where)
        out.append(wire)
    if media:
        parts = media_to_parts(media)
        if parts:
            target = next((m for m in reversed(out) if m["role"] == "user"), None)
            if target is None:
                raise InvalidInputError(
                    "media was given but there is no user message to attach it to"
                )
            content = target.get("content")
            text_parts: list[Any]
            if isinstance(content, list):
                text_parts = list(content)
            else:
                text_parts = [{"type": "text", "text": content}] if content else []
            target["content"] = [*text_parts, *parts]
    return out
