"""HuggingChat routes (docs/huggingchat-protocol.md) under ``/chat``, in the chat-ui generation
the store is set to ("2026" by default, or "2024"): create a conversation, the conversation
data (JSON APIs, superjson, ``__data.json``), the model and MCP server lists, the multipart ask
answered with NDJSON updates, the replay endpoint (2026) and generated files.

Sessions: 2024 needs a non-empty ``hf-chat`` cookie (else 401 ``{"message"}``); 2026 couples
``hf-chat`` with the ``token`` cookie (bound when first seen together) and answers a POST
without a valid session 401 ``{"error": "You have to be logged in."}``. Form POSTs need an
``Origin`` of this host (both; else 403). Faults come from ``X-Emulator-Scenario`` and
``set_fault`` rules (matched with the conversation's model and the provider name
``huggingchat``).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..core.faults import CHAT_ASK_ITEMS, CHAT_AUTH_ITEMS, CHAT_CREATE_ITEMS, FaultPlan
from ..core.requests import LOG_KEY, emulator_state, json_response, request_json, scenario_items
from .answer import plan_turn
from .current import plan_current_turn
from .model import ChatConversation, HuggingChatStore
from .session import csrf, logged_out, session
from .shapes import MCP_SERVERS, api_models

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


def _store(request: Request) -> HuggingChatStore:
    return emulator_state(request).store(HuggingChatStore)


def _plan(request: Request, model: str | None, only: frozenset[str]) -> FaultPlan | Response:
    """Session check and faults; a Response means the request is refused."""
    store = _store(request)
    state = emulator_state(request)
    try:
        items = scenario_items(request)
    except ValueError as exc:
        return _message(f"Invalid X-Emulator-Scenario: {exc}", 400)
    items = [i for i in items if i[0] in only]
    items.extend(state.faults.take(model, PROVIDER, only=only))
    plan = FaultPlan.from_items(items)
    refused = csrf(request)
    if refused is not None:
        return refused
    who = session(request, store)
    if plan.chat_401 or plan.answer == "401":
        return _message(_LOGIN, 401) if store.generation == "2024" else logged_out(request)
    if who is None and (store.generation == "2024" or request.method != "GET"):
        return _message(_LOGIN, 401) if store.generation == "2024" else logged_out(request)
    if plan.answer is not None:
        headers = {"retry-after": str(int(plan.retry_after))} if plan.answer == "429" else {}
        default = f"Error {plan.answer}: the model failed to answer."
        return _message(_STATUS_MESSAGES.get(plan.answer, default), int(plan.answer), headers)
    return plan


def _conversation(request: Request) -> ChatConversation | None:
    return _store(request).conversations.get(request.path_params["id"])


def _opened(request: Request, items: Any) -> tuple[ChatConversation, Any] | Response:
    """The conversation of the path and its fault plan, or the error answer (a fault, 404;
    2026: a conversation of another session is not found)."""
    conversation = _conversation(request)
    plan = _plan(request, conversation.model if conversation else None, items)
    if isinstance(plan, Response):
        return plan
    store = _store(request)
    owned = conversation is not None and conversation.owner == session(request, store)
    if store.generation == "2026" and not owned:
        conversation = None
    if conversation is None:
        return _message("Conversation not found", 404)
    return conversation, plan


def _chat_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/chat"


def _not_found() -> Response:
    return _message("Not found", 404)


async def _create(request: Request) -> Response:
    body = request_json(request)
    model = body.get("model") if isinstance(body, dict) else None
    plan = _plan(request, model if isinstance(model, str) else None, CHAT_CREATE_ITEMS)
    if isinstance(plan, Response):
        return plan
    store = _store(request)
    if not isinstance(model, str) or plan.unknown_model or model not in store.offered():
        text = "Invalid request" if store.generation == "2026" else "Model not found"
        return _message(text, 400)
    preprompt = body.get("preprompt") if isinstance(body, dict) else None
    owner = session(request, store) or ""
    conversation = store.create(model, preprompt if isinstance(preprompt, str) else "", owner)
    if store.generation == "2026":
        return json_response(conversation.created_answer())
    return json_response({"conversationId": conversation.id})


async def _api_conversation(request: Request) -> Response:
    opened = _opened(request, CHAT_AUTH_ITEMS)
    if isinstance(opened, Response):
        return opened
    conversation, _ = opened
    if _store(request).generation == "2026":
        return json_response(conversation.current_api_json())
    return json_response(conversation.api_json())


async def _api_v2_conversation(request: Request) -> Response:
    if _store(request).generation != "2026":
        return _not_found()
    opened = _opened(request, CHAT_AUTH_ITEMS)
    if isinstance(opened, Response):
        return opened
    conversation, _ = opened
    return json_response(conversation.v2_superjson())


async def _data_json(request: Request) -> Response:
    opened = _opened(request, CHAT_AUTH_ITEMS)
    if isinstance(opened, Response):
        return opened
    conversation, _ = opened
    store = _store(request)
    if store.generation == "2026":  # no server loads since affb8a005 (2026-01-19)
        return Response('{"type":"data","nodes":[null,null]}\n', media_type="application/json")
    text = conversation.svelte_data(_chat_url(request), list(store.models))
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
    store = _store(request)
    if store.generation == "2026":
        return _ask_current(request, conversation, plan, data, files)
    model = store.model_of(conversation.model)
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


def _ask_current(
    request: Request,
    conversation: ChatConversation,
    plan: FaultPlan,
    data: dict[str, Any],
    files: list[str],
) -> Response:
    """chat-ui 2026's answer: MCP servers by ``selectedMcpServerNames`` (absent: all), the
    run logged under ``generationId`` for the replay endpoint."""
    if not data["inputs"]:
        return json_response({"message": "An error occurred", "errorId": str(uuid.uuid4())}, 500)
    store = _store(request)
    names = data.get("selectedMcpServerNames")
    every = [s["name"] for s in MCP_SERVERS]
    servers = [n for n in every if n in names] if isinstance(names, list) else every
    generation = data.get("generationId")
    generation = generation if isinstance(generation, str) and generation else str(uuid.uuid4())
    turn = plan_current_turn(
        data["inputs"],
        first=len(conversation.messages) == 1,
        model=conversation.model,
        reasoning=store.model_of(conversation.model).reasoning,
        servers=servers,
        chat_url=_chat_url(request),
        conversation_id=conversation.id,
        number=len(conversation.generations) + 1,
        plan=plan,
    )
    conversation.messages.append(store.message("user", data["inputs"], files))
    produced: list[str] = []
    if turn.file is not None:
        sha, blob = turn.file
        conversation.files[sha] = blob
        produced.append(sha)
    final = next((u["text"] for u in turn.live if u["type"] == "finalAnswer"), "")
    conversation.messages.append(store.message("assistant", final, produced))
    for update in turn.live:
        if update["type"] == "title":
            conversation.title = update["title"]
    conversation.generations[generation] = {"events": turn.log(), "status": turn.status}
    return StreamingResponse(turn.lines(), media_type="application/jsonl")


def _cursor(request: Request) -> int:
    for raw in (request.headers.get("last-event-id"), request.query_params.get("fromSeq")):
        if raw is not None:
            return int(raw) if raw.isdigit() else 0
    return 0


async def _replay(request: Request) -> Response:
    """``GET /conversation/ID/stream`` (ba2389811): the run's logged updates after the cursor
    as ``event: update`` frames, then ``event: end``; unknown run: ``end`` ``gone``."""
    if _store(request).generation != "2026":
        return _not_found()
    opened = _opened(request, CHAT_AUTH_ITEMS)
    if isinstance(opened, Response):
        return opened
    conversation, _ = opened
    wanted = request.query_params.get("generationId")
    runs = conversation.generations
    run = runs.get(wanted) if wanted else (runs[list(runs)[-1]] if runs else None)
    cursor = _cursor(request)
    frames: list[str] = []
    if run is None:
        frames.append('event: end\ndata: {"status":"gone"}\n\n')
    else:
        for seq, update in enumerate(run["events"], 1):
            if seq > cursor:
                data = json.dumps(update, separators=(",", ":"))
                frames.append(f"id: {seq}\nevent: update\ndata: {data}\n\n")
        end = json.dumps({"status": run["status"]}, separators=(",", ":"))
        frames.append(f"event: end\ndata: {end}\n\n")
    headers = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}

    async def body() -> Any:
        for frame in frames:
            yield frame.encode()

    return StreamingResponse(body(), headers=headers, media_type="text/event-stream")


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
    store = _store(request)
    if store.generation == "2026":
        return json_response(api_models(store.offered()))
    return json_response([{"id": m, "name": m} for m in store.models])


async def _mcp_servers(request: Request) -> Response:
    if _store(request).generation != "2026":
        return _not_found()
    return json_response(list(MCP_SERVERS))


HUGGINGCHAT_ROUTES = [
    Route("/chat/api/models", _models, methods=["GET"]),
    Route("/chat/api/mcp/servers", _mcp_servers, methods=["GET"]),
    Route("/chat/conversation", _create, methods=["POST"]),
    Route("/chat/api/conversation/{id}", _api_conversation, methods=["GET"]),
    Route("/chat/api/v2/conversations/{id}", _api_v2_conversation, methods=["GET"]),
    Route("/chat/conversation/{id}/__data.json", _data_json, methods=["GET"]),
    Route("/chat/conversation/{id}/stream", _replay, methods=["GET"]),
    Route("/chat/conversation/{id}", _ask, methods=["POST"]),
    Route("/chat/conversation/{id}/output/{sha}", _output, methods=["GET"]),
]
