"""Reading HuggingChat's HTTP answers, with no I/O, for both twins (sync and async) of
:class:`~hf_router.HuggingChatClient`: an error status as a typed error, a new conversation
(its id and, since 2026-07, its root message id), the current message id (the JSON APIs, then
SvelteKit's ``__data.json``), the model and MCP server lists, and one streamed answer
(:class:`AnswerStream`: the update parser, the conversation's bookkeeping and the replay of a
broken stream). Server text is redacted of the session's secrets before it is shown.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from .._shared.bodies import loads
from .._shared.deadline import StallGuard
from .._shared.http import transport_error
from .._shared.responses import error_from_response, redact, server_message
from .._shared.sse import SSEDecoder
from ..errors import (
    BadRequestError,
    ConversationError,
    HFRouterError,
    InvalidInputError,
    MissingAuthError,
    StreamInterruptedError,
)
from ..events import Event
from ._data import message_id_from_api, message_id_from_created, message_id_from_data, model_ids
from ._updates import PROVIDER, UpdateParser
from ._wire import COOKIE_NAME, TOKEN_COOKIE_NAME, Conversation, Turn, check_id

__all__ = ["AnswerReader", "AnswerStream", "ReplayFrames", "search_servers", "transport_failure"]

logger = logging.getLogger("hf_router")

_SEARCH_SERVER_RE = re.compile(r"search|exa", re.IGNORECASE)


def transport_failure(exc: httpx.HTTPError, model: str | None) -> HFRouterError:
    """A request that got no answer (connection, timeout) as a typed error."""
    return transport_error(exc, model=model, provider=PROVIDER)


def search_servers(body: Any) -> list[str]:
    """The names of the web-search MCP servers in ``GET /api/mcp/servers``'s answer."""
    out = []
    for server in body if isinstance(body, list) else []:
        if not isinstance(server, dict) or not isinstance(server.get("name"), str):
            continue
        where = (
            f"{server['name']} {server.get('url') if isinstance(server.get('url'), str) else ''}"
        )
        if _SEARCH_SERVER_RE.search(where) and server["name"] not in out:
            out.append(server["name"])
    return out


