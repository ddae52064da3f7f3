"""LlamaIndex instrumentation events for HuggingChat web-search sources.

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
"""

from __future__ import annotations

from collections.abc import Iterable

from llama_index.core.instrumentation.events import BaseEvent
from pydantic import Field

from hf_router import Source

__all__ = ["SourcesEvent", "source_to_dict"]


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
