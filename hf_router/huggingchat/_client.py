"""HuggingChat (https://huggingface.co/chat): conversations with web search, through the
web app's own protocol (every chat-ui generation since 2023) and the session cookies copied
from a browser (no browser automation).

Each call is written once: its plain requests as steps (a generator that yields each request
and is sent its answer), which the async and sync twins run with their own HTTP client; the
answers are read by :mod:`hf_router.huggingchat._answer`.

See ``docs/huggingchat.md`` (usage) and ``docs/huggingchat-protocol.md`` (wire format).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from .._redact import scrub_traceback
from .._shared.bodies import (
    DEFAULT_MAX_RESPONSE_BYTES,
    aread_capped,
    capped_response,
    read_capped,
)
from .._shared.checks import check_model_arg, check_url
from .._shared.config import DEFAULT_CHAT_URL, ENV_CHAT_URL, Secret
from .._shared.deadline import (
    DEFAULT_DEADLINE,
    DEFAULT_STALL_TIMEOUT,
    Deadline,
    StallGuard,
    check_limit,
    check_size,
)
from .._shared.http import Closeable, HTTPSession
from ..errors import HFRouterError
from ..events import Event
from ._answer import AnswerStream, transport_failure
from ._steps import ClientSteps, Steps, _Request
from ._updates import PROVIDER
from ._wire import (
    COOKIE_NAME,
    DEFAULT_CHAT_MODEL,
    TOKEN_COOKIE_NAME,
    Conversation,
    SearchResult,
    check_ask_options,
    check_query,
    resolve_cookies,
    search_result,
)

__all__ = ["DEFAULT_CHAT_MODEL", "Conversation", "HuggingChatClient", "SearchResult"]

logger = logging.getLogger("hf_router")

_T = TypeVar("_T")


class HuggingChatClient(ClientSteps, Closeable):
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
        deadline: float | None = DEFAULT_DEADLINE,
        stall_timeout: float | None = DEFAULT_STALL_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        found = resolve_cookies(cookies, cookie_header)
        self._cookie = Secret("; ".join(f"{k}={v}" for k, v in found.items())) if found else None
        self._has_session = COOKIE_NAME in found
        self._cookie_names = frozenset(found)
        self._cookie_values = tuple(Secret(v) for v in found.values())
        # from here on no frame of this constructor holds a raw cookie (tracebacks' locals)
        found, cookies, cookie_header = {}, None, None
        check_url(base_url, "base_url")
        check_model_arg(default_model, "default_model")  # None: the server's default model
        self.deadline = check_limit("deadline", deadline)
        self.stall_timeout = check_limit("stall_timeout", stall_timeout)
        self.base_url = (base_url or os.environ.get(ENV_CHAT_URL) or DEFAULT_CHAT_URL).rstrip("/")
        parts = urlsplit(self.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self.default_model = default_model
        self._search_servers: list[str] | None = None
        self.http = HTTPSession(
            token=None,
            timeout=timeout,
            headers=headers,
            http_client=http_client,
            http_async_client=http_async_client,
            max_response_bytes=check_size("max_response_bytes", max_response_bytes),
        )

    def __repr__(self) -> str:
        if "http" not in vars(self):  # a constructor argument was refused (tracebacks)
            return f"<{type(self).__name__} (not built)>"
        state = "set" if self._has_session else "missing"
        token = "set" if TOKEN_COOKIE_NAME in self._cookie_names else "missing"
        return f"HuggingChatClient(base_url={self.base_url!r}, cookie={state}, token={token})"

    def __getstate__(self) -> None:
        raise TypeError(
            "A HuggingChatClient cannot be pickled: it holds the hf-chat session cookie, which "
            "never leaves the process. Build it inside the worker (a Ray actor's __init__, a "
            "multiprocessing initializer), where HuggingChatClient() reads HF_CHAT_COOKIE; to "
            "continue a conversation there, pickle its Conversation instead."
        )

    # -- async API ----------------------------------------------------------------------------
    def _timeout(self, deadline: Deadline, model: str | None, stall: bool = False) -> httpx.Timeout:
        deadline.check(model, PROVIDER)
        return deadline.timeout(self.http.client_timeout, self.stall_timeout if stall else None)

    async def _afetch(self, request: _Request, deadline: Deadline) -> httpx.Response:
        """One request's answer, read within ``max_response_bytes`` (its body is never a local
        of a frame that raises later)."""
        client = self.http.aclient
        sent = client.build_request(
            request.method,
            request.url,
            json=request.json,
            headers=request.headers,
            timeout=self._timeout(deadline, request.model),
        )
        try:
            streamed = await client.send(sent, stream=True)
            try:
                body = await aread_capped(streamed, self.http.max_response_bytes, provider=PROVIDER)
            finally:
                await streamed.aclose()
        except httpx.HTTPError as exc:
            raise transport_failure(exc, request.model) from exc
        return capped_response(streamed, body)

    async def _arun(self, steps: Steps[_T], deadline: Deadline | None = None) -> _T:
        """Send each request of ``steps`` with the async client (each answer read within
        ``max_response_bytes``, all within the call's deadline); their result."""
        deadline = deadline or Deadline(self.deadline)
        try:
            request = next(steps)
            while True:
                request = steps.send(await self._afetch(request, deadline))
        except StopIteration as done:
            return done.value
        except HFRouterError as exc:
            scrub_traceback(exc)
            raise

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
        check_ask_options(web_search, tools)
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
        deadline = Deadline(self.deadline)
        prepared = self._prepare_steps(model, messages, media, conversation, web_search)
        turn, conv = await self._arun(prepared, deadline)
        yield conv
        url, headers, body, generation = self._ask_request(conv, turn, web_search, tools)
        answer = self._reader.stream(conv, turn)
        guard = StallGuard(deadline, self.stall_timeout)
        timeout = self._timeout(deadline, conv.model, stall=True)
        broken: httpx.HTTPError | None = None
        try:
            async with self.http.aclient.stream(
                "POST", url, content=body, headers=headers, timeout=timeout
            ) as r:
                if r.status_code >= 300:
                    r = capped_response(r, await aread_capped(r, self.http.max_response_bytes))
                answer.open(r)
                async for chunk in r.aiter_bytes():
                    for event in answer.feed(chunk):
                        yield event
                    if answer.done:
                        break
                    answer.watch(guard)
        except httpx.HTTPError as exc:
            chunk = b""  # the server's raw bytes leave this frame's locals (capture_locals)
            if not answer.parser.answered and not answer.can_resume(exc):
                raise answer.broken(exc) from exc
            broken = exc
        except HFRouterError as exc:
            chunk = b""
            scrub_traceback(exc)
            raise
        if broken is not None and not answer.parser.answered:
            replay_url, replay_headers = self._replay_request(conv, generation)
            try:
                async with self.http.aclient.stream(
                    "GET", replay_url, headers=replay_headers, timeout=timeout
                ) as r:
                    if not answer.start_replay(r):
                        raise answer.broken(broken) from broken
                    async for chunk in r.aiter_bytes():
                        for event in answer.replay(chunk):
                            yield event
                        if answer.replay_over:
                            break
            except httpx.HTTPError as exc:
                chunk = b""
                raise answer.broken(broken) from exc
        chunk = b""  # from here on no raw server bytes in this frame's locals
        if not answer.done:
            for event in answer.close():
                yield event
        yield answer

    async def asearch(
        self, query: str, *, model: str | None = None, conversation: Conversation | None = None
    ) -> SearchResult:
        """Ask ``query`` with web search on; the answer, its sources and the conversation."""
        check_query(query)
        messages = [{"role": "user", "content": query}]
        items = [i async for i in self._aask(model, messages, True, None, conversation, ())]
        return _search_result(items)

    async def aclose(self) -> None:
        """Close the pooled clients this client owns."""
        await self.http.aclose()

    # -- sync API -----------------------------------------------------------------------------
    def _fetch(self, request: _Request, deadline: Deadline) -> httpx.Response:
        """Sync twin of :meth:`_afetch`."""
        client = self.http.client
        sent = client.build_request(
            request.method,
            request.url,
            json=request.json,
            headers=request.headers,
            timeout=self._timeout(deadline, request.model),
        )
        try:
            streamed = client.send(sent, stream=True)
            try:
                body = read_capped(streamed, self.http.max_response_bytes, provider=PROVIDER)
            finally:
                streamed.close()
        except httpx.HTTPError as exc:
            raise transport_failure(exc, request.model) from exc
        return capped_response(streamed, body)

    def _run(self, steps: Steps[_T], deadline: Deadline | None = None) -> _T:
        """Sync twin of :meth:`_arun` (the sync client)."""
        deadline = deadline or Deadline(self.deadline)
        try:
            request = next(steps)
            while True:
                request = steps.send(self._fetch(request, deadline))
        except StopIteration as done:
            return done.value
        except HFRouterError as exc:
            scrub_traceback(exc)
            raise

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
        check_ask_options(web_search, tools)
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
        deadline = Deadline(self.deadline)
        prepared = self._prepare_steps(model, messages, media, conversation, web_search)
        turn, conv = self._run(prepared, deadline)
        yield conv
        url, headers, body, generation = self._ask_request(conv, turn, web_search, tools)
        answer = self._reader.stream(conv, turn)
        guard = StallGuard(deadline, self.stall_timeout)
        timeout = self._timeout(deadline, conv.model, stall=True)
        broken: httpx.HTTPError | None = None
        try:
            with self.http.client.stream(
                "POST", url, content=body, headers=headers, timeout=timeout
            ) as r:
                if r.status_code >= 300:
                    r = capped_response(r, read_capped(r, self.http.max_response_bytes))
                answer.open(r)
                for chunk in r.iter_bytes():
                    yield from answer.feed(chunk)
                    if answer.done:
                        break
                    answer.watch(guard)
        except httpx.HTTPError as exc:
            chunk = b""  # the server's raw bytes leave this frame's locals (capture_locals)
            if not answer.parser.answered and not answer.can_resume(exc):
                raise answer.broken(exc) from exc
            broken = exc
        except HFRouterError as exc:
            chunk = b""
            scrub_traceback(exc)
            raise
        if broken is not None and not answer.parser.answered:
            replay_url, replay_headers = self._replay_request(conv, generation)
            try:
                with self.http.client.stream(
                    "GET", replay_url, headers=replay_headers, timeout=timeout
                ) as r:
                    if not answer.start_replay(r):
                        raise answer.broken(broken) from broken
                    for chunk in r.iter_bytes():
                        yield from answer.replay(chunk)
                        if answer.replay_over:
                            break
            except httpx.HTTPError as exc:
                chunk = b""
                raise answer.broken(broken) from exc
        chunk = b""  # from here on no raw server bytes in this frame's locals
        if not answer.done:
            yield from answer.close()
        yield answer

    def search(
        self, query: str, *, model: str | None = None, conversation: Conversation | None = None
    ) -> SearchResult:
        """Sync twin of :meth:`asearch`."""
        check_query(query)
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
