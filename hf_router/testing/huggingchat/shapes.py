"""The wire shapes of the current chat-ui generation ("2026") that are not answers: superjson,
the model list (the ``omni`` router alias first), the MCP servers, the conversation as
``POST /conversation`` (since 3b4e090ec), ``/api/conversation/ID`` and ``/api/v2/...`` serve it.

Facts from huggingface/chat-ui at c100c162f (2026-08-21); see docs/huggingchat-protocol.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "GENERATIONS",
    "MCP_SERVERS",
    "OMNI",
    "ROUTER_MODEL",
    "UNDEFINED",
    "JsDate",
    "api_models",
    "superjson",
]

GENERATIONS = ("2024", "2026")
"""The chat-ui generations the emulator speaks: "2024" (989379c35 2024-05-23 → 2025-09-24:
``webSearch`` updates, ``__data.json``) and "2026" (MCP tools, router alias, cookie coupling,
superjson conversation, replay endpoint; the default)."""
OMNI = "omni"
"""chat-ui's router alias (``PUBLIC_LLM_ROUTER_ALIAS_ID``), its first and default model."""
ROUTER_MODEL = "moonshotai/Kimi-K2.6"
"""The model omni routes every route to (9e5c66d6c, 2026-05-22)."""
PROVIDER_NAME = "together"
MCP_SERVERS: tuple[dict[str, Any], ...] = (
    {
        "id": "base-Web Search (Exa)",
        "name": "Web Search (Exa)",
        "url": "https://mcp.exa.ai/mcp?tools=web_search_exa,get_code_context_exa,crawling_exa",
        "type": "base",
        "isLocked": False,
    },
    {
        "id": "base-Hugging Face",
        "name": "Hugging Face",
        "url": "https://hf.co/mcp?login",
        "type": "base",
        "isLocked": False,
    },
)
SEARCH_SERVER = MCP_SERVERS[0]["name"]
HF_SERVER = MCP_SERVERS[1]["name"]


class _Undefined:
    """JavaScript's ``undefined`` for :func:`superjson` (``null`` + ``["undefined"]``)."""

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


class JsDate:
    """A JavaScript ``Date`` (ISO with milliseconds and ``Z``)."""

    def __init__(self, timestamp: float) -> None:
        moment = datetime.fromtimestamp(timestamp, timezone.utc)
        self.iso = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def superjson(value: Any) -> dict[str, Any]:
    """``superjson.stringify``'s object (2.2): ``{"json": ..., "meta": {"values": {path:
    [type]}, "v": 1}}``; dates become ISO strings (``["Date"]``), ``UNDEFINED`` becomes
    ``null`` (``["undefined"]``); ``meta`` is left out when nothing needs a note."""
    notes: dict[str, list[str]] = {}

    def walk(item: Any, path: str) -> Any:
        if isinstance(item, JsDate):
            notes[path] = ["Date"]
            return item.iso
        if item is UNDEFINED:
            notes[path] = ["undefined"]
            return None
        if isinstance(item, dict):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [walk(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(item)]
        return item

    out: dict[str, Any] = {"json": walk(value, "")}
    if notes:
        out["meta"] = {"values": notes, "v": 1}
    return out


def superjson_text(value: Any) -> str:
    """:func:`superjson` as the string chat-ui sends inside ``POST /conversation``'s answer."""
    return json.dumps(superjson(value), separators=(",", ":"))


def api_models(models: Sequence[str], multimodal: Sequence[str] = ()) -> list[dict[str, Any]]:
    """``GET /api/models`` (7.1): one object per listed model, ``omni`` first."""
    out = []
    for model in models:
        router = model == OMNI
        out.append(
            {
                "id": model,
                "name": model,
                "websiteUrl": "https://huggingface.co",
                "modelUrl": "https://huggingface.co",
                "displayName": "Omni" if router else model.split("/")[-1],
                "description": (
                    "Automatically routes your messages to the best model for your request."
                    if router
                    else ""
                ),
                "logoUrl": "https://huggingface.co/chat/huggingchat/logo.svg",
                "promptExamples": [],
                "preprompt": "",
                "multimodal": router or model in multimodal,
                "supportsTools": True,
                "supportsReasoning": False,
                "supportsArtifacts": router,
                "unlisted": False,
                "hasInferenceAPI": False,
            }
        )
    return out
