"""HuggingChat routes (docs/huggingchat-protocol.md) under ``/chat``: create a conversation, the
message id in both forms, the multipart ask answered with NDJSON updates, generated files.

Every route needs a non-empty ``hf-chat`` cookie (else 401 ``{"message"}``). Faults come from
``X-Emulator-Scenario`` and ``set_fault`` rules (matched with the conversation's model and the
provider name ``huggingchat``).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..core.faults import CHAT_ASK_ITEMS, CHAT_AUTH_ITEMS, CHAT_CREATE_ITEMS, FaultPlan
from ..core.requests import LOG_KEY, emulator_state, json_response, request_json, scenario_items
from .answer import plan_turn
from .model import ChatConversation, ChatModel, HuggingChatStore

__all__ = ["HUGGINGCHAT_ROUTES", "parse_multipart"]

PROVIDER = "huggingchat"
_LOGIN = (
    "You need to be logged in: the hf-chat session cookie is missing or empty "
    "(copy it from a logged-in browser)."
)
_STATUS_MESSAGES = {
    "429": "Too many requests: you are sending messages too fast, retry later.",
    "402": "You have exceeded your monthly usage.",
    "403": "You are not allowed to use this model.",
    "404": "Conversation not found",
}


def _message(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return json_response({"message": text}, status, headers)


@dataclass
class Part:
    """One part of a ``multipart/form-data`` body."""

    name: str
    filename: str | None
    value: bytes


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """Split a form body: ``multipart/form-data`` (stdlib ``email`` parser; no python-multipart)
    or, like SvelteKit's ``request.formData()``, ``application/x-www-form-urlencoded``."""
    if content_type.lower().startswith("application/x-www-form-urlencoded"):
        pairs = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
        return [Part(name, None, value.encode()) for name, value in pairs]
    if (
        not content_type.lower().startswith("multipart/form-data")
        or "boundary=" not in content_type
    ):
        raise ValueError("expected a multipart/form-data body")
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    parts: list[Part] = []
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            raise ValueError("a multipart part has no name")
        parts.append(Part(name, part.get_filename(), payload))
    return parts


def _plan(request: Request, model: str | None, only: frozenset[str]) -> FaultPlan | Response:
    """Cookie check and faults; a Response means the request is refused."""
    cookie = request.cookies.get("hf-chat", "").strip()
    state = emulator_state(request)
    try:
        items = scenario_items(request)
    except ValueError as exc:
        return _message(f"Invalid X-Emulator-Scenario: {exc}", 400)
    items = [i for i in items if i[0] in only]
    items.extend(state.faults.take(model, PROVIDER, only=only))
    plan = FaultPlan.from_items(items)
    if not cookie or plan.chat_401 or plan.answer == "401":
        return _message(_LOGIN, 401)
    if plan.answer is not None:
        headers = {"retry-after": str(int(plan.retry_after))} if plan.answer == "429" else {}
        default = f"Error {plan.answer}: the model failed to answer."
        return _message(_STATUS_MESSAGES.get(plan.answer, default), int(plan.answer), headers)
    return plan


def _conversation(request: Request) -> ChatConversation | None:
    return (
        emulator_state(request).store(HuggingChatStore).conversations.get(request.path_params["id"])
    )


def _opened(request: Request, items: Any) -> tuple[ChatConversation, Any] | Response:
    """The conversation of the path and its fault plan, or the error answer (a fault, 404)."""
    conversation = _conversation(request)
    plan = _plan(request, conversation.model if conversation else None, items)
    if isinstance(plan, Response):
        return plan
    if conversation is None:
        return _message("Conversation not found", 404)
    return conversation, plan


def _chat_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/chat"


