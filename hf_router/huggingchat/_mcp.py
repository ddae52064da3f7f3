"""The current chat-ui generation's updates (2025-09 onwards), for :class:`UpdateParser`: MCP
``tool`` calls and results (sources from their outputs), ``routerMetadata`` (who served) and
``elicitation`` (a tool asking the user for input). No I/O.

See ``docs/huggingchat-protocol.md`` for the shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InputRequiredError
from ..events import Event, ProviderInfo, Status, ToolActivity
from ._sources import SourceSet, clean, markdown_images, tool_output_sources, tool_output_text

__all__ = ["McpUpdates"]

_SEARCH_RE = re.compile(r"search", re.IGNORECASE)
_EXCERPT = 80
PROVIDER = "huggingchat"


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


def _params_text(parameters: Mapping[str, Any]) -> str:
    query = parameters.get("query")
    if isinstance(query, str):
        return query
    return ", ".join(f"{k}={v}" for k, v in parameters.items())


class McpUpdates:
    """The ``tool``, ``routerMetadata`` and ``elicitation`` handlers of the update parser
    (a mixin: the state lives in :class:`~hf_router.huggingchat._updates.UpdateParser`)."""

    model: str | None
    conversation_id: str
    _redact: Callable[[str], str]
    _sources: SourceSet
    _tools: dict[str, str]
    _round: list[str]
    _served: tuple[str, str]
    _elicitation: dict[str, Any] | None

    def _once(self, *key: str) -> bool:
        raise NotImplementedError

    def _elapsed(self) -> float:
        raise NotImplementedError

    def _media(self, url: str, mime: str | None = None) -> list[Event]:
        raise NotImplementedError

    def _tool(self, update: dict[str, Any]) -> list[Event]:
        subtype = clean(update.get("subtype"))
        uuid = clean(update.get("uuid"))
        call = update.get("call") if isinstance(update.get("call"), Mapping) else None
        result = update.get("result") if isinstance(update.get("result"), Mapping) else None
        if call is None and result is not None and isinstance(result.get("call"), Mapping):
            call = result["call"]
        name = clean(call.get("name")) if call else ""
        name = name or self._tools.get(uuid, "") or "tool"
        params = call.get("parameters") if call else None
        parameters = dict(params) if isinstance(params, Mapping) else {}
        if subtype == "call":
            self._tools[uuid] = name
            self._round = []  # text streamed before a tool call is a preamble, not the answer
        if subtype not in ("call", "progress", "result", "error"):
            return []
        key = (
            ("tool", uuid, subtype, str(update.get("progress")))
            if subtype == "progress"
            else ("tool", uuid, subtype)
        )
        if not self._once(*key):
            return []
        label = "Web search" if _SEARCH_RE.search(name) else "Tool"
        if subtype == "call":
            text = f"{name}: {_params_text(parameters)}"
            return [
                Status(label, text, self._elapsed()),
                ToolActivity(name, "call", parameters, uuid or None),
            ]
        if subtype == "progress":
            message = clean(update.get("message")).strip()
            done, total = update.get("progress"), update.get("total")
            count = f"{done}/{total}" if total is not None else f"{done}"
            text = f"{name}: {message} ({count})" if message else f"{name}: {count}"
            return [
                Status(label, text, self._elapsed()),
                ToolActivity(name, "progress", parameters, uuid or None, text),
            ]
        if subtype == "error":
            message = self._redact(clean(update.get("message")).strip()) or "failed"
            return [
                Status(f"{label} error", f"{name}: {message}", self._elapsed()),
                ToolActivity(name, "error", parameters, uuid or None, message),
            ]
        outputs = result.get("outputs") if result else None
        found = list({s.url: s for s in tool_output_sources(outputs)}.values())
        self._sources.add(found)
        output_text = tool_output_text(outputs)
        events: list[Event] = []
        for url in markdown_images(output_text):
            events.extend(self._media(url))
        status = "error" if result and result.get("status") == "error" else "done"
        count = f", {len(found)} source(s)" if found else ""
        events[:0] = [
            Status(label, f"{name}: {status}{count}", self._elapsed()),
            ToolActivity(
                name, "result", parameters, uuid or None, _excerpt(self._redact(output_text))
            ),
        ]
        return events

    def _router_metadata(self, update: dict[str, Any]) -> list[Event]:
        model = clean(update.get("model")).strip() or self._served[0]
        provider = clean(update.get("provider")).strip() or self._served[1]
        if (model, provider) == self._served:
            return []
        self._served = (model, provider)
        return [ProviderInfo(model or self.model or "", provider or None, None, 1)]

    def _elicitation_update(self, update: dict[str, Any]) -> list[Event]:
        subtype = update.get("subtype")
        if subtype == "request" and isinstance(update.get("request"), Mapping):
            request = dict(update["request"])
            self._elicitation = request
            if not self._once("elicitation", clean(request.get("elicitationId"))):
                return []
            question = self._redact(clean(request.get("message")).strip())
            return [Status("Input required", question or "a tool asks for input", self._elapsed())]
        if subtype == "resolved":
            pending = self._elicitation
            if pending is not None and clean(pending.get("elicitationId")) == clean(
                update.get("elicitationId")
            ):
                self._elicitation = None
        return []

    def _input_required(self, request: dict[str, Any]) -> InputRequiredError:
        question = self._redact(clean(request.get("message")).strip())
        raw_fields = request.get("fields")
        fields = tuple(
            clean(f.get("name"))
            for f in (raw_fields if isinstance(raw_fields, list) else [])
            if isinstance(f, Mapping) and clean(f.get("name"))
        )
        url = clean(request.get("url")) or None
        server = clean(request.get("server")) or None
        asked = f"{question!r}" if question else "for input"
        if fields:
            asked += f" (fields: {', '.join(fields)})"
        if url:
            asked += f" (open {url})"
        return InputRequiredError(
            f"HuggingChat paused the answer: {server or 'a tool'} asked {asked}",
            question=question,
            fields=fields,
            url=url,
            server=server,
            elicitation_id=clean(request.get("elicitationId")) or None,
            conversation_id=self.conversation_id,
            model=self.model,
            provider=PROVIDER,
        )
