"""HuggingChat (https://huggingface.co/chat): conversations with web search, through the
web app's own protocol (every chat-ui generation since 2023) and the session cookies copied
from a browser (no browser automation).

Each call is written once: its plain requests as steps (a generator that yields each request
and is sent its answer), which the async and sync twins run with their own HTTP client; the
answers are read by :mod:`hf_router.huggingchat._answer`.

See ``docs/huggingchat.md`` (usage) and ``docs/huggingchat-protocol.md`` (wire format).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import uuid
from collections.abc import AsyncIterator, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from .._shared.config import DEFAULT_CHAT_URL, ENV_CHAT_URL, Secret
from .._shared.http import Closeable, HTTPSession
from ..errors import MissingAuthError
from ..events import Event
from ._answer import AnswerReader, AnswerStream, search_servers, transport_failure
from ._updates import PROVIDER
from ._wire import (
    COOKIE_NAME,
    DEFAULT_CHAT_MODEL,
    TOKEN_COOKIE_NAME,
    Conversation,
    SearchResult,
    Turn,
    check_id,
    multipart_body,
    plan_turn,
    resolve_cookies,
    search_result,
)

__all__ = ["DEFAULT_CHAT_MODEL", "Conversation", "HuggingChatClient", "SearchResult"]

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


_Steps = Generator[_Request, httpx.Response, _T]
"""A call's requests: yields each request, is sent its answer, returns the result."""


