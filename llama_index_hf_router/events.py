"""LlamaIndex instrumentation events of the hf_router adapter.

:class:`SourcesEvent` is the LlamaIndex form of the core's :class:`hf_router.Sources` event. The
:class:`~llama_index_hf_router.HuggingChatRetriever` dispatches one per retrieval through
``llama_index.core.instrumentation``, so any event handler on the root dispatcher sees it::

    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler

    class SourcesPrinter(BaseEventHandler):
        def handle(self, event, **kwargs):
            if isinstance(event, SourcesEvent):
                print([s["url"] for s in event.sources])

    get_dispatcher().add_event_handler(SourcesPrinter())

:class:`FallbackEvent` and :class:`TrimmedEvent` are dispatched by
:class:`~llama_index_hf_router.HFRouter` while it answers: the first each time an attempt fails
and the next provider or fallback model is tried, the second when a long history was trimmed to
``max_inputs_lenght`` before sending.
"""

from __future__ import annotations

from collections.abc import Iterable

from llama_index.core.instrumentation.events import BaseEvent
from pydantic import Field

from hf_router import Fallback, Source, Trimmed

__all__ = ["FallbackEvent", "SourcesEvent", "TrimmedEvent", "source_to_dict"]


def source_to_dict(source: Source) -> dict[str, str]:
    """A core :class:`hf_router.Source` as a plain dict (``url``, ``title``, ``hostname``,
    ``snippet``)."""
    return {
        "url": source.url,
        "title": source.title,
        "hostname": source.hostname,
        "snippet": source.snippet,
    }


class SourcesEvent(BaseEvent):
    """Web-search sources HuggingChat used to answer ``query``.

    Attributes:
        query: The question that was searched.
        answer: HuggingChat's answer text.
        sources: Every source surfaced, in order, each a dict with ``url``, ``title``,
            ``hostname`` and ``snippet``.
        model: The HuggingChat model that answered, when known.
    """

    query: str
    answer: str = ""
    sources: list[dict[str, str]] = Field(default_factory=list)
    model: str | None = None

    @classmethod
    def class_name(cls) -> str:
        """The event's name in LlamaIndex instrumentation."""
        return "SourcesEvent"

    @classmethod
    def from_sources(
        cls, query: str, answer: str, sources: Iterable[Source], *, model: str | None = None
    ) -> SourcesEvent:
        """Build the event from the core's :class:`hf_router.Source` objects."""
        return cls(
            query=query,
            answer=answer,
            sources=[source_to_dict(s) for s in sources],
            model=model,
        )

    @property
    def urls(self) -> list[str]:
        """The sources' URLs, in order."""
        return [s["url"] for s in self.sources]


class FallbackEvent(BaseEvent):
    """An attempt failed before any answer text; HFRouter tries the next one.

    Attributes:
        attempt: The failed attempt's number (1 = the first try).
        model: The model of the failed attempt.
        provider: Its inference provider (``None`` when the router chose).
        error_type: The error's class name, e.g. ``PaymentRequiredError``.
        status_code: The HTTP status, when there was one.
        reason: The error message.
    """

    attempt: int
    model: str
    provider: str | None = None
    error_type: str
    status_code: int | None = None
    reason: str = ""

    @classmethod
    def class_name(cls) -> str:
        """The event's name in LlamaIndex instrumentation."""
        return "HFRouterFallbackEvent"

    @classmethod
    def from_core(cls, event: Fallback) -> FallbackEvent:
        """Build the event from the core's :class:`hf_router.Fallback`."""
        return cls(
            attempt=event.attempt,
            model=event.model,
            provider=event.provider,
            error_type=event.error_type,
            status_code=event.status_code,
            reason=event.reason,
        )


class TrimmedEvent(BaseEvent):
    """The chat history was fitted (older turns dropped, long messages shortened) before it
    was sent: to the model's context window, to ``max_inputs_lenght``, or after the provider
    refused it as too long.

    Attributes:
        model: The model the request was for.
        before: The input's size before fitting (characters, by ``calculate_lenght``).
        after: Its size after fitting.
        dropped_messages: How many messages were left out.
        limit: The budget it was fitted to (``calculate_lenght`` units).
        shortened_messages: How many messages were shortened from the middle.
        reason: ``"window"``, ``"limit"`` or ``"provider"`` (see :class:`hf_router.Trimmed`).
        details: What was dropped or shortened (positions and sizes, never message text).
    """

    model: str
    before: int
    after: int
    dropped_messages: int
    limit: int | None = None
    shortened_messages: int = 0
    reason: str = "limit"
    details: list[str] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        """The event's name in LlamaIndex instrumentation."""
        return "HFRouterTrimmedEvent"

    @classmethod
    def from_core(cls, event: Trimmed, *, model: str) -> TrimmedEvent:
        """Build the event from the core's :class:`hf_router.Trimmed`."""
        return cls(
            model=model,
            before=event.before,
            after=event.after,
            dropped_messages=event.dropped_messages,
            limit=event.limit,
            shortened_messages=event.shortened_messages,
            reason=event.reason,
            details=list(event.details),
        )
