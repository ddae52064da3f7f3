"""The attempt plan (providers, then fallback models) and one answer's stream state; no I/O.

The plan is a generator so that the sync and async drivers share it: it yields an
:class:`Attempt` to run, or a :class:`NeedMapping` that the driver answers (``send``) with the
model's live providers. The driver resumes the plan only after an attempt failed.

Plan for each model (the requested one, then each fallback model):

* ``repo:provider`` pinned: one attempt on that provider;
* otherwise the model string as given (bare id or ``:fastest``-style policy): the router
  chooses; if that fails and Hub lookups are on, each live ``conversational`` provider from
  the Hub mapping that has not failed yet, as ``repo:provider``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from .._redact import scrub_traceback
from .._shared.bodies import DEFAULT_MAX_RESPONSE_BYTES, loads
from .._shared.config import RetryPolicy
from .._shared.deadline import Deadline, StallGuard
from .._shared.http import transport_error
from .._shared.models import ModelRef
from .._shared.responses import summarize_body
from .._shared.sse import SSEDecoder
from ..errors import (
    AllProvidersFailedError,
    APIStatusError,
    AttemptFailure,
    AuthenticationError,
    BadRequestError,
    HFRouterError,
    InputTooLongError,
    InvalidInputError,
    MalformedResponseError,
    MissingTokenError,
    StreamInterruptedError,
    TimeoutError,
)
from ..events import (
    Event,
    Fallback,
    Finish,
    ProviderInfo,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from ._budget import warn_if_truncated
from ._decoder import ChatStreamDecoder
from ._resend import after_send, mark_stale

__all__ = [
    "AnswerStream",
    "Attempt",
    "NeedMapping",
    "PlanRunner",
    "attempt_plan",
    "falls_back",
]

logger = logging.getLogger("hf_router")

_CHAT_TASKS = frozenset({"conversational", "text-generation", "image-text-to-text", ""})


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try: ``wire_model`` is the string sent as ``"model"``."""

    number: int
    model: ModelRef
    provider: str | None
    provider_model_id: str | None = None

    @property
    def wire_model(self) -> str:
        return self.model.with_provider(self.provider) if self.provider else str(self.model)


@dataclass(frozen=True, slots=True)
class NeedMapping:
    """The plan needs the live providers of ``model``."""

    model: ModelRef


@dataclass(slots=True)
class PlanState:
    """What the driver tells the plan about failures."""

    failed: dict[str, set[str]] = field(default_factory=dict)

    def record(self, attempt: Attempt, error: HFRouterError) -> None:
        provider = error.provider or attempt.provider
        if provider:
            self.failed.setdefault(attempt.model.repo_id, set()).add(provider)


PlanStep = Attempt | NeedMapping


def attempt_plan(
    models: Sequence[ModelRef], *, hub_lookups: bool, state: PlanState
) -> Generator[PlanStep, object, None]:
    """Yield the attempts of a request in order (see the module docstring)."""
    number = 0
    for ref in models:
        if ref.provider:
            number += 1
            yield Attempt(number, ref, ref.provider)
            continue
        number += 1
        yield Attempt(number, ref, None)
        if not hub_lookups or not ref.is_hub_id:
            continue
        mapping = yield NeedMapping(ref)
        for entry in mapping or ():  # type: ignore[attr-defined]
            if entry.task not in _CHAT_TASKS:
                continue
            if entry.provider in state.failed.get(ref.repo_id, ()):
                continue
            number += 1
            yield Attempt(number, ref, entry.provider, entry.provider_id or None)


def falls_back(error: HFRouterError) -> bool:
    """Errors after which the next attempt is tried. A bad token, an invalid request, our own
    input errors and an interrupted stream never fall back."""
    if isinstance(
        error,
        (
            AuthenticationError,
            BadRequestError,
            InputTooLongError,
            InvalidInputError,
            MissingTokenError,
            StreamInterruptedError,
        ),
    ):
        return False
    return isinstance(error, HFRouterError)


class PlanRunner:
    """Walks the attempt plan for one request and keeps its failures; the sync and async
    drivers only do the I/O (fetching mappings, running attempts)."""

    def __init__(self, models: Sequence[ModelRef], *, hub_lookups: bool) -> None:
        self._state = PlanState()
        self._plan = attempt_plan(models, hub_lookups=hub_lookups, state=self._state)
        self._reply: object = None
        self.failures: list[AttemptFailure] = []

    def next(self, deadline: Deadline | None = None) -> PlanStep | None:
        """The next step, or None when the plan is exhausted; past the ``deadline`` its
        :class:`~hf_router.errors.TimeoutError` (naming the attempts that failed)."""
        if deadline is not None and deadline.expired:
            error = deadline.error()
            if self.failures:
                tried = "; ".join(str(f) for f in self.failures)
                error = TimeoutError(
                    f"{error.message}; {len(self.failures)} attempt(s) failed: {tried}",
                    hint=error.hint,
                )
            raise error
        reply, self._reply = self._reply, None
        try:
            return self._plan.send(reply)
        except StopIteration:
            return None

    def answer(self, mapping: object) -> None:
        """Give the plan the mapping a :class:`NeedMapping` step asked for (None if unknown)."""
        self._reply = mapping

    def fallback_event(self) -> Fallback | None:
        """The :class:`Fallback` to report before running the next attempt, if any failed."""
        if not self.failures:
            return None
        last = self.failures[-1]
        err = last.error
        return Fallback(
            last.attempt,
            last.model,
            last.provider,
            type(err).__name__,
            err.status_code,
            err.message,
        )

    def failed(self, attempt: Attempt, error: HFRouterError) -> None:
        """Record a failed attempt; re-raise errors that must not fall back. The finished
        frames of its traceback are cleared (they held the server's raw bytes)."""
        scrub_traceback(error)
        if not falls_back(error):
            raise error
        provider = error.provider or attempt.provider
        self.failures.append(AttemptFailure(attempt.number, attempt.model.repo_id, provider, error))
        self._state.record(attempt, error)
        logger.warning("Attempt %d (%s) failed: %s", attempt.number, attempt.wire_model, error)

    def final_error(self) -> HFRouterError:
        """The error once every attempt failed: the attempt's own error when there was only
        one, else :class:`AllProvidersFailedError` listing them all."""
        if len(self.failures) == 1:
            return self.failures[0].error
        return AllProvidersFailedError(self.failures)


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
