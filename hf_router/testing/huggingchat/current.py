"""The current chat-ui generation's ("2026") deterministic answers: the message updates of one
turn as chat-ui streams them (NDJSON, ``application/jsonl``) and as its generation log stores
them (for the replay endpoint).

Live order (chat-ui 5.4): ``status: started``; ``routerMetadata`` (route and model, for omni)
and ``routerMetadata`` (provider); with an MCP server selected, a tool round: a preamble
(``stream``), ``tool`` call, eta, progress, (an ``elicitation`` request parks the run here),
result (Exa's ``Title:``/``URL:`` text), then the provider again; ``stream`` tokens (reasoning
models: inline ``<think>…</think>``) padded with ``\\u0000`` to 16 characters; ``finalAnswer``
(the last round's text) followed by 4096 spaces and no newline; ``title`` (first turn);
``status: finished``. ``status: keepAlive`` lines interleave (live only).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ..core.drops import DeliberateDrop
from ..core.faults import FaultPlan
from ..core.files import png
from ..core.ids import uuid_for
from .answer import (
    _DRAW_RE,
    _TOKEN_RE,
    FILLER,
    GARBAGE,
    last_user_input,
    padded,
    search_answer,
    sources,
)
from .shapes import HF_SERVER, OMNI, PROVIDER_NAME, ROUTER_MODEL, SEARCH_SERVER

__all__ = ["CurrentTurn", "exa_text", "plan_current_turn"]

KEEPALIVE_EVERY = 4
SEARCH_TOOL = "web_search_exa"
IMAGE_TOOL = "gr1_flux1_schnell_infer"
PREAMBLE = "Let me look that up."


def exa_text(query: str) -> str:
    """Exa MCP ``web_search_exa``'s text (exa-mcp-server 74a9a8f+): records separated by
    ``---``, the same three sources as the 2024 web search."""
    records = [
        f"Title: {s['title']}\nURL: {s['link']}\nPublished: 2026-08-01T00:00:00.000Z\n"
        f"Author: N/A\nHighlights:\n{s['context']}"
        for s in sources(query, "2024")
    ]
    return "\n\n---\n\n".join(records)


@dataclass
class CurrentTurn:
    """One planned 2026 answer: the live updates, the answer text, a generated file."""

    query: str
    answer: str
    live: list[dict[str, Any]] = field(default_factory=list)
    file: tuple[str, bytes] | None = None
    plan: FaultPlan = field(default_factory=FaultPlan)
    cut_at: int | None = None
    status: str = "completed"

    def log(self) -> list[dict[str, Any]]:
        """The generation log (ba2389811): unpadded, no keepAlive, consecutive same-kind
        stream tokens coalesced; ``seq`` from 1 is the index + 1."""
        out: list[dict[str, Any]] = []
        for update in self.live:
            if update == {"type": "status", "status": "keepAlive"}:
                continue
            kind = (update.get("type"), update.get("subtype"))
            if out and kind in (("stream", None), ("reasoning", "stream")):
                last = out[-1]
                if (last.get("type"), last.get("subtype")) == kind:
                    out[-1] = {**last, "token": last["token"] + update["token"]}
                    continue
            out.append(dict(update))
        return out

    async def lines(self) -> AsyncIterator[bytes]:
        """The live body, shaped by the fault plan."""
        plan = self.plan
        if plan.slow_first_token:
            await asyncio.sleep(plan.slow_first_token)
        for index, update in enumerate(self.live):
            if self.cut_at is not None and index == self.cut_at:
                raise DeliberateDrop
            if update.get("type") == "stream":
                if plan.slow_tokens and index:
                    await asyncio.sleep(plan.slow_tokens)
                update = {**update, "token": padded(update["token"])}
            yield json.dumps(update, separators=(",", ":")).encode() + b"\n"
            if plan.garbage_lines and index < len(self.live) - 1:
                yield GARBAGE.encode() + b"\n"
            if update.get("type") == "finalAnswer":
                yield FILLER.encode()


def _think_tokens(query: str) -> list[str]:
    tokens = _TOKEN_RE.findall(f"Thinking about: {query or '(empty)'}")
    return ["<think>" + tokens[0], *tokens[1:]]


def plan_current_turn(
    inputs: str,
    *,
    first: bool,
    model: str,
    reasoning: bool,
    servers: list[str],
    chat_url: str,
    conversation_id: str,
    number: int,
    plan: FaultPlan,
) -> CurrentTurn:
    """Plan the updates answering ``inputs`` with the MCP ``servers`` enabled."""
    query = last_user_input(inputs)
    drawing = HF_SERVER in servers and bool(_DRAW_RE.search(query))
    searching = SEARCH_SERVER in servers and not drawing
    text = search_answer(query) if searching else query or "(empty)"
    turn = CurrentTurn(query, text, plan=plan)
    live = turn.live
    live.append({"type": "status", "status": "started"})
    tool_round = searching or drawing
    if model == OMNI:
        route = "agentic" if tool_round else "default"
        live.append({"type": "routerMetadata", "route": route, "model": ROUTER_MODEL})
    provider = {"type": "routerMetadata", "route": "", "model": "", "provider": PROVIDER_NAME}
    live.append(provider)
    if plan.status_error or plan.payment_required or plan.token_revoked:
        error: dict[str, Any] = {"type": "status", "status": "error"}
        if plan.payment_required:
            error["message"] = (
                "You have exceeded your monthly included credits for Inference Providers. "
                "Subscribe to PRO to get 20x more monthly usage."
            )
            error["statusCode"] = 402
        elif plan.token_revoked:
            error["message"] = "OAuth authorization has been revoked for this token."
            error["statusCode"] = 401
        else:
            error["message"] = "An error occurred while generating the answer (emulated)."
        live.append(error)
        turn.status = "error"
        return _keepalive(turn)
    thinking = _think_tokens(query) if reasoning else []
    if tool_round:
        preamble = _TOKEN_RE.findall(PREAMBLE)
        if thinking:
            preamble[0] = "</think>" + preamble[0]
        live.extend({"type": "stream", "token": t} for t in [*thinking, *preamble])
        thinking = []
        _tool_round(turn, drawing, chat_url, conversation_id, number)
        if plan.elicitation:
            live.append({"type": "status", "status": "finished"})
            turn.status = "completed"
            return _keepalive(turn)
        live.append(provider)
    tokens = _TOKEN_RE.findall(turn.answer)
    if thinking:
        tokens[0] = "</think>" + tokens[0]
    streamed = [*thinking, *tokens]
    if plan.no_final_answer:
        live.extend({"type": "stream", "token": t} for t in streamed[:2])
        turn.status = "interrupted"
        return _keepalive(turn)
    live.extend({"type": "stream", "token": t} for t in streamed)
    live.append({"type": "finalAnswer", "text": "".join(streamed), "interrupted": False})
    if first:
        live.append({"type": "title", "title": " ".join(query.split()[:5]) or "New Chat"})
    live.append({"type": "status", "status": "finished"})
    if plan.cut_stream:
        turn.cut_at = len(live) // 2
    return _keepalive(turn)


def _tool_round(
    turn: CurrentTurn, drawing: bool, chat_url: str, conversation_id: str, number: int
) -> None:
    """A tool call (search, or image generation) with eta, progress and its result; or, with
    the ``elicitation`` fault, a parked input request instead of the result."""
    live, query = turn.live, turn.query
    tool_id = uuid_for("tool", number)
    name, parameters = (
        (IMAGE_TOOL, {"prompt": query}) if drawing else (SEARCH_TOOL, {"query": query})
    )
    call = {"name": name, "parameters": parameters}
    raw = json.dumps(parameters)
    live.append(
        {
            "type": "tool",
            "subtype": "call",
            "uuid": tool_id,
            "call": call,
            "originalId": f"call_{number}",
            "argumentsRaw": raw,
        }
    )
    live.append({"type": "tool", "subtype": "eta", "uuid": tool_id, "eta": 10})
    message = "Generating" if drawing else "Searching the web"
    live.append(
        {
            "type": "tool",
            "subtype": "progress",
            "uuid": tool_id,
            "progress": 1,
            "total": 2,
            "message": message,
        }
    )
    if turn.plan.elicitation:
        live.append(
            {
                "type": "elicitation",
                "subtype": "request",
                "request": {
                    "elicitationId": uuid_for("elicitation", number),
                    "server": HF_SERVER if drawing else SEARCH_SERVER,
                    "mode": "form",
                    "message": "Which region should the search cover?",
                    "fields": [{"kind": "string", "name": "region", "required": True}],
                },
                "toolUuid": tool_id,
            }
        )
        return
    if drawing:
        data = png(query)
        sha = hashlib.sha256(data).hexdigest()
        turn.file = (sha, data)
        url = f"{chat_url}/conversation/{conversation_id}/output/{sha}"
        text = f"Image generated: ![{query}]({url})"
        turn.answer = f"Here is the image: ![{query}]({url})"
        content = [{"type": "text", "text": text}]
    else:
        text = exa_text(query)
        content = [{"type": "text", "text": text, "_meta": {"searchTime": 412}}]
    result = {
        "status": "success",
        "call": call,
        "outputs": [{"text": text, "content": content}],
        "display": True,
    }
    live.append({"type": "tool", "subtype": "result", "uuid": tool_id, "result": result})


def _keepalive(turn: CurrentTurn) -> CurrentTurn:
    """Interleave ``status: keepAlive`` (chat-ui sends one every 100 ms while generating)."""
    out: list[dict[str, Any]] = []
    generating = True
    for index, update in enumerate(turn.live):
        out.append(update)
        generating = generating and update.get("type") != "finalAnswer"
        generating = generating and update.get("status") != "finished"
        if generating and index and index % KEEPALIVE_EVERY == 0:
            out.append({"type": "status", "status": "keepAlive"})
    if turn.cut_at is not None:
        turn.cut_at = min(len(out) - 1, turn.cut_at + turn.cut_at // KEEPALIVE_EVERY)
    turn.live = out
    return turn
