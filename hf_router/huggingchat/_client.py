"""HuggingChat (https://huggingface.co/chat): conversations with web search, through the
web app's own protocol and a session cookie copied from a browser (no browser automation).

Each call is written once: its plain requests as steps (a generator that yields each request
and is sent its answer), which the async and sync twins run with their own HTTP client; the
answers are read by :mod:`hf_router.huggingchat._answer`.

See ``docs/huggingchat.md`` (usage) and ``docs/huggingchat-protocol.md`` (wire format).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from .._redact import SecretValues, scrub_traceback
from .._shared.bodies import (
    DEFAULT_MAX_RESPONSE_BYTES,
    aread_capped,
    capped_response,
    read_capped,
)
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
from ..errors import HFRouterError, MissingAuthError
from ..events import Event
from ._answer import AnswerReader, transport_failure
from ._updates import PROVIDER
from ._wire import (
    COOKIE_NAME,
    DEFAULT_CHAT_MODEL,
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

    The cookie comes from ``cookies`` (``{"hf-chat": ...}``), ``cookie_header``
    (``"hf-chat=...; other=..."``) or the ``HF_CHAT_COOKIE`` environment variable (a bare value
    or a header). Without an ``hf-chat`` cookie the first request raises
    :class:`~hf_router.errors.MissingAuthError` with instructions. The cookie is a secret: it is
    never shown in ``repr``, logs, errors or saved conversations.

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
        default_model: str = DEFAULT_CHAT_MODEL,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        stall_timeout: float | None = DEFAULT_STALL_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.deadline = check_limit("deadline", deadline)
        self.stall_timeout = check_limit("stall_timeout", stall_timeout)
        self.base_url = (base_url or os.environ.get(ENV_CHAT_URL) or DEFAULT_CHAT_URL).rstrip("/")
        parts = urlsplit(self.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self.default_model = default_model
        found = resolve_cookies(cookies, cookie_header)
        self._cookie = Secret("; ".join(f"{k}={v}" for k, v in found.items())) if found else None
        self._has_session = COOKIE_NAME in found
        self._cookie_values = tuple(Secret(v) for v in found.values())
        self.http = HTTPSession(
            token=None,
            timeout=timeout,
            headers=headers,
            http_client=http_client,
            http_async_client=http_async_client,
            max_response_bytes=check_size("max_response_bytes", max_response_bytes),
        )

    def __repr__(self) -> str:
        state = "set" if self._has_session else "missing"
        return f"HuggingChatClient(base_url={self.base_url!r}, cookie={state})"

    @property
    def _secrets(self) -> SecretValues:
        """Values that must never appear in messages: each cookie value and the header."""
        found = [s.get_secret_value() for s in self._cookie_values]
        if self._cookie:
            found.append(self._cookie.get_secret_value())
        return SecretValues(found)

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
                **extra,
            },
        )

    def _url(self, conversation_id: str, suffix: str = "") -> str:
        return f"{self.base_url}/conversation/{check_id(conversation_id)}{suffix}"

    @property
    def _reader(self) -> AnswerReader:
        """Reads this session's answers (redacting its secrets)."""
        return AnswerReader(self.base_url, self._secrets)

    def _ask_request(
        self, conv: Conversation, turn: Turn, web_search: bool, tools: Sequence[str]
    ) -> tuple[str, dict[str, str], bytes]:
        data = {
            "inputs": turn.later_inputs if conv.turns else turn.first_inputs,
            "id": conv.message_id,
            "is_retry": False,
            "is_continue": False,
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
        return url, self._headers(referer=url, **{"Content-Type": content_type}), body

    # -- the calls' requests, for both twins ---------------------------------------------------
    def _create_steps(self, model: str | None) -> _Steps[Conversation]:
        """Create a conversation with ``model`` (the default when None), then look up its root
        message id."""
        model = model or self.default_model
        headers = self._headers()
        url = f"{self.base_url}/conversation"
        response = yield _Request("POST", url, headers, json={"model": model}, model=model)
        cid = self._reader.created(response, model)
        return Conversation(model, cid, (yield from self._message_id_steps(cid)))

    def _message_id_steps(self, cid: str) -> _Steps[str]:
        """The message-id lookup: the JSON API first, SvelteKit's ``__data.json`` as fallback."""
        api = _Request("GET", f"{self.base_url}/api/conversation/{check_id(cid)}", self._headers())
        found = self._reader.from_api((yield api), cid)
        if found is None:
            url = self._url(cid, "/__data.json?x-sveltekit-invalidated=11")
            data = _Request("GET", url, self._headers(referer=self._url(cid)))
            found = self._reader.from_data((yield data), cid)
        return found

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

    async def _arun(self, steps: _Steps[_T], deadline: Deadline | None = None) -> _T:
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

        Raises :class:`~hf_router.errors.MissingAuthError` (no/expired cookie) and
        :class:`~hf_router.errors.BadRequestError` (a model HuggingChat does not offer)."""
        return await self._arun(self._create_steps(model))

    async def afetch_message_id(self, conversation_id: str) -> str:
        """The id of the conversation's last message (the parent of the next one): the JSON
        API first, SvelteKit's ``__data.json`` as fallback; unreadable →
        :class:`~hf_router.errors.ConversationError` with the conversation id."""
        return await self._arun(self._message_id_steps(conversation_id))

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
        ``media``: bytes, paths, data URIs or ``(item, filename)`` tuples, uploaded as files.
        Then :class:`~hf_router.events.TextDelta`, ``ReasoningDelta``, ``Status``, ``Title``,
        ``MediaResult``, and at the end ``Sources`` (if any) and ``Finish``."""
        turn = plan_turn(model, messages, media, conversation, self.default_model)
        deadline = Deadline(self.deadline)
        conv = conversation or await self._arun(self._create_steps(turn.model), deadline)
        yield conv
        if conv.turns or conv.message_id is None:
            steps = self._message_id_steps(conv.conversation_id)
            conv.message_id = await self._arun(steps, deadline)
        url, headers, body = self._ask_request(conv, turn, web_search, tools)
        answer = self._reader.stream(conv, turn)
        guard = StallGuard(deadline, self.stall_timeout)
        timeout = self._timeout(deadline, conv.model, stall=True)
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
                        return
                    answer.watch(guard)
                for event in answer.close():
                    yield event
        except httpx.HTTPError as exc:
            chunk = b""  # the server's raw bytes leave this frame's locals (capture_locals)
            raise answer.broken(exc) from exc
        except HFRouterError as exc:
            chunk = b""
            scrub_traceback(exc)
            raise

    async def asearch(
        self, query: str, *, model: str | None = None, conversation: Conversation | None = None
    ) -> SearchResult:
        """Ask ``query`` with web search on; the answer, its sources and the conversation."""
        items = [
            item
            async for item in self.aask(
                model,
                [{"role": "user", "content": query}],
                web_search=True,
                conversation=conversation,
            )
        ]
        return search_result(items)

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

    def _run(self, steps: _Steps[_T], deadline: Deadline | None = None) -> _T:
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
        turn = plan_turn(model, messages, media, conversation, self.default_model)
        deadline = Deadline(self.deadline)
        conv = conversation or self._run(self._create_steps(turn.model), deadline)
        yield conv
        if conv.turns or conv.message_id is None:
            conv.message_id = self._run(self._message_id_steps(conv.conversation_id), deadline)
        url, headers, body = self._ask_request(conv, turn, web_search, tools)
        answer = self._reader.stream(conv, turn)
        guard = StallGuard(deadline, self.stall_timeout)
        timeout = self._timeout(deadline, conv.model, stall=True)
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
                        return
                    answer.watch(guard)
                yield from answer.close()
        except httpx.HTTPError as exc:
            chunk = b""  # the server's raw bytes leave this frame's locals (capture_locals)
            raise answer.broken(exc) from exc
        except HFRouterError as exc:
            chunk = b""
            scrub_traceback(exc)
            raise

    def search(
        self, query: str, *, model: str | None = None, conversation: Conversation | None = None
    ) -> SearchResult:
        """Sync twin of :meth:`asearch`."""
        messages = [{"role": "user", "content": query}]
        return search_result(
            list(self.ask(model, messages, web_search=True, conversation=conversation))
        )

    def close(self) -> None:
        """Close the pooled sync client this client owns."""
        self.http.close()
