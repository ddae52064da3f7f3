"""``HuggingChatSearchRetriever``: HuggingChat web-search sources as LangChain ``Document``s.

A thin ``BaseRetriever`` over :class:`hf_router.HuggingChatClient`: each retrieval runs one
web-search turn in a fresh conversation (``asearch`` / ``search``) and maps every
:class:`hf_router.Source` to a ``Document``. The sources are also dispatched as the custom
callback event ``hf_router_sources`` (see :mod:`langchain_hf_router.callbacks`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.utils import secret_from_env
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from hf_router import HuggingChatClient, SearchResult, Source

from ._run import validated_init
from .callbacks import SOURCES_EVENT

__all__ = ["HuggingChatSearchRetriever", "source_to_document", "sources_payload"]


class HuggingChatSearchRetriever(BaseRetriever):
    """Retrieve web pages through HuggingChat's web search.

    One ``Document`` per source HuggingChat used: ``page_content`` is the source's title and
    snippet (separated by a blank line), ``metadata`` holds ``url``, ``title``, ``hostname`` and
    ``answer`` (HuggingChat's answer to the query, the same for every document of a call).
    ``k`` caps the number of documents, per instance or per call (``invoke(query, k=2)``).
    Each retrieval also dispatches the custom event ``hf_router_sources``
    (``{"query", "sources", "answer"}``, every source HuggingChat used, even beyond ``k``), so
    tracing, ``astream_events`` and :class:`~langchain_hf_router.HuggingChatSourcesCallbackHandler`
    see them.

    Authentication is HuggingChat's session cookies (``cookie`` or ``HF_CHAT_COOKIE``): a whole
    ``Cookie`` header ``"hf-chat=...; token=..."`` (the current HuggingChat needs both), or a
    bare ``hf-chat`` value (older servers). Without one, retrieval raises the core's
    :class:`hf_router.errors.MissingAuthError`, which explains how to copy them from a browser
    (and names a missing ``token``); other failures are the core's typed errors too
    (:class:`hf_router.errors.HFRouterError`). Sources come from HuggingChat's web-search tool
    results (MCP) or, on older servers, its ``webSearch`` updates: the same documents.

    Example:
        ```python
        from langchain_hf_router import HuggingChatSearchRetriever

        retriever = HuggingChatSearchRetriever(k=3)  # cookie from HF_CHAT_COOKIE
        docs = retriever.invoke("latest CPython release")
        [d.metadata["url"] for d in docs]
        ```
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    model: str | None = None
    """HuggingChat model (default: the core's default HuggingChat model)."""
    k: int = Field(default=4, ge=1)
    """Maximum number of documents returned."""
    cookie: SecretStr | None = Field(
        default_factory=secret_from_env("HF_CHAT_COOKIE", default=None), alias="hf_chat_cookie"
    )
    """``"hf-chat=...; token=..."`` (a ``Cookie`` header) or a bare ``hf-chat`` value; default
    ``HF_CHAT_COOKIE``."""
    base_url: str | None = None
    """HuggingChat base URL (default ``HF_CHAT_BASE_URL``, else https://huggingface.co/chat)."""
    timeout: float = 120.0
    """HTTP timeout per request, in seconds."""

    _client: HuggingChatClient = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        """Validate the fields and build the core client; bad values raise
        :class:`~hf_router.errors.InvalidInputError` naming the field (not Pydantic's error)."""
        validated_init(super().__init__, type(self), kwargs)

    def __getstate__(self) -> dict[Any, Any]:
        raise TypeError(
            "HuggingChatSearchRetriever cannot be pickled: it holds a secret and live connections, which never"
            " leave the process. Build it inside the worker (a Ray actor's __init__, a multiprocessing initializer), where "
            "HuggingChatSearchRetriever() reads HF_CHAT_COOKIE."
        )

    def model_post_init(self, context: Any, /) -> None:
        """Build the core client once (it opens its HTTP connections lazily)."""
        super().model_post_init(context)
        cookie = self.cookie.get_secret_value().strip() if self.cookie else ""
        auth: dict[str, Any] = {}
        if "hf-chat=" in cookie or ";" in cookie:  # a whole Cookie header (as the core reads env)
            auth["cookie_header"] = cookie
        elif cookie:
            auth["cookies"] = {"hf-chat": cookie}
        self._client = HuggingChatClient(**auth, base_url=self.base_url, timeout=self.timeout)

    @property
    def lc_secrets(self) -> dict[str, str]:
        """``cookie`` is serialised as a reference to ``HF_CHAT_COOKIE``, never its value."""
        return {"cookie": "HF_CHAT_COOKIE"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """The retriever's configuration can be serialised (secrets excluded)."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """``["langchain_hf_router", "retrievers"]``."""
        return ["langchain_hf_router", "retrievers"]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        """Run one web-search turn and return up to ``k`` documents."""
        result = self._client.search(query, model=self.model)
        dispatch_custom_event(
            SOURCES_EVENT,
            sources_payload(query, result),
            config={"callbacks": run_manager.get_child()},
        )
        return self._documents(result, k)

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
    ) -> list[Document]:
        """Async twin of :meth:`_get_relevant_documents` (the core's ``asearch``)."""
        result = await self._client.asearch(query, model=self.model)
        await adispatch_custom_event(
            SOURCES_EVENT,
            sources_payload(query, result),
            config={"callbacks": run_manager.get_child()},
        )
        return self._documents(result, k)

    def _documents(self, result: SearchResult, k: int | None) -> list[Document]:
        """The first ``k`` (this call's, else the instance's) sources as documents."""
        limit = max(self.k if k is None else k, 0)
        return [source_to_document(s, answer=result.answer) for s in result.sources[:limit]]


def source_to_document(source: Source, *, answer: str = "") -> Document:
    """One web-search source as a ``Document`` (title, blank line, snippet)."""
    content = "\n\n".join(part for part in (source.title or source.url, source.snippet) if part)
    return Document(
        page_content=content,
        metadata={
            "url": source.url,
            "title": source.title,
            "hostname": source.hostname,
            "answer": answer,
        },
    )


def sources_payload(query: str, result: SearchResult) -> dict[str, Any]:
    """The ``hf_router_sources`` event data: the query, every source (as dicts), the answer."""
    return {
        "query": query,
        "sources": [dataclasses.asdict(s) for s in result.sources],
        "answer": result.answer,
    }
