"""One instrumentation-event collector for the LlamaIndex tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from pydantic import Field


class EventCollector(BaseEventHandler):
    """Keeps every event it sees (only instances of ``kinds`` when given)."""

    events: list[Any] = Field(default_factory=list)
    kinds: tuple[type, ...] = ()

    @classmethod
    def class_name(cls) -> str:
        return "HFRouterTestEventCollector"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if not self.kinds or isinstance(event, self.kinds):
            self.events.append(event)


@contextmanager
def collect_events(*kinds: type) -> Iterator[EventCollector]:
    """A collector on the root dispatcher, removed afterwards."""
    root = get_dispatcher()
    handler = EventCollector(kinds=kinds)
    root.add_event_handler(handler)
    try:
        yield handler
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not handler]
