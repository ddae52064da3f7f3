"""A LlamaIndex retriever over HuggingChat's web search.

Each retrieval runs one web-search turn in a fresh HuggingChat conversation (through
:class:`hf_router.HuggingChatClient`) and turns the sources it used into ``NodeWithScore``\\ s::

    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index_hf_router import HuggingChatRetriever

    retriever = HuggingChatRetriever(k=3)  # cookie from HF_CHAT_COOKIE
    engine = RetrieverQueryEngine.from_args(retriever, llm=my_llm)
    print(engine.query("What is new in Python 3.13?").source_nodes)
"""

from __future__ import annotations

import uuid
from typing import Any

import llama_index.core.instrumentation as instrument
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks.base import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from hf_router import HuggingChatClient, SearchResult, Source
from hf_router.errors import InvalidInputError

from .events import SourcesEvent

__all__ = ["HuggingChatRetriever", "rank_score"]

dispatcher = instrument.get_dispatcher(__name__)

# Node metadata that is the same for every node of one retrieval (the whole answer): kept on the
# node for the application, but not repeated in the LLM's context or in embeddings.
_EXCLUDED_METADATA = ["answer"]


def rank_score(rank: int) -> float:
    """The score of the source at 0-based ``rank``: ``1 / (rank + 1)`` (1.0, 0.5, 0.333...).

    HuggingChat gives no relevance numbers, only an order; this reciprocal-rank score keeps that
    order, so score-based postprocessors (``SimilarityPostprocessor(similarity_cutoff=0.3)``)
    behave predictably.
    """
    return 1.0 / (rank + 1)


def _node_id(url: str) -> str:
    """A deterministic node id for a source URL (UUID5 in the URL namespace)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, url))


def source_to_node(source: Source, rank: int, answer: str) -> NodeWithScore:
    """One web source as a scored node: text ``title + "\\n\\n" + snippet``, metadata ``url``,
    ``title``, ``hostname`` and ``answer`` (HuggingChat's answer), score :func:`rank_score`."""
    text = "\n\n".join(part for part in (source.title, source.snippet) if part) or source.url
    node = TextNode(
        id_=_node_id(source.url),
        text=text,
        metadata={
            "url": source.url,
            "title": source.title,
            "hostname": source.hostname,
            "answer": answer,
        },
        excluded_llm_metadata_keys=list(_EXCLUDED_METADATA),
        excluded_embed_metadata_keys=list(_EXCLUDED_METADATA),
    )
    return NodeWithScore(node=node, score=rank_score(rank))


class HuggingChatRetriever(BaseRetriever):
    """Retrieve web pages with HuggingChat's web search.

    Every query starts a new HuggingChat conversation with web search on; the sources the answer
    used become nodes, in HuggingChat's order, at most ``k`` of them. Each node's text is the
    page title and snippet; its metadata holds ``url``, ``title``, ``hostname`` and ``answer``
    (HuggingChat's full answer, excluded from the LLM/embedding text). Scores are
    ``1 / (rank + 1)``: 1.0 for the first source, 0.5 for the second, and so on.

    Each retrieval also dispatches a :class:`~llama_index_hf_router.SourcesEvent` (every source
    surfaced, not only the first ``k``) through LlamaIndex instrumentation.

    Args:
        model: The HuggingChat model; ``None`` uses the client's default.
        k: How many sources to return at most (``similarity_top_k`` is an alias).
        cookie: A whole ``Cookie`` header ``"hf-chat=...; token=..."`` (the current
            HuggingChat needs both cookies) or a bare ``hf-chat`` value (older servers);
            default ``HF_CHAT_COOKIE``. It is a secret: it never appears in ``repr``.
        base_url: HuggingChat's base URL; default ``HF_CHAT_BASE_URL`` or
            ``https://huggingface.co/chat``.
        timeout: Seconds to wait for HuggingChat.
        client: An existing :class:`hf_router.HuggingChatClient` to use instead (``cookie``,
            ``base_url`` and ``timeout`` are then ignored).
        callback_manager: LlamaIndex callback manager.
        verbose: Print LlamaIndex's retrieval messages.

    Retrieval raises the core's typed errors (:mod:`hf_router.errors`), for example
    ``MissingAuthError`` when no cookie was given or found, or HuggingChat refused the session
    (its message names a missing ``token`` cookie and explains how to copy them from a
    browser). Sources come from HuggingChat's web-search tool results (MCP) or, on older
    servers, its ``webSearch`` updates: the same nodes.
    """

    def __init__(
        self,
        model: str | None = None,
        k: int = 4,
        *,
        similarity_top_k: int | None = None,
        cookie: str | None = None,
        base_url: str | None = None,
        timeout: float = 120.0,
        client: HuggingChatClient | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        top_k = similarity_top_k if similarity_top_k is not None else k
        name = "similarity_top_k" if similarity_top_k is not None else "k"
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise InvalidInputError(f"{name}={top_k!r}: k must be at least 1 (a whole number)")
        if model is not None and (not isinstance(model, str) or not model.strip()):
            raise InvalidInputError(
                f"model={model!r} must be a HuggingChat model id, or None for the default"
            )
        if client is not None and not isinstance(client, HuggingChatClient):
            raise InvalidInputError("client must be a hf_router.HuggingChatClient, or None")
        if cookie is not None and not isinstance(cookie, str):
            raise InvalidInputError(
                f"cookie must be the 'hf-chat' cookie value (a string), not {type(cookie).__name__}"
            )
        self.model = model
        self.k = top_k
        self._owns_client = client is None
        self._client = (
            client if client is not None else self._make_client(cookie, base_url, timeout)
        )
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    @staticmethod
    def _make_client(cookie: str | None, base_url: str | None, timeout: float) -> HuggingChatClient:
        kwargs: dict[str, Any] = {"base_url": base_url, "timeout": timeout}
        if cookie and ("hf-chat=" in cookie or ";" in cookie):
            kwargs["cookie_header"] = cookie
        elif cookie:
            kwargs["cookies"] = {"hf-chat": cookie}
        return HuggingChatClient(**kwargs)

    @property
    def similarity_top_k(self) -> int:
        """Alias of ``k``, as LlamaIndex's own retrievers name it."""
        return self.k

    @similarity_top_k.setter
    def similarity_top_k(self, value: int) -> None:
        self.k = value

    @property
    def client(self) -> HuggingChatClient:
        """The underlying :class:`hf_router.HuggingChatClient`."""
        return self._client

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(
            "HuggingChatRetriever cannot be pickled: it holds a secret and live connections, which never"
            " leave the process. Build it inside the worker (a Ray actor's __init__, a multiprocessing initializer), where "
            "HuggingChatRetriever() reads HF_CHAT_COOKIE."
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, k={self.k})"

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """Search the web through HuggingChat and return the sources as nodes."""
        result = self._client.search(query_bundle.query_str, model=self.model)
        return self._to_nodes(query_bundle.query_str, result)

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """Async :meth:`_retrieve` (native async HTTP, no thread)."""
        result = await self._client.asearch(query_bundle.query_str, model=self.model)
        return self._to_nodes(query_bundle.query_str, result)

    def _to_nodes(self, query: str, result: SearchResult) -> list[NodeWithScore]:
        dispatcher.event(
            SourcesEvent.from_sources(query, result.answer, result.sources, model=self.model)
        )
        return [
            source_to_node(source, rank, result.answer)
            for rank, source in enumerate(result.sources[: self.k])
        ]

    def close(self) -> None:
        """Close the HuggingChat client if this retriever created it."""
        if self._owns_client:
            self._client.close()

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        if self._owns_client:
            await self._client.aclose()
