"""The plain requests of :class:`~hf_router.HuggingChatClient`'s calls, written once for both
twins: each call is a generator that yields a request and is sent its answer (the async and
sync twins run it with their own HTTP client), plus the headers, the ask's multipart request
and the replay request. See ``docs/huggingchat-protocol.md``.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from .._redact import SecretValues
from .._shared.bodies import loads
from .._shared.checks import check_model_arg
from .._shared.config import Secret
from .._shared.http import HTTPSession
from ..errors import MissingAuthError
from ._answer import AnswerReader, search_servers
from ._updates import PROVIDER
from ._wire import (
    DEFAULT_CHAT_MODEL,
    Conversation,
    Turn,
    check_id,
    multipart_body,
    plan_turn,
)

__all__ = ["ClientSteps", "Steps"]

logger = logging.getLogger("hf_router")

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Request:
    """One plain request of a call; ``model`` is named in its transport errors."""

    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    json: Any = None
    model: str | None = None


Steps = Generator[_Request, httpx.Response, _T]
"""A call's requests: yields each request, is sent its answer, returns the result."""


class ClientSteps:
    """The requests of each call (a base of :class:`~hf_router.HuggingChatClient`, which
    holds the state)."""

    base_url: str
    default_model: str | None
    http: HTTPSession
    _origin: str
    _cookie: Secret | None
    _has_session: bool
    _cookie_names: frozenset[str]
    _cookie_values: tuple[Secret, ...]
    _search_servers: list[str] | None

    @property
    def _secrets(self) -> SecretValues:
        """Values that must never appear in messages: each cookie value and the header (a
        tuple whose repr hides them, so no frame's locals show them)."""
        found = [s.get_secret_value() for s in self._cookie_values]
        if self._cookie:
            found.append(self._cookie.get_secret_value())
        return SecretValues(found)

    # -- plumbing ------------------------------------------------------------------------------
    def _headers(
        self, referer: str | None = None, *, public: bool = False, **extra: str
    ) -> dict[str, str]:
        """The headers of a request; ``public`` ones (the model and MCP server lists) go
        without a session when there is none."""
        if not public and (not self._has_session or self._cookie is None):
            raise MissingAuthError(
                "No HuggingChat session cookie ('hf-chat') was found", provider=PROVIDER
            )
        cookie = {"Cookie": self._cookie.get_secret_value()} if self._cookie else {}
        return self.http.headers(
            auth=False,
            extra={
                **cookie,
                "Origin": self._origin,
                "Referer": referer or f"{self.base_url}/",
                "Accept": "application/json",
                **extra,
            },
        )

    def _url(self, conversation_id: str, suffix: str = "") -> str:
        return f"{self.base_url}/conversation/{check_id(conversation_id)}{suffix}"

    @property
    def _reader(self) -> AnswerReader:
        """Reads this session's answers (redacting its secrets)."""
        return AnswerReader(self.base_url, self._secrets, self._cookie_names)

    def _ask_request(
        self, conv: Conversation, turn: Turn, web_search: bool, tools: Sequence[str]
    ) -> tuple[str, dict[str, str], bytes, str]:
        generation = str(uuid.uuid4())
        data = {
            "inputs": turn.later_inputs if conv.turns else turn.first_inputs,
            "id": conv.message_id,
            "is_retry": False,
            "is_continue": False,
            "generationId": generation,
            "selectedMcpServerNames": list(self._search_servers or []) if web_search else [],
            "web_search": bool(web_search),
            "tools": list(tools),
        }
        body, content_type = multipart_body(data, turn.files)
        url = self._url(conv.conversation_id)
        logger.debug(
            "HuggingChat: asking %s in conversation %s (turn %d, %d file(s), web_search=%s)",
            conv.model,
            conv.conversation_id,
            conv.turns + 1,
            len(turn.files),
            bool(web_search),
        )
        headers = self._headers(referer=url, **{"Content-Type": content_type})
        return url, headers, body, generation

    def _replay_request(self, conv: Conversation, generation: str) -> tuple[str, dict[str, str]]:
        url = self._url(conv.conversation_id, f"/stream?generationId={generation}&fromSeq=0")
        return url, self._headers(
            referer=self._url(conv.conversation_id), Accept="text/event-stream"
        )

    # -- the calls' requests, for both twins ---------------------------------------------------
    def _model_steps(self, model: str | None) -> Steps[str]:
        """``model``, else the configured default, else the server's default model (the first
        of ``GET /api/models``; ``omni`` when the list cannot be read)."""
        if model:
            return model
        if not self.default_model:
            url = f"{self.base_url}/api/models"
            response = yield _Request("GET", url, self._headers(public=True))
            found = self._reader.models(response) if response.status_code < 300 else []
            self.default_model = found[0] if found else DEFAULT_CHAT_MODEL
            logger.debug("HuggingChat: default model %s", self.default_model)
        return self.default_model

    def _models_steps(self) -> Steps[list[str]]:
        url = f"{self.base_url}/api/models"
        response = yield _Request("GET", url, self._headers(public=True))
        return self._reader.models(response)

    def _servers_steps(self) -> Steps[list[str]]:
        """The web-search MCP servers (``GET /api/mcp/servers``, read once; none on servers
        without MCP)."""
        if self._search_servers is None:
            url = f"{self.base_url}/api/mcp/servers"
            response = yield _Request("GET", url, self._headers(public=True))
            try:
                body = loads(response.content) if response.status_code < 300 else []
            except ValueError:
                body = []
            self._search_servers = search_servers(body)
        return self._search_servers

    def _create_steps(self, model: str | None) -> Steps[Conversation]:
        """Create a conversation with ``model`` (the default when None); its root message id
        comes with the answer (2026) or from the conversation's data."""
        check_model_arg(model)
        headers = self._headers(**{"Content-Type": "application/json"})
        model = yield from self._model_steps(model)
        url = f"{self.base_url}/conversation"
        response = yield _Request("POST", url, headers, json={"model": model}, model=model)
        cid, root = self._reader.created(response, model)
        return Conversation(model, cid, root or (yield from self._message_id_steps(cid)))

    def _message_id_steps(self, cid: str) -> Steps[str]:
        """The message-id lookup: ``/api/conversation/ID``, ``/api/v2/conversations/ID``, then
        SvelteKit's ``__data.json`` (old servers)."""
        check_id(cid)
        for path in (f"/api/conversation/{cid}", f"/api/v2/conversations/{cid}"):
            response = yield _Request("GET", self.base_url + path, self._headers())
            found = self._reader.from_api(response, cid)
            if found is not None:
                return found
        url = self._url(cid, "/__data.json?x-sveltekit-invalidated=11")
        data = _Request("GET", url, self._headers(referer=self._url(cid)))
        return self._reader.from_data((yield data), cid)

    def _prepare_steps(
        self,
        model: str | None,
        messages: Any,
        media: Sequence[Any] | None,
        conversation: Conversation | None,
        web_search: bool,
    ) -> Steps[tuple[Turn, Conversation]]:
        """Validate an ask, then create the conversation (when None), read the parent id
        (later turns) and the search servers (``web_search``)."""
        turn = plan_turn(model, messages, media, conversation, self.default_model or "?")
        self._headers()  # no session: MissingAuthError before anything is sent
        if not model and conversation is None and not self.default_model:
            turn = dataclasses.replace(turn, model=(yield from self._model_steps(None)))
        conv = conversation or (yield from self._create_steps(turn.model))
        if conv.turns or conv.message_id is None:
            conv.message_id = yield from self._message_id_steps(conv.conversation_id)
        if web_search:
            yield from self._servers_steps()
        return turn, conv
