"""Reading HuggingChat's HTTP answers, with no I/O, for both twins (sync and async) of
:class:`~hf_router.HuggingChatClient`: an error status as a typed error, the id of a new
conversation, the current message id (the JSON API, then SvelteKit's ``__data.json``), and
one streamed answer (:class:`AnswerStream`: the update parser and the conversation's
bookkeeping). Server text is redacted of the session's secrets before it is shown.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from .._shared.bodies import loads
from .._shared.deadline import StallGuard
from .._shared.http import transport_error
from .._shared.responses import error_from_response, redact, server_message
from ..errors import (
    BadRequestError,
    ConversationError,
    HFRouterError,
    InvalidInputError,
    MissingAuthError,
    StreamInterruptedError,
)
from ..events import Event
from ._updates import (
    PROVIDER,
    UpdateParser,
    message_id_from_api,
    message_id_from_data,
)
from ._wire import Conversation, Turn, check_id

__all__ = ["AnswerReader", "AnswerStream", "transport_failure"]

logger = logging.getLogger("hf_router")


def transport_failure(exc: httpx.HTTPError, model: str | None) -> HFRouterError:
    """A request that got no answer (connection, timeout) as a typed error."""
    return transport_error(exc, model=model, provider=PROVIDER)


@dataclass(frozen=True, slots=True)
class AnswerReader:
    """Reads the answers of the HuggingChat at ``chat_url``; ``secrets`` (the cookie values
    and header) are redacted from anything the server says."""

    chat_url: str
    secrets: tuple[str, ...] = field(repr=False)

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
            raise MissingAuthError(
                "HuggingChat did not accept the session cookie ('hf-chat'); it may have expired",
                server_message=message,
                **common,
            )
        if status == 400 and model:
            raise BadRequestError(
                f"HuggingChat refused the request for the model {model!r}",
                server_message=message,
                hint=f"Check the model id against HuggingChat's models ({self.chat_url}/models).",
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

    def created(self, response: httpx.Response, model: str) -> str:
        """The id of the conversation that ``POST /conversation`` created."""
        self.raise_for(response, model=model)
        try:
            cid = loads(response.content).get("conversationId")
            logger.debug("HuggingChat: created conversation %s with %s", cid, model)
            return check_id(cid)
        except (ValueError, AttributeError, InvalidInputError):
            raise ConversationError(
                "HuggingChat's answer to creating a conversation had no conversation id",
                model=model,
                provider=PROVIDER,
            ) from None

    def from_api(self, response: httpx.Response, cid: str) -> str | None:
        """The current message id from the JSON API's answer; None when it has none (then
        ``__data.json`` is asked). A rejected cookie is an error right away."""
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
                "HuggingChat: no message id from the JSON API (HTTP %d); trying __data.json",
                response.status_code,
            )
        return found

    def from_data(self, response: httpx.Response, cid: str) -> str:
        """The current message id from ``__data.json`` (the fallback), else
        :class:`~hf_router.errors.ConversationError`."""
        self.raise_for(response, cid=cid)
        found = message_id_from_data(response.text)
        if found is None:
            raise ConversationError(
                f"Could not read the current message id of conversation {cid} "
                "(neither from the JSON API nor from __data.json)",
                conversation_id=cid,
                provider=PROVIDER,
            )
        return found

    def stream(self, conv: Conversation, turn: Turn) -> AnswerStream:
        """The reader of the answer to ``turn`` in ``conv``."""
        return AnswerStream(self, conv, turn)


class AnswerStream:
    """One streamed answer: its :class:`UpdateParser`, fed with the raw chunks, and the
    conversation kept up to date as it goes (its title, and one more turn once the final
    answer came)."""

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

    @property
    def done(self) -> bool:
        """True once the final answer was read (the rest of the stream is not needed)."""
        return self.parser.done

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
        if self.parser.done and not self.counted:
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
