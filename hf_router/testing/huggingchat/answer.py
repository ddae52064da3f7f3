"""HuggingChat's deterministic answers in chat-ui's 2024 generation: the message updates of one
turn, as NDJSON lines.

Order: ``status: started``; reasoning (reasoning models); web search updates then ``sources``
(when ``web_search``); ``stream`` tokens padded with ``\\u0000`` (``padEnd(16)``, 989379c35);
``title`` (first turn); ``file`` (when the input asks to draw/generate an image);
``finalAnswer``, then 4096 spaces and no newline (6f3588ac3).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ..core.faults import FaultPlan
from ..core.files import png

__all__ = ["Turn", "last_user_input", "plan_turn", "search_answer", "sources"]

_TOKEN_RE = re.compile(r"\s*\S+")
_USER_RE = re.compile(r"(?:^|\n)User: ?")
_NEXT_ROLE_RE = re.compile(r"\n(?:Assistant|System|Tool):")
_DRAW_RE = re.compile(
    r"\b(?:draw|paint|sketch)\b|\b(?:generate|create|make)\b.*\b(?:image|picture|photo|drawing)s?\b",
    re.IGNORECASE | re.DOTALL,
)
PAD = 16  # chat-ui pads stream tokens with NULs to this length: token.padEnd(16, "\0")
FILLER = " " * 4096  # after the finalAnswer line, no newline (defeats browser buffering)
GARBAGE = "upstream hiccup: this line is not JSON"


def last_user_input(inputs: str) -> str:
    """The last user message of a first-turn prompt (``User: ...`` lines ending with
    ``Assistant:``); any other input is returned stripped."""
    text = inputs.rstrip()
    matches = list(_USER_RE.finditer(text))
    if text.endswith("Assistant:") and matches:
        rest = text[matches[-1].end() :]
        end = _NEXT_ROLE_RE.search(rest)
        return (rest[: end.start()] if end else rest).strip()
    return inputs.strip()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "query"


def sources(query: str, form: str) -> list[dict[str, str]]:
    """Three deterministic sources for ``query`` (snippet key ``context`` in 2024, ``text`` in
    2023)."""
    key = "text" if form == "2023" else "context"
    return [
        {
            "link": f"https://source{i}.example.com/{_slug(query)}",
            "title": f"Source {i}: {query}",
            "hostname": f"source{i}.example.com",
            key: f"Snippet {i} about {query}.",
        }
        for i in (1, 2, 3)
    ]


def search_answer(query: str) -> str:
    """The answer to a web-searched ``query`` (both generations): it cites the three sources
    with markdown links, as chat-ui's GROUNDING prompt asks (17c9f393d)."""
    links = ", ".join(f"[{i}]({s['link']})" for i, s in enumerate(sources(query, "2024"), 1))
    return f"According to 3 sources: {query} ({links})"


def _web_search(query: str, form: str) -> list[dict[str, Any]]:
    kind = "messageType" if form == "2023" else "subtype"
    found = sources(query, form)
    updates: list[dict[str, Any]] = [
        {"type": "webSearch", kind: "update", "message": "Searching the web", "args": [query]},
        {"type": "webSearch", kind: "update", "message": "Browsing search results"},
        {"type": "webSearch", kind: "sources", "message": "sources", "sources": found},
    ]
    if form == "2024":
        updates.append({"type": "webSearch", "subtype": "finished"})
    return updates


def padded(token: str) -> str:
    """chat-ui's ``token.padEnd(16, "\\0")``: ``\\u0000`` up to :data:`PAD` characters."""
    return token.ljust(PAD, "\u0000")


@dataclass
class Turn:
    """One planned answer: the text, the updates and (when drawing) the generated file."""

    query: str
    answer: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    file: tuple[str, bytes] | None = None  # (sha, bytes)
    plan: FaultPlan = field(default_factory=FaultPlan)

    async def lines(self) -> AsyncIterator[bytes]:
        """The response body: one JSON update per line, shaped by the fault plan."""
        plan = self.plan
        if plan.slow_first_token:
            await asyncio.sleep(plan.slow_first_token)
        for index, update in enumerate(self.updates):
            if update.get("type") == "stream" and plan.slow_tokens and index:
                await asyncio.sleep(plan.slow_tokens)
            yield json.dumps(update, separators=(",", ":")).encode() + b"\n"
            if plan.garbage_lines and index < len(self.updates) - 1:
                yield GARBAGE.encode() + b"\n"
        if plan.no_final_answer or plan.status_error:
            return
        yield FILLER.encode()


def plan_turn(
    inputs: str,
    *,
    first: bool,
    web_search: bool,
    form: str,
    reasoning: bool,
    plan: FaultPlan,
) -> Turn:
    """Plan the updates answering ``inputs`` (see the module docstring for the order)."""
    query = last_user_input(inputs)
    answer_text = search_answer(query) if web_search else query or "(empty)"
    tokens = _TOKEN_RE.findall(answer_text)
    turn = Turn(query, "".join(tokens), plan=plan)
    updates = turn.updates
    updates.append({"type": "status", "status": "started"})
    if plan.status_error:
        message = "An error occurred while generating the answer (emulated)."
        updates.append({"type": "status", "status": "error", "message": message})
        return turn
    if reasoning:
        updates.append({"type": "reasoning", "subtype": "status", "status": "Thinking..."})
        for token in _TOKEN_RE.findall(f"Thinking about: {query or '(empty)'}"):
            updates.append({"type": "reasoning", "subtype": "stream", "token": token})
        updates.append({"type": "reasoning", "subtype": "status", "status": "Done thinking."})
    if web_search:
        updates.extend(_web_search(query, form))
    streamed = tokens[:2] if plan.no_final_answer else tokens
    updates.extend({"type": "stream", "token": padded(token)} for token in streamed)
    if plan.no_final_answer:
        return turn
    if first:
        updates.append({"type": "title", "title": " ".join(query.split()[:5]) or "New Chat"})
    if _DRAW_RE.search(query):
        data = png(query)
        sha = hashlib.sha256(data).hexdigest()
        turn.file = (sha, data)
        updates.append({"type": "file", "name": "image.png", "sha": sha, "mime": "image/png"})
    final: dict[str, Any] = {"type": "finalAnswer", "text": turn.answer, "interrupted": False}
    if web_search:
        final["webSources"] = [
            {"uri": s["link"], "title": s["title"]} for s in sources(query, form)
        ]
    updates.append(final)
    return turn