@dataclass(frozen=True, slots=True)
class AnswerReader:
    """Reads the answers of the HuggingChat at ``chat_url``; ``secrets`` (the cookie values
    and header) are redacted from anything the server says; ``cookie_names`` are the cookies
    sent (to say which one is missing when the session is refused)."""

    chat_url: str
    secrets: tuple[str, ...] = field(repr=False)
    cookie_names: frozenset[str] = frozenset({COOKIE_NAME})

    def _refused(self) -> str:
        if TOKEN_COOKIE_NAME not in self.cookie_names:
            return (
                f"HuggingChat did not accept the session: the '{TOKEN_COOKIE_NAME}' cookie is "
                f"missing (HuggingChat ties the '{COOKIE_NAME}' session to huggingface.co's "
                f"'{TOKEN_COOKIE_NAME}' login cookie; send both, e.g. HF_CHAT_COOKIE='"
                f"{COOKIE_NAME}=...; {TOKEN_COOKIE_NAME}=...')"
            )
        return (
            f"HuggingChat did not accept the session cookies ('{COOKIE_NAME}' and "
            f"'{TOKEN_COOKIE_NAME}'); they may have expired"
        )

    def raise_for(
        self, response: httpx.Response, *, model: str | None = None, cid: str | None = None
    ) -> None:
        """Nothing for a success; else the typed error for the status (a 3xx is a redirect
        to the login page: the cookie was not accepted)."""
        status = response.status_code
        if status < 300:
            return
        body = redact(response.text, self.secrets)
        message = redact(server_message(response.headers, body), self.secrets) or None
        common: dict[str, Any] = {"status_code": status, "provider": PROVIDER, "model": model}
        if status in (401, 403) or status < 400:
            raise MissingAuthError(self._refused(), server_message=message, **common)
        if status == 400 and model:
            raise BadRequestError(
                f"HuggingChat refused the request for the model {model!r}",
                server_message=message,
                hint=f"Check the model id against HuggingChat's models ({self.chat_url}/api/models).",
                **common,
            )
        if status == 404 and cid:
            raise ConversationError(
                f"HuggingChat has no conversation {cid!r}",
                conversation_id=cid,
                server_message=message,
                **common,
            )
        raise error_from_response(
            status, response.headers, body, model=model, provider=PROVIDER, secrets=self.secrets
        )

    def created(self, response: httpx.Response, model: str) -> tuple[str, str | None]:
        """The id of the conversation that ``POST /conversation`` created and, when the answer
        carries it (chat-ui 3b4e090ec, 2026-07-03), its root message id."""
        self.raise_for(response, model=model)
        try:
            body = loads(response.content)
            cid = check_id(body.get("conversationId"))
        except (ValueError, AttributeError, InvalidInputError):
            raise ConversationError(
                "HuggingChat's answer to creating a conversation had no conversation id",
                model=model,
                provider=PROVIDER,
            ) from None
        root = message_id_from_created(body)
        logger.debug("HuggingChat: created conversation %s with %s", cid, model)
        return cid, root

    def from_api(self, response: httpx.Response, cid: str) -> str | None:
        """The current message id from a JSON API's answer (plain or superjson); None when it
        has none (then the next form is asked). A rejected cookie is an error right away."""
        if response.status_code in (401, 403) or 300 <= response.status_code < 400:
            self.raise_for(response, cid=cid)
        try:
            found = (
                message_id_from_api(loads(response.content)) if response.status_code < 300 else None
            )
        except ValueError:
            found = None
        if found is None:
            logger.debug(
                "HuggingChat: no message id from %s (HTTP %d); trying the next form",
                response.request.url.path if response.request else "?",
                response.status_code,
            )
        return found

    def from_data(self, response: httpx.Response, cid: str) -> str:
        """The current message id from ``__data.json`` (the last resort), else
        :class:`~hf_router.errors.ConversationError`."""
        self.raise_for(response, cid=cid)
        found = message_id_from_data(response.text)
        if found is None:
            raise ConversationError(
                f"Could not read the current message id of conversation {cid} "
                "(neither from the JSON APIs nor from __data.json)",
                conversation_id=cid,
                provider=PROVIDER,
            )
        return found

    def models(self, response: httpx.Response) -> list[str]:
        """The model ids of ``GET /api/models`` (the default model first)."""
        self.raise_for(response)
        try:
            return model_ids(loads(response.content))
        except ValueError:
            raise ConversationError(
                "HuggingChat's model list was not JSON", provider=PROVIDER
            ) from None

    def stream(self, conv: Conversation, turn: Turn) -> AnswerStream:
        """The reader of the answer to ``turn`` in ``conv``."""
        return AnswerStream(self, conv, turn)


class ReplayFrames:
    """Incremental reader of the replay endpoint's Server-Sent Events: :meth:`feed` returns
    the completed ``(event, data)`` frames (comments such as ``: heartbeat`` are skipped).
    The shared SSE decoder reads it: linear in the body, with its line cap."""

    def __init__(self) -> None:
        self._sse = SSEDecoder()

    def feed(self, chunk: bytes | str) -> list[tuple[str, str]]:
        """The frames that ``chunk`` completes."""
        data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        return [(message.event, message.data) for message in self._sse.feed(data)]


