"""The conversation data HuggingChat serves, with no I/O: the current message id from the
answer to creating a conversation (a superjson string since chat-ui 3b4e090ec, 2026-07-03),
from the JSON APIs (``/api/conversation/ID`` plain JSON, ``/api/v2/conversations/ID``
superjson) and from SvelteKit's ``__data.json`` (old servers), and the model list.
"""

from __future__ import annotations

from typing import Any

from .._shared.bodies import loads

__all__ = [
    "message_id_from_api",
    "message_id_from_created",
    "message_id_from_data",
    "model_ids",
]


def message_id_from_created(body: Any) -> str | None:
    """The root message id from ``POST /conversation``'s answer: its ``conversation`` field
    is a superjson *string* holding ``rootMessageId`` and the messages; ``None`` when absent
    (servers before 2026-07) or unreadable."""
    raw = body.get("conversation") if isinstance(body, dict) else None
    if isinstance(raw, str):
        try:
            raw = loads(raw)
        except ValueError:
            return None
    if isinstance(raw, dict) and isinstance(raw.get("json"), dict):
        raw = raw["json"]
    if not isinstance(raw, dict):
        return None
    messages = raw.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        found = messages[-1].get("id")
        if isinstance(found, str) and found:
            return found
    root = raw.get("rootMessageId")
    return root if isinstance(root, str) and root else None


def model_ids(body: Any) -> list[str]:
    """The model ids of ``GET /api/models`` (a list of ``{"id", ...}``; superjson tolerated),
    in the server's order (chat-ui's default model is the first)."""
    if isinstance(body, dict) and isinstance(body.get("json"), list):
        body = body["json"]
    if not isinstance(body, list):
        return []
    out = []
    for item in body:
        model = item.get("id") if isinstance(item, dict) else item
        if isinstance(model, str) and model and model not in out:
            out.append(model)
    return out


def message_id_from_api(body: Any) -> str | None:
    """The last message's id from the JSON API's conversation (``{"messages": [...]}``, also
    inside a superjson ``{"json": ...}`` wrapper); ``None`` when the shape is not that."""
    if isinstance(body, dict) and isinstance(body.get("json"), dict):
        body = body["json"]
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return None
    message_id = messages[-1].get("id")
    return message_id if isinstance(message_id, str) and message_id else None


def _at(data: list[Any], index: Any) -> Any:
    """``data[index]`` for a devalue reference (a non-negative int; negatives are specials)."""
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise TypeError("not a devalue reference")
    return data[index]


def message_id_from_data(text: str) -> str | None:
    """The last message's id from SvelteKit's ``__data.json`` (devalue-encoded: in the line
    with ``"nodes"``, ``nodes[1].data`` is a flat array; ``data[0]["messages"]`` indexes the
    list of message indices; the last message's ``"id"`` indexes the id string). ``None`` when
    it cannot be read (chat-ui since 2026-01 serves no conversation data there)."""
    for line in text.split("\n"):
        line = line.strip()
        if '"nodes"' not in line:
            continue
        try:
            data = loads(line)["nodes"][1]["data"]
            indices = _at(data, data[0]["messages"])
            message_id = _at(data, _at(data, indices[-1])["id"])
        except (ValueError, LookupError, TypeError):
            continue
        if isinstance(message_id, str) and message_id:
            return message_id
    return None
