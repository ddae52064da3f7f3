"""One answer being received, with no I/O: bytes in, events out (:class:`AnswerStream`), and
the two context managers the client's sync and async twins wrap their I/O in (``sending``,
``reading``), which turn transport failures into the typed errors of the attempt."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from .._shared.bodies import DEFAULT_MAX_RESPONSE_BYTES, loads
from .._shared.config import RetryPolicy
from .._shared.deadline import StallGuard
from .._shared.http import transport_error
from .._shared.responses import summarize_body
from .._shared.sse import SSEDecoder
from ..errors import (
    APIStatusError,
    HFRouterError,
    MalformedResponseError,
    StreamInterruptedError,
)
from ..events import (
    Event,
    Finish,
    ProviderInfo,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from ._attempts import Attempt
from ._budget import warn_if_truncated
from ._decoder import ChatStreamDecoder
from ._resend import after_send, mark_stale

__all__ = ["AnswerStream", "reading", "sending"]

logger = logging.getLogger("hf_router")


class AnswerStream:
    """The state of one answer being received: bytes in, events out.

    Emits :class:`ProviderInfo` before the first event, tracks exactly the text handed out
    (for :class:`StreamInterruptedError`), defers an error found after some events of a
    network chunk so that those events are still delivered first, and warns once when the
    answer was cut at the token limit (``cap``: the ``max_tokens`` sent, if any).
    """

    __slots__ = (
        "_cap",
        "_deferred",
        "_finish",
        "_info",
        "_is_json",
        "_json_parts",
        "_json_size",
        "_reasoning",
        "_sse",
        "_text",
        "_tool_calls",
        "_usage",
        "attempt",
        "decoder",
        "max_bytes",
        "messages",
        "started",
    )

    def __init__(
        self,
        attempt: Attempt,
        provider: str | None,
        content_type: str,
        cap: int | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.attempt = attempt
        self._cap = cap
        self._finish: Finish | None = None
        self._usage: Usage | None = None
        self._tool_calls = False
        self.max_bytes = max_bytes
        self.messages = 0
        self._json_size = 0
        self._info = ProviderInfo(
            str(attempt.model.repo_id), provider, attempt.provider_model_id, attempt.number
        )
        self.decoder = ChatStreamDecoder(model=attempt.wire_model, provider=provider)
        self._is_json = "application/json" in content_type
        self._json_parts: list[bytes] = []
        self._sse = SSEDecoder()
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._deferred: HFRouterError | None = None
        self.started = False

    @property
    def provider_info(self) -> ProviderInfo:
        return self._info

    def _emit(self, events: list[Event]) -> list[Event]:
        for ev in events:
            kind = type(ev)
            if kind is TextDelta:
                self._text.append(ev.text)  # type: ignore[union-attr]
            elif kind is ReasoningDelta:
                self._reasoning.append(ev.text)  # type: ignore[union-attr]
            elif kind is Finish:
                self._finish = ev  # type: ignore[assignment]
            elif kind is Usage:
                self._usage = ev  # type: ignore[assignment]
            elif kind is ToolCallDelta:
                self._tool_calls = True
        if events and not self.started:
            self.started = True
            events.insert(0, self._info)
        return events

    def feed(self, chunk: bytes) -> list[Event]:
        """Decode a network chunk."""
        if self._deferred is not None:
            raise self._deferred
        if self._is_json:
            self._json_size += len(chunk)
            if self._json_size > self.max_bytes:
                self._json_parts.clear()
                raise MalformedResponseError(
                    f"The answer is larger than the limit of {self.max_bytes} bytes; it was "
                    "not read",
                    model=self.decoder.model,
                    provider=self.decoder.provider,
                    hint="Raise max_response_bytes if you expect answers this large.",
                )
            self._json_parts.append(chunk)
            return []
        out: list[Event] = []
        try:
            for message in self._sse.feed(chunk):
                self.messages += 1
                if self.decoder.done:
                    break
                self.decoder.feed_data(message.data, message.event, out)
        except HFRouterError as exc:
            if not out:
                raise
            self._deferred = exc
        return self._emit(out)

    def end(self) -> list[Event]:
        """The body ended: the last events, or an error if the answer was incomplete."""
        if self._deferred is not None:
            raise self._deferred
        out: list[Event] = []
        if self._is_json:
            raw = b"".join(self._json_parts)
            self._json_parts.clear()
            try:
                body = loads(raw)
            except ValueError:
                raise MalformedResponseError(
                    "The server answered with invalid JSON: "
                    + summarize_body(raw[:2000].decode("utf-8", "replace")),
                    model=self.decoder.model,
                    provider=self.decoder.provider,
                ) from None
            out.extend(self.decoder.feed_completion(body))
        else:
            for message in self._sse.close():
                if not self.decoder.done:
                    self.decoder.feed_data(message.data, message.event, out)
            if not self.decoder.complete:
                empty = not self.started and self.decoder.response_id is None
                raise MalformedResponseError(
                    "The stream ended before any data arrived"
                    if empty
                    else "The stream ended before the answer was complete (no finish reason "
                    "and no [DONE])",
                    model=self.decoder.model,
                    provider=self.decoder.provider,
                    hint="The server failed after starting the answer; retry, or check its logs."
                    if empty
                    else None,
                )
        out.extend(self.decoder.finish())
        events = self._emit(out)
        if not self.started:
            self.started = True
            events.insert(0, self._info)
        warn_if_truncated(
            self._finish.reason if self._finish else None,
            model=self.decoder.model,
            provider=self._info.provider,
            max_tokens=self._cap,
            usage=self._usage,
            text="".join(self._text),
            reasoning="".join(self._reasoning),
            has_tool_calls=self._tool_calls,
        )
        return events

    def watch(self, guard: StallGuard) -> None:
        """After a network chunk: past the call's deadline a
        :class:`~hf_router.errors.TimeoutError`, and a stream that completed no event for the
        guard's ``stall`` seconds a :class:`~hf_router.errors.StreamInterruptedError` holding
        what arrived."""
        verdict = guard.progress(self.messages)
        if verdict == "deadline":
            raise guard.deadline.error(self.decoder.model, self.decoder.provider)
        if verdict == "stall":
            raise StreamInterruptedError(
                f"The stream completed no event for {guard.stall:g}s (stall_timeout)",
                partial_text="".join(self._text),
                partial_reasoning="".join(self._reasoning),
                provider=self._info.provider,
                model=self._info.model,
                hint="The server stopped making progress; what arrived is in .partial_text. "
                "Retry, or raise stall_timeout.",
            )

    def interrupted(self, error: HFRouterError) -> HFRouterError:
        """The error to raise for a failure mid-answer: a :class:`StreamInterruptedError`
        with the text delivered so far once anything was delivered, else ``error`` itself."""
        if not self.started or isinstance(error, StreamInterruptedError):
            return error
        status = error.status_code if isinstance(error, APIStatusError) else None
        return StreamInterruptedError(
            f"The stream broke after text was delivered ({type(error).__name__}: {error.message})",
            partial_text="".join(self._text),
            partial_reasoning="".join(self._reasoning),
            provider=self._info.provider,
            model=self._info.model,
            status_code=status,
            server_message=error.server_message,
        )


@contextmanager
def sending(attempt: Attempt, policy: RetryPolicy | None = None) -> Iterator[None]:
    """Around sending one request: a transport failure becomes the typed error of ``attempt``
    (which says it is not retried when it came after the request was sent, unless
    ``policy.retry_after_send``; a stale keep-alive connection counts as not sent: see
    :mod:`._resend`)."""
    started = time.monotonic()
    try:
        yield
    except httpx.HTTPError as exc:
        error = transport_error(exc, model=attempt.wire_model, provider=attempt.provider)
        mark_stale(error, time.monotonic() - started)
        if policy is not None and not policy.retry_after_send:
            error = after_send(error)
        raise error from None


@contextmanager
def reading(answer: AnswerStream) -> Iterator[None]:
    """Around reading an answer: any failure becomes :meth:`AnswerStream.interrupted` (which
    keeps what was delivered, so a broken stream is never retried after its first token)."""
    try:
        yield
    except httpx.HTTPError as exc:
        attempt = answer.attempt
        error = transport_error(exc, model=attempt.wire_model, provider=attempt.provider)
        raise answer.interrupted(after_send(error)) from None
    except HFRouterError as exc:
        raise answer.interrupted(exc) from None