class HuggingChatClient(Closeable):
    """A HuggingChat session: create conversations, ask (streaming typed events), web search.

    The cookies come from ``cookies`` (``{"hf-chat": ..., "token": ...}``), ``cookie_header``
    (``"hf-chat=...; token=..."``) or the ``HF_CHAT_COOKIE`` environment variable (a bare
    ``hf-chat`` value or a whole Cookie header). Since 2025-10 HuggingChat only accepts the
    ``hf-chat`` session together with huggingface.co's ``token`` login cookie; a refused
    session names the missing cookie. Without an ``hf-chat`` cookie the first request raises
    :class:`~hf_router.errors.MissingAuthError` with instructions. The cookies are secrets:
    never shown in ``repr``, logs, errors or saved conversations.

    ``default_model``: the model of new conversations when none is named; ``None`` (default)
    asks the server (``GET /api/models``: chat-ui's default is the first, ``omni`` today).

    Every method has an async form (``a...``) and a sync twin; the sync twins use their own
    pooled sync ``httpx.Client`` (no event loop, no thread).
    """

    def __init__(
        self,
        *,
        cookies: Mapping[str, str] | None = None,
        cookie_header: str | None = None,
        base_url: str | None = None,
        timeout: float = 120.0,
        headers: Mapping[str, str] | None = None,
        default_model: str | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = (base_url or os.environ.get(ENV_CHAT_URL) or DEFAULT_CHAT_URL).rstrip("/")
        parts = urlsplit(self.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self.default_model = default_model
        found = resolve_cookies(cookies, cookie_header)
        self._cookie = Secret("; ".join(f"{k}={v}" for k, v in found.items())) if found else None
        self._has_session = COOKIE_NAME in found
        self._cookie_names = frozenset(found)
        self._cookie_values = tuple(Secret(v) for v in found.values())
        self._search_servers: list[str] | None = None
        self.http = HTTPSession(
            token=None,
            timeout=timeout,
            headers=headers,
            http_client=http_client,
            http_async_client=http_async_client,
        )

    def __repr__(self) -> str:
        state = "set" if self._has_session else "missing"
        token = "set" if TOKEN_COOKIE_NAME in self._cookie_names else "missing"
        return f"HuggingChatClient(base_url={self.base_url!r}, cookie={state}, token={token})"

    @property
    def _secrets(self) -> tuple[str, ...]:
        """Values that must never appear in messages: each cookie value and the header."""
        found = [s.get_secret_value() for s in self._cookie_values]
        return (*found, self._cookie.get_secret_value()) if self._cookie else tuple(found)

    def __getstate__(self) -> None:
        raise TypeError("A HuggingChatClient cannot be pickled; save its Conversation instead.")

    # -- plumbing ------------------------------------------------------------------------------
    def _headers(self, referer: str | None = None, **extra: str) -> dict[str, str]:
        if not self._has_session or self._cookie is None:
            raise MissingAuthError(
                "No HuggingChat session cookie ('hf-chat') was found", provider=PROVIDER
            )
        return self.http.headers(
            auth=False,
            extra={
                "Cookie": self._cookie.get_secret_value(),
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
    def _model_steps(self, model: str | None) -> _Steps[str]:
        """``model``, else the configured default, else the server's default model (the first
        of ``GET /api/models``; ``omni`` when the list cannot be read)."""
        if model:
            return model
        if not self.default_model:
            response = yield _Request("GET", f"{self.base_url}/api/models", self._headers())
            found = self._reader.models(response) if response.status_code < 300 else []
            self.default_model = found[0] if found else DEFAULT_CHAT_MODEL
            logger.debug("HuggingChat: default model %s", self.default_model)
        return self.default_model

    def _models_steps(self) -> _Steps[list[str]]:
        response = yield _Request("GET", f"{self.base_url}/api/models", self._headers())
        return self._reader.models(response)

    def _servers_steps(self) -> _Steps[list[str]]:
        """The web-search MCP servers (``GET /api/mcp/servers``, read once; none on servers
        without MCP)."""
        if self._search_servers is None:
            url = f"{self.base_url}/api/mcp/servers"
            response = yield _Request("GET", url, self._headers())
            try:
                body = response.json() if response.status_code < 300 else []
            except ValueError:
                body = []
            self._search_servers = search_servers(body)
        return self._search_servers

    def _create_steps(self, model: str | None) -> _Steps[Conversation]:
        """Create a conversation with ``model`` (the default when None); its root message id
        comes with the answer (2026) or from the conversation's data."""
        model = yield from self._model_steps(model)
        headers = self._headers(**{"Content-Type": "application/json"})
        url = f"{self.base_url}/conversation"
        response = yield _Request("POST", url, headers, json={"model": model}, model=model)
        cid, root = self._reader.created(response, model)
        return Conversation(model, cid, root or (yield from self._message_id_steps(cid)))

    def _message_id_steps(self, cid: str) -> _Steps[str]:
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
    ) -> _Steps[tuple[Turn, Conversation]]:
        """Validate an ask, then create the conversation (when None), read the parent id
        (later turns) and the search servers (``web_search``)."""
        turn = plan_turn(model, messages, media, conversation, self.default_model or "?")
        if not model and conversation is None and not self.default_model:
            turn = dataclasses.replace(turn, model=(yield from self._model_steps(None)))
        conv = conversation or (yield from self._create_steps(turn.model))
        if conv.turns or conv.message_id is None:
            conv.message_id = yield from self._message_id_steps(conv.conversation_id)
        if web_search:
            yield from self._servers_steps()
        return turn, conv

    # -- async API ----------------------------------------------------------------------------
    async def _arun(self, steps: _Steps[_T]) -> _T:
        """Send each request of ``steps`` with the async client; their result."""
        try:
            request = next(steps)
            while True:
                try:
                    response = await self.http.aclient.request(
                        request.method, request.url, json=request.json, headers=request.headers
                    )
                except httpx.HTTPError as exc:
                    raise transport_failure(exc, request.model) from exc
                request = steps.send(response)
        except StopIteration as done:
            return done.value

    async def acreate_conversation(self, model: str | None = None) -> Conversation:
        """Start a conversation with ``model`` (and read its root message id).

        Raises :class:`~hf_router.errors.MissingAuthError` (no/expired cookies, naming a
        missing ``token``) and :class:`~hf_router.errors.BadRequestError` (a model HuggingChat
        does not offer)."""
        return await self._arun(self._create_steps(model))

    async def afetch_message_id(self, conversation_id: str) -> str:
        """The id of the conversation's last message (the parent of the next one): the JSON
        APIs first, SvelteKit's ``__data.json`` last; unreadable →
        :class:`~hf_router.errors.ConversationError` with the conversation id."""
        return await self._arun(self._message_id_steps(conversation_id))

    async def aget_default_model(self) -> str:
        """The model of new conversations: ``default_model``, else the server's default (the
        first of ``GET /api/models``, read once)."""
        return await self._arun(self._model_steps(None))

    async def alist_models(self) -> list[str]:
        """The ids of the models HuggingChat offers (``GET /api/models``), the default first."""
        return await self._arun(self._models_steps())

    async def aask(
        self,
        model: str | None,
        messages: Any,
        *,
        web_search: bool = False,
        media: Sequence[Any] | None = None,
        conversation: Conversation | None = None,
        tools: Sequence[str] = (),
    ) -> AsyncIterator[Event | Conversation]:
        """Send a message and stream the answer's events.

        The first item is the :class:`Conversation` in use (created when ``None``), updated in
        place: keep it for the next turn. The first turn sends the whole formatted history,
        later turns only the last user message, answering the conversation's last message.
        ``media``: bytes, paths, data URIs or ``(item, filename)`` tuples, uploaded as files
        (so are the images inside the trailing user messages). ``web_search`` selects the
        server's web-search MCP servers (2026) and sets ``web_search`` (older servers).
        Then :class:`~hf_router.events.TextDelta`, ``ReasoningDelta``, ``Status``,
        ``ToolActivity``, ``ProviderInfo``, ``Title``, ``MediaResult``, and at the end
        ``Sources`` (if any) and ``Finish``. A stream that breaks is replayed once from the
        server's generation log when it has one."""
        async for item in self._aask(model, messages, web_search, media, conversation, tools):
            if not isinstance(item, AnswerStream):
                yield item

    async def _aask(
        self,
        model: str | None,
        messages: Any,
        web_search: bool,
        media: Sequence[Any] | None,
        conversation: Conversation | None,
        tools: Sequence[str],
    ) -> AsyncIterator[Event | Conversation | AnswerStream]:
        prepared = self._prepare_steps(model, messages, media, conversation, web_search)
        turn, conv = await self._arun(prepared)
        yield conv
        url, headers, body, generation = self._ask_request(conv, turn, web_search, tools)
        answer = self._reader.stream(conv, turn)
        broken: httpx.HTTPError | None = None
        try:
            async with self.http.aclient.stream("POST", url, content=body, headers=headers) as r:
                if r.status_code >= 300:
                    await r.aread()
                answer.open(r)
                async for chunk in r.aiter_bytes():
                    for event in answer.feed(chunk):
                        yield event
                    if answer.done:
                        break
        except httpx.HTTPError as exc:
            if not answer.parser.answered and not answer.can_resume(exc):
                raise answer.broken(exc) from exc
            broken = exc
        if broken is not None and not answer.parser.answered:
            replay_url, replay_headers = self._replay_request(conv, generation)
            try:
                async with self.http.aclient.stream("GET", replay_url, headers=replay_headers) as r:
                    if not answer.start_replay(r):
                        raise answer.broken(broken) from broken
                    async for chunk in r.aiter_bytes():
                        for event in answer.replay(chunk):
                            yield event
                        if answer.replay_over:
                            break
            except httpx.HTTPError as exc:
                raise answer.broken(broken) from exc
        if not answer.done:
            for event in answer.close():
                yield event
        yield answer

    async def asearch(
        self, query: str, *, model: str | None = None, conversation: Conversation | None = None
    ) -> SearchResult:
        """Ask ``query`` with web search on; the answer, its sources and the conversation."""
        messages = [{"role": "user", "content": query}]
        items = [i async for i in self._aask(model, messages, True, None, conversation, ())]
        return _search_result(items)

    async def aclose(self) -> None:
        """Close the pooled clients this client owns."""
        await self.http.aclose()

    # -- sync API -----------------------------------------------------------------------------
    def _run(self, steps: _Steps[_T]) -> _T:
        """Sync twin of :meth:`_arun` (the sync client)."""
        try:
            request = next(steps)
            while True:
                try:
                    response = self.http.client.request(
                        request.method, request.url, json=request.json, headers=request.headers
                    )
                except httpx.HTTPError as exc:
                    raise transport_failure(exc, request.model) from exc
                request = steps.send(response)
        except StopIteration as done:
            return done.value

    def create_conversation(self, model: str | None = None) -> Conversation:
        """Sync twin of :meth:`acreate_conversation`."""
        return self._run(self._create_steps(model))

    def fetch_message_id(self, conversation_id: str) -> str:
        """Sync twin of :meth:`afetch_message_id`."""
        return self._run(self._message_id_steps(conversation_id))

    def get_default_model(self) -> str:
        """Sync twin of :meth:`aget_default_model`."""
        return self._run(self._model_steps(None))

    def list_models(self) -> list[str]:
        """Sync twin of :meth:`alist_models`."""
        return self._run(self._models_steps())

    def ask(
        self,
        model: str | None,
        messages: Any,
        *,
        web_search: bool = False,
        media: Sequence[Any] | None = None,
        conversation: Conversation | None = None,
        tools: Sequence[str] = (),
    ) -> Iterator[Event | Conversation]:
        """Sync twin of :meth:`aask` (its own sync httpx streaming, no event loop)."""
        for item in self._ask(model, messages, web_search, media, conversation, tools):
            if not isinstance(item, AnswerStream):
                yield item

    def _ask(
        self,
        model: str | None,
        messages: Any,
        web_search: bool,
        media: Sequence[Any] | None,
        conversation: Conversation | None,
        tools: Sequence[str],
    ) -> Iterator[Event | Conversation | AnswerStream]:
        turn, conv = self._run(
            self._prepare_steps(model, messages, media, conversation, web_search)
        )
        yield conv
        url, headers, body, generation = self._ask_request(conv, turn, web_search, tools)
        answer = self._reader.stream(conv, turn)
        broken: httpx.HTTPError | None = None
        try:
            with self.http.client.stream("POST", url, content=body, headers=headers) as r:
                if r.status_code >= 300:
                    r.read()
                answer.open(r)
                for chunk in r.iter_bytes():
                    yield from answer.feed(chunk)
                    if answer.done:
                        break
        except httpx.HTTPError as exc:
            if not answer.parser.answered and not answer.can_resume(exc):
                raise answer.broken(exc) from exc
            broken = exc
        if broken is not None and not answer.parser.answered:
            replay_url, replay_headers = self._replay_request(conv, generation)
            try:
                with self.http.client.stream("GET", replay_url, headers=replay_headers) as r:
                    if not answer.start_replay(r):
                        raise answer.broken(broken) from broken
                    for chunk in r.iter_bytes():
                        yield from answer.replay(chunk)
                        if answer.replay_over:
                            break
            except httpx.HTTPError as exc:
                raise answer.broken(broken) from exc
        if not answer.done:
            yield from answer.close()
        yield answer

    def search(
        self, query: str, *, model: str | None = None, conversation: Conversation | None = None
    ) -> SearchResult:
        """Sync twin of :meth:`asearch`."""
        messages = [{"role": "user", "content": query}]
        return _search_result(list(self._ask(model, messages, True, None, conversation, ())))

    def close(self) -> None:
        """Close the pooled sync client this client owns."""
        self.http.close()


def _search_result(items: Sequence[Event | Conversation | AnswerStream]) -> SearchResult:
    """The :class:`SearchResult` of one ask's items (the answer is the final answer's text)."""
    answer = next((i.answer for i in items if isinstance(i, AnswerStream)), None)
    events = [i for i in items if not isinstance(i, AnswerStream)]
    return search_result(events, answer)