class AnswerStream:
    """One streamed answer: its :class:`UpdateParser`, fed with the raw chunks, and the
    conversation kept up to date as it goes (its title, and one more turn once the final
    answer came). A stream that breaks can be replayed once (:meth:`replay_url`, then
    :meth:`replay`)."""

    def __init__(self, reader: AnswerReader, conv: Conversation, turn: Turn) -> None:
        self.reader, self.conv = reader, conv
        self.parser = UpdateParser(
            chat_url=reader.chat_url,
            conversation_id=conv.conversation_id,
            model=conv.model,
            prompt=turn.later_inputs,
            clock=time.monotonic,
            redact=lambda text: redact(text, reader.secrets),
        )
        self.counted = False
        self.opened = False
        self.resumed = False
        self._frames = ReplayFrames()
        self._replay_ended = False

    @property
    def done(self) -> bool:
        """True once the turn is over (``status: finished``; the rest is not needed)."""
        return self.parser.done

    @property
    def answer(self) -> str:
        """The final answer's text (``<think>`` removed; not a pre-tool preamble)."""
        return self.parser.text

    def open(self, response: httpx.Response) -> None:
        """Check the answer's status (its body already read when it is an error)."""
        self.reader.raise_for(response, model=self.conv.model, cid=self.conv.conversation_id)
        self.opened = True

    def feed(self, chunk: bytes) -> list[Event]:
        """The events of one raw network chunk."""
        events = self.parser.feed(chunk)
        self._note()
        return events

    def close(self) -> list[Event]:
        """The events of a last unterminated line at the end of the stream; a
        :class:`~hf_router.errors.ConversationError` when the final answer never came."""
        events = self.parser.close()
        self._note()
        return events

    def _note(self) -> None:
        if self.parser.title:
            self.conv.title = self.parser.title
        if self.parser.answered and not self.counted:
            self.conv.turns += 1
            self.counted = True

    def watch(self, guard: StallGuard) -> None:
        """After a network chunk: past the call's deadline a
        :class:`~hf_router.errors.TimeoutError`; no complete line for the guard's ``stall``
        seconds a :class:`~hf_router.errors.StreamInterruptedError` with the text so far."""
        verdict = guard.progress(self.parser.line_count)
        if verdict == "deadline":
            raise guard.deadline.error(self.conv.model, PROVIDER)
        if verdict == "stall":
            raise StreamInterruptedError(
                f"HuggingChat's answer completed no update for {guard.stall:g}s (stall_timeout)",
                partial_text=self.parser.text,
                model=self.conv.model,
                provider=PROVIDER,
            )

    def broken(self, exc: httpx.HTTPError) -> HFRouterError:
        """The error for a transport failure: before the answer opened (or a timeout) as
        such, after it a :class:`~hf_router.errors.ConversationError` (the answer broke)."""
        if not self.opened or isinstance(exc, httpx.TimeoutException):
            return transport_failure(exc, self.conv.model)
        return ConversationError(
            f"HuggingChat's answer stream broke before the final answer ({type(exc).__name__})",
            conversation_id=self.conv.conversation_id,
            model=self.conv.model,
            provider=PROVIDER,
        )

    def can_resume(self, exc: httpx.HTTPError) -> bool:
        """True when a broken stream should be replayed (once, after it opened)."""
        return self.opened and not self.resumed and not isinstance(exc, httpx.TimeoutException)

    def start_replay(self, response: httpx.Response) -> bool:
        """Check the replay endpoint's answer; False when the server cannot replay (then the
        original error stands)."""
        self.resumed = True
        kind = response.headers.get("content-type", "")
        if response.status_code != 200 or not kind.startswith("text/event-stream"):
            logger.debug("HuggingChat: no stream replay (HTTP %d)", response.status_code)
            return False
        logger.debug("HuggingChat: replaying the broken answer stream")
        self.parser.rewind()
        return True

    def replay(self, chunk: bytes) -> list[Event]:
        """The events of one chunk of the replay's Server-Sent Events."""
        events: list[Event] = []
        for event, data in self._frames.feed(chunk):
            if event == "update":
                try:
                    update = loads(data)
                except ValueError:
                    logger.warning("HuggingChat's replay sent an update that is not JSON (skipped)")
                    continue
                events.extend(self.parser.apply(update))
            elif event == "end":
                self._replay_ended = True
                try:
                    status = loads(data).get("status")
                except (ValueError, AttributeError):
                    status = None
                if status == "gone" and not self.parser.answered:
                    raise ConversationError(
                        "HuggingChat's answer stream broke and the server no longer has the run",
                        conversation_id=self.conv.conversation_id,
                        model=self.conv.model,
                        provider=PROVIDER,
                    )
            if self.parser.done or self._replay_ended:
                break
        self._note()
        return events

    @property
    def replay_over(self) -> bool:
        """True once the replay sent its ``end`` (or the turn finished)."""
        return self._replay_ended or self.parser.done
