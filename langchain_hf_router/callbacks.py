"""Collect HuggingChat web-search sources surfaced during LangChain runs.

``HuggingChatSourcesCallbackHandler`` listens for the custom event ``hf_router_sources``
(dispatched by :class:`~langchain_hf_router.HuggingChatSearchRetriever` and any other component
that reports sources) and for retriever results whose documents carry a ``url`` in their
metadata. ``get_sources_callback()`` attaches one to every run inside a ``with`` block, in the
style of ``langchain_core.callbacks.get_usage_metadata_callback()``::

    with get_sources_callback() as cb:
        chain.invoke("question")
    for source in cb.sources:
        print(source.url, source.title)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.tracers.context import register_configure_hook

from hf_router import Source, Sources

__all__ = ["SOURCES_EVENT", "HuggingChatSourcesCallbackHandler", "get_sources_callback"]

SOURCES_EVENT = "hf_router_sources"
"""Name of the custom event whose data is ``{"sources": [...], ...}``."""

_FIELDS = ("title", "hostname", "snippet")


class HuggingChatSourcesCallbackHandler(BaseCallbackHandler):
    """Collects every web-search source seen during the runs it is attached to.

    Sources come from ``hf_router_sources`` custom events (their ``sources`` entries may be dicts
    with ``url``/``title``/``hostname``/``snippet``, :class:`hf_router.Source` objects, or an
    :class:`hf_router.Sources` event) and from ``on_retriever_end`` documents that carry a
    ``url`` in their metadata. They are deduplicated by URL, in first-seen order; a later sighting
    fills fields that were still empty. Safe to share between threads and concurrent runs.
    """

    run_inline: bool = True  # cheap and locked: no need for an executor in async runs

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._by_url: dict[str, Source] = {}
        self._forward_to: HuggingChatSourcesCallbackHandler | None = None

    @property
    def sources(self) -> list[Source]:
        """The sources collected so far (a copy), deduplicated by URL, in first-seen order."""
        with self._lock:
            return list(self._by_url.values())

    @property
    def urls(self) -> list[str]:
        """The URLs of :attr:`sources`."""
        return [source.url for source in self.sources]

    def clear(self) -> None:
        """Forget every collected source."""
        with self._lock:
            self._by_url.clear()

    def add_sources(self, sources: Iterable[Source]) -> None:
        """Record ``sources`` (deduplicated by URL)."""
        batch = [s for s in sources if s.url]
        with self._lock:
            for source in batch:
                known = self._by_url.get(source.url)
                self._by_url[source.url] = source if known is None else _merge(known, source)
        if self._forward_to is not None:
            self._forward_to.add_sources(batch)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sources={len(self.sources)})"

    # -- callbacks ---------------------------------------------------------------------------
    def on_custom_event(
        self,
        name: str,
        data: Any,
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Collect the sources of an ``hf_router_sources`` event; other events are ignored."""
        if name == SOURCES_EVENT:
            self.add_sources(_coerce_sources(data))

    def on_retriever_end(
        self,
        documents: Sequence[Document],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Collect documents whose metadata has a ``url`` (any retriever)."""
        self.add_sources(
            source for doc in documents if (source := _document_source(doc)) is not None
        )


def _merge(known: Source, new: Source) -> Source:
    updates = {f: getattr(new, f) for f in _FIELDS if not getattr(known, f) and getattr(new, f)}
    return known if not updates else Source(**{"url": known.url, **_fields(known), **updates})


def _fields(source: Source) -> dict[str, str]:
    return {f: getattr(source, f) for f in _FIELDS}


def _coerce_sources(data: Any) -> list[Source]:
    """Sources from an event payload: ``{"sources": [...]}``, a ``Sources`` event or a list."""
    if isinstance(data, Sources):
        return list(data.sources)
    items = data.get("sources", ()) if isinstance(data, Mapping) else data
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes)):
        return []
    out: list[Source] = []
    for item in items:
        if isinstance(item, Source):
            out.append(item)
        elif isinstance(item, Mapping) and isinstance(item.get("url"), str):
            out.append(_source(item["url"], item))
    return out


def _source(url: str, fields: Mapping[str, Any]) -> Source:
    """A ``Source`` from loosely typed fields; the hostname defaults to the URL's."""
    values = {f: str(fields.get(f) or "") for f in _FIELDS}
    values["hostname"] = values["hostname"] or urlsplit(url).hostname or ""
    return Source(url=url, **values)


def _document_source(doc: Document) -> Source | None:
    url = doc.metadata.get("url") if isinstance(doc.metadata, Mapping) else None
    if not isinstance(url, str) or not url:
        return None
    return _source(url, doc.metadata)


_sources_callback_var: ContextVar[HuggingChatSourcesCallbackHandler | None] = ContextVar(
    "hf_router_sources_callback", default=None
)
# Registered once: every callback manager configured while the variable is set gets the handler
# (inheritable, so nested runs report too). Nested `with` blocks forward to the outer handler.
register_configure_hook(_sources_callback_var, inheritable=True)


@contextmanager
def get_sources_callback() -> Iterator[HuggingChatSourcesCallbackHandler]:
    """Collect the sources of every LangChain run inside the ``with`` block.

    No ``callbacks=`` needed: like ``get_usage_metadata_callback()``, the handler is attached
    through a configure hook and a context variable (so it follows ``contextvars`` into threads
    LangChain starts and into asyncio tasks). In nested blocks the outer handler also receives
    what the inner one collects.

    Example:
        ```python
        with get_sources_callback() as cb:
            retriever.invoke("query")
        cb.sources  # [Source(url=..., title=..., hostname=..., snippet=...), ...]
        ```
    """
    handler = HuggingChatSourcesCallbackHandler()
    handler._forward_to = _sources_callback_var.get()
    token = _sources_callback_var.set(handler)
    try:
        yield handler
    finally:
        _sources_callback_var.reset(token)
