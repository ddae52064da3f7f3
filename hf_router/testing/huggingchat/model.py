"""The emulator's HuggingChat state: the chat-ui generation it speaks, known models, sessions,
conversations with their message trees and generation logs, and the serialisations of a
conversation (the JSON APIs, superjson, and SvelteKit's devalue ``__data.json``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..core.ids import uuid_for
from .shapes import GENERATIONS, OMNI, UNDEFINED, JsDate, superjson, superjson_text

__all__ = [
    "DEFAULT_CHAT_MODELS",
    "ChatConversation",
    "ChatMessage",
    "ChatModel",
    "HuggingChatStore",
    "devalue_flatten",
]

DEFAULT_CHAT_MODELS: tuple[str, ...] = (
    "Qwen/Qwen2.5-72B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct",
    "CohereForAI/c4ai-command-r-plus-08-2024",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
    "Qwen/QwQ-32B",
    "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
    "Qwen/Qwen2.5-Coder-32B-Instruct",
    "meta-llama/Llama-3.2-11B-Vision-Instruct",
    "mistralai/Mistral-Nemo-Instruct-2407",
    "microsoft/Phi-3.5-mini-instruct",
)
WEB_SEARCH_FORMS = ("2023", "2024")
_REASONING_NAME_RE = re.compile(r"r1|reason", re.IGNORECASE)


def devalue_flatten(value: Any) -> list[Any]:
    """Encode ``value`` like devalue's ``stringify`` (before ``JSON.stringify``): a flat array
    whose item 0 is the root; objects map keys to indices, arrays hold indices, ``Date`` is
    ``["Date", iso]``, and equal primitives share one index (devalue keys them by value)."""
    out: list[Any] = []
    seen: dict[tuple[str, Any], int] = {}

    def add(item: Any) -> int:
        key = (
            (type(item).__name__, item)
            if item is None or isinstance(item, str | int | float)
            else None
        )
        if key is not None and key in seen:
            return seen[key]
        index = len(out)
        out.append(None)
        if key is not None:
            seen[key] = index
        if isinstance(item, dict):
            out[index] = {str(k): add(v) for k, v in item.items()}
        elif isinstance(item, list | tuple):
            out[index] = [add(v) for v in item]
        elif isinstance(item, JsDate):
            out[index] = ["Date", item.iso]
        else:
            out[index] = item
        return index

    add(value)
    return out


@dataclass
class ChatModel:
    """A known HuggingChat model and how it answers."""

    model: str
    web_search_form: str = "2024"
    reasoning: bool = False


@dataclass
class ChatMessage:
    """One message of a conversation (``role`` is chat-ui's ``from``)."""

    id: str
    role: str
    content: str
    files: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        """The JSON API form ``{"id", "from", "content", "files"}``."""
        return {"id": self.id, "from": self.role, "content": self.content, "files": self.files}

    def current(self) -> dict[str, Any]:
        """chat-ui 2026's message (``/api/conversation/ID``, plain JSON)."""
        return {
            "content": self.content,
            "from": self.role,
            "id": self.id,
            "createdAt": JsDate(self.created).iso,
            "updatedAt": JsDate(self.created).iso,
            "files": [
                {"type": "hash", "name": f, "value": f, "mime": "image/png"} for f in self.files
            ],
            "updates": [],
        }


@dataclass
class ChatConversation:
    """A conversation: its model, title, message list (a single branch) and generated files."""

    id: str
    model: str
    preprompt: str
    messages: list[ChatMessage]
    title: str = "New Chat"
    files: dict[str, bytes] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    owner: str = ""
    generations: dict[str, dict[str, Any]] = field(default_factory=dict)
    """generationId -> ``{"events": [unpadded, coalesced updates], "status"}`` (replay)."""

    def last_id(self) -> str:
        """The id of the last message (what the next ask must name as ``id``)."""
        return self.messages[-1].id

    def as_dict(self) -> dict[str, Any]:
        """This conversation for ``GET /_emulator/conversations``."""
        return {
            "id": self.id,
            "model": self.model,
            "title": self.title,
            "preprompt": self.preprompt,
            "messages": [m.as_dict() for m in self.messages],
            "files": list(self.files),
        }

    def api_json(self) -> dict[str, Any]:
        """``GET CHAT/api/conversation/ID``."""
        return {
            "id": self.id,
            "model": self.model,
            "title": self.title,
            "preprompt": self.preprompt,
            "messages": [m.as_dict() for m in self.messages],
        }

    def current_api_json(self) -> dict[str, Any]:
        """``GET CHAT/api/conversation/ID`` in chat-ui 2026 (plain JSON, no tree)."""
        return {
            "id": self.id,
            "title": self.title,
            "updatedAt": JsDate(self.messages[-1].created).iso,
            "modelId": self.model,
            "messages": [m.current() for m in self.messages],
        }

    def v2(self) -> dict[str, Any]:
        """The conversation object of ``/api/v2/conversations/ID`` and of the create answer
        (before superjson)."""
        return {
            "messages": self._tree_messages(v2=True),
            "title": self.title,
            "model": self.model,
            "preprompt": self.preprompt,
            "rootMessageId": self.messages[0].id,
            "id": self.id,
            "updatedAt": JsDate(self.messages[-1].created),
            "modelId": self.model,
            "shared": False,
            "deployedSpaces": UNDEFINED,
        }

    def v2_superjson(self) -> dict[str, Any]:
        """``GET CHAT/api/v2/conversations/ID`` (superjson)."""
        return superjson(self.v2())

    def created_answer(self) -> dict[str, Any]:
        """``POST CHAT/conversation``'s answer since 3b4e090ec (2026-07-03)."""
        return {"conversationId": self.id, "conversation": superjson_text(self.v2())}

    def _tree_messages(self, v2: bool = False) -> list[dict[str, Any]]:
        ids = [m.id for m in self.messages]
        return [
            {
                "id": m.id,
                "from": m.role,
                "content": m.content,
                "createdAt": JsDate(m.created),
                "updatedAt": JsDate(m.created),
                "ancestors": ids[:i],
                "children": ids[i + 1 : i + 2],
                **({} if v2 else {"files": m.files, "updates": []}),
            }
            for i, m in enumerate(self.messages)
        ]

    def svelte_data(self, chat_url: str, models: list[str]) -> str:
        """``GET CHAT/conversation/ID/__data.json``: SvelteKit's newline-separated JSON whose
        ``"nodes"`` line holds the layout node and the devalue-encoded page node."""
        layout = {"models": [{"id": m, "name": m} for m in models], "user": {"username": "emu"}}
        page = {
            "messages": self._tree_messages(),
            "title": self.title,
            "model": self.model,
            "preprompt": self.preprompt,
            "rootMessageId": self.messages[0].id,
            "shared": False,
        }
        uses = {"dependencies": [f"{chat_url}/conversation/{self.id}"], "params": ["id"]}
        nodes = [
            {"type": "data", "data": devalue_flatten(layout), "uses": {}},
            {"type": "data", "data": devalue_flatten(page), "uses": uses},
        ]
        return json.dumps({"type": "data", "nodes": nodes}, separators=(",", ":")) + "\n"


@dataclass
class HuggingChatStore:
    """Known models and conversations; reset restores the default models."""

    models: dict[str, ChatModel] = field(default_factory=dict)
    conversations: dict[str, ChatConversation] = field(default_factory=dict)
    generation: str = "2026"
    sessions: dict[str, str] = field(default_factory=dict)
    """2026 logins: ``hf-chat`` value digest -> the digest of the ``token`` cookie it is
    coupled to (bound the first time the pair is seen)."""
    _conversations: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _messages: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Back to the default models and no conversations."""
        self.models = {}
        for model in DEFAULT_CHAT_MODELS:
            self.add_model(model)
        self.conversations.clear()
        self.sessions.clear()
        self.generation = "2026"
        self._conversations = itertools.count(1)
        self._messages = itertools.count(1)

    def add_model(
        self, model: str, web_search_form: str = "2024", reasoning: bool | None = None
    ) -> None:
        """Know ``model`` (``ValueError`` on a bad form or reasoning flag)."""
        if not isinstance(model, str) or not model.strip():
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        if web_search_form not in WEB_SEARCH_FORMS:
            raise ValueError(f"web_search_form must be '2023' or '2024', got {web_search_form!r}")
        if reasoning is not None and not isinstance(reasoning, bool):
            raise ValueError(f"reasoning must be None, True or False, got {reasoning!r}")
        thinks = bool(_REASONING_NAME_RE.search(model)) if reasoning is None else reasoning
        self.models[model] = ChatModel(model, web_search_form, thinks)

    def set_generation(self, generation: str) -> None:
        """Speak chat-ui's ``generation`` ("2024" or "2026"); ``ValueError`` otherwise."""
        if generation not in GENERATIONS:
            raise ValueError(f"generation must be one of {GENERATIONS}, got {generation!r}")
        self.generation = generation

    def offered(self) -> list[str]:
        """The models of ``GET /api/models``: 2026 puts the ``omni`` alias first."""
        listed = list(self.models)
        return [OMNI, *listed] if self.generation == "2026" else listed

    def model_of(self, model: str) -> ChatModel:
        """The known model ``model`` (omni: a non-reasoning router model)."""
        return self.models.get(model) or ChatModel(model)

    def message(self, role: str, content: str, files: list[str] | None = None) -> ChatMessage:
        """A new message with a fresh uuid-like id."""
        return ChatMessage(uuid_for("message", next(self._messages)), role, content, files or [])

    def create(self, model: str, preprompt: str = "", owner: str = "") -> ChatConversation:
        """A new conversation, rooted in a system message holding the preprompt."""
        number = next(self._conversations)
        conversation_id = hashlib.sha1(f"conversation-{number}".encode()).hexdigest()[:24]
        root = self.message("system", preprompt)
        conversation = ChatConversation(conversation_id, model, preprompt, [root], owner=owner)
        self.conversations[conversation_id] = conversation
        return conversation