async def _create(request: Request) -> Response:
    body = request_json(request)
    model = body.get("model") if isinstance(body, dict) else None
    plan = _plan(request, model if isinstance(model, str) else None, CHAT_CREATE_ITEMS)
    if isinstance(plan, Response):
        return plan
    store = emulator_state(request).store(HuggingChatStore)
    if not isinstance(model, str) or plan.unknown_model or model not in store.models:
        return _message("Model not found", 400)
    preprompt = body.get("preprompt") if isinstance(body, dict) else None
    conversation = store.create(model, preprompt if isinstance(preprompt, str) else "")
    return json_response({"conversationId": conversation.id})


async def _api_conversation(request: Request) -> Response:
    opened = _opened(request, CHAT_AUTH_ITEMS)
    if isinstance(opened, Response):
        return opened
    conversation, _ = opened
    return json_response(conversation.api_json())


async def _data_json(request: Request) -> Response:
    opened = _opened(request, CHAT_AUTH_ITEMS)
    if isinstance(opened, Response):
        return opened
    conversation, _ = opened
    models = list(emulator_state(request).store(HuggingChatStore).models)
    text = conversation.svelte_data(_chat_url(request), models)
    return Response(text, media_type="application/json")


async def _ask(request: Request) -> Response:
    opened = _opened(request, CHAT_ASK_ITEMS)
    if isinstance(opened, Response):
        return opened
    conversation, plan = opened
    try:
        parts = parse_multipart(request.headers.get("content-type", ""), await request.body())
        [data_part] = [p for p in parts if p.name == "data"]
        data: Any = json.loads(data_part.value)
    except ValueError as exc:
        return _message(f"Invalid request: {exc}; expected a multipart 'data' JSON part", 400)
    files = [p.filename or "" for p in parts if p.name == "files"]
    entry = request.scope.get(LOG_KEY)
    if isinstance(entry, dict):
        entry["json"], entry["files"] = data, files
    if not isinstance(data, dict) or not isinstance(data.get("inputs"), str):
        return _message("Invalid request: 'inputs' must be a string", 400)
    if data.get("id") != conversation.last_id():
        text = (
            f"Invalid message id {data.get('id')!r}: the last message is {conversation.last_id()!r}"
        )
        return _message(text, 400)
    store = emulator_state(request).store(HuggingChatStore)
    model = store.models.get(conversation.model) or ChatModel(conversation.model)
    form = "2023" if plan.sources_2023 else "2024" if plan.sources_2024 else model.web_search_form
    first = len(conversation.messages) == 1
    turn = plan_turn(
        data["inputs"],
        first=first,
        web_search=bool(data.get("web_search")),
        form=form,
        reasoning=model.reasoning,
        plan=plan,
    )
    conversation.messages.append(store.message("user", data["inputs"], files))
    produced: list[str] = []
    if turn.file is not None:
        sha, blob = turn.file
        conversation.files[sha] = blob
        produced.append(sha)
    conversation.messages.append(store.message("assistant", turn.answer, produced))
    for update in turn.updates:
        if update["type"] == "title":
            conversation.title = update["title"]
    return StreamingResponse(turn.lines(), media_type="text/event-stream")


async def _output(request: Request) -> Response:
    conversation = _conversation(request)
    plan = _plan(request, conversation.model if conversation else None, CHAT_AUTH_ITEMS)
    if isinstance(plan, Response):
        return plan
    blob = conversation.files.get(request.path_params["sha"]) if conversation else None
    if blob is None:
        return _message("File not found", 404)
    return Response(blob, media_type="image/png")


async def _models(request: Request) -> Response:
    store = emulator_state(request).store(HuggingChatStore)
    return json_response([{"id": m, "name": m} for m in store.models])


HUGGINGCHAT_ROUTES = [
    Route("/chat/api/models", _models, methods=["GET"]),
    Route("/chat/conversation", _create, methods=["POST"]),
    Route("/chat/api/conversation/{id}", _api_conversation, methods=["GET"]),
    Route("/chat/conversation/{id}/__data.json", _data_json, methods=["GET"]),
    Route("/chat/conversation/{id}", _ask, methods=["POST"]),
    Route("/chat/conversation/{id}/output/{sha}", _output, methods=["GET"]),
]
