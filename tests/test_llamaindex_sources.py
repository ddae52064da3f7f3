"""HuggingChatRetriever and SourcesEvent (llama_index_hf_router) against the local emulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from _llama_index_events import EventCollector, collect_events
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms import MockLLM
from llama_index.core.postprocessor import SimilarityPostprocessor
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

from hf_router.errors import MissingAuthError
from hf_router.testing import RouterEmulator
from llama_index_hf_router import HuggingChatRetriever, SourcesEvent

COOKIE = "hf-chat=emu-session-cookie-0123456789; token=emu-token-0123456789"
QUERY = "python release schedule"
MODEL = "meta-llama/Llama-3.3-70B-Instruct"


@pytest.fixture(params=["2024", "2026"])
def emulator(request: pytest.FixtureRequest, router_emulator: RouterEmulator) -> RouterEmulator:
    """The session emulator, reset, speaking each chat-ui generation in turn: the retriever
    works unchanged on both (2024 ``webSearch`` sources, 2026 MCP tool results)."""
    router_emulator.reset()
    router_emulator.configure_huggingchat(request.param)
    return router_emulator


def _url(i: int) -> str:
    return f"https://source{i}.example.com/python-release-schedule"


@pytest.fixture
async def retriever(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    monkeypatch.delenv("HF_CHAT_COOKIE", raising=False)
    found = HuggingChatRetriever(cookie=COOKIE, base_url=f"{emulator.url}/chat")
    yield found
    found.close()
    await found.aclose()


_Collector = EventCollector


@pytest.fixture
def collector() -> Iterator[EventCollector]:
    """A handler on the root dispatcher, removed after the test."""
    with collect_events(SourcesEvent) as handler:
        yield handler


def _answer() -> str:
    """The emulator's answer (both generations): it cites the sources with markdown links."""
    links = ", ".join(f"[{i}]({_url(i)})" for i in (1, 2, 3))
    return f"According to 3 sources: {QUERY} ({links})"


def _check_nodes(nodes: list[NodeWithScore], count: int = 3) -> None:
    assert len(nodes) == count
    for rank, item in enumerate(nodes):
        i = rank + 1
        assert isinstance(item, NodeWithScore)
        assert isinstance(item.node, TextNode)
        assert item.node.text == f"Source {i}: {QUERY}\n\nSnippet {i} about {QUERY}."
        assert item.node.metadata == {
            "url": _url(i),
            "title": f"Source {i}: {QUERY}",
            "hostname": f"source{i}.example.com",
            "answer": _answer(),
        }
        assert item.node.node_id == str(uuid.uuid5(uuid.NAMESPACE_URL, _url(i)))
        assert item.score == pytest.approx(1.0 / i)


# -- retrieval --------------------------------------------------------------------------------


def test_retrieve_returns_scored_nodes(retriever: HuggingChatRetriever) -> None:
    nodes = retriever.retrieve(QUERY)
    _check_nodes(nodes)
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)
    # The answer stays on the node but out of what the LLM reads.
    llm_text = nodes[0].node.get_content(metadata_mode=MetadataMode.LLM)
    assert _url(1) in llm_text
    assert "According to" not in llm_text
    # Node ids are stable across retrievals (deterministic from the URL).
    assert [n.node_id for n in retriever.retrieve(QUERY)] == [n.node_id for n in nodes]


async def test_aretrieve_returns_scored_nodes(retriever: HuggingChatRetriever) -> None:
    _check_nodes(await retriever.aretrieve(QUERY))


async def test_aretrieve_is_natively_async(
    retriever: HuggingChatRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sync(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("aretrieve must not use the sync client")

    monkeypatch.setattr(retriever.client, "search", no_sync)
    _check_nodes(await retriever.aretrieve(QUERY))


async def test_k_limits_the_nodes(emulator: Any) -> None:
    base_url = f"{emulator.url}/chat"
    two = HuggingChatRetriever(k=2, cookie=COOKIE, base_url=base_url)
    one = HuggingChatRetriever(similarity_top_k=1, cookie=COOKIE, base_url=base_url)
    try:
        _check_nodes(two.retrieve(QUERY), count=2)
        _check_nodes(await one.aretrieve(QUERY), count=1)
        assert (two.k, two.similarity_top_k, one.k) == (2, 2, 1)
    finally:
        for item in (one, two):
            item.close()
            await item.aclose()
    with pytest.raises(ValueError, match="k must be at least 1"):
        HuggingChatRetriever(k=0, cookie=COOKIE, base_url=base_url)


def test_model_is_sent(emulator: Any) -> None:
    retriever = HuggingChatRetriever(model=MODEL, cookie=COOKIE, base_url=f"{emulator.url}/chat")
    try:
        _check_nodes(retriever.retrieve(QUERY))
    finally:
        retriever.close()
    created = [r for r in emulator.requests if r.path == "/chat/conversation"]
    assert [r.json for r in created] == [{"model": MODEL}]


def test_cookie_from_the_environment(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_CHAT_COOKIE", COOKIE)
    retriever = HuggingChatRetriever(base_url=f"{emulator.url}/chat")
    try:
        _check_nodes(retriever.retrieve(QUERY))
    finally:
        retriever.close()


# -- query engine -----------------------------------------------------------------------------


def test_query_engine_response_has_the_source_nodes(retriever: HuggingChatRetriever) -> None:
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
    response = engine.query(QUERY)
    _check_nodes(response.source_nodes)
    assert f"Snippet 1 about {QUERY}" in str(response)  # MockLLM echoes the prompt: the context


async def test_async_query_engine_with_a_score_cutoff(retriever: HuggingChatRetriever) -> None:
    engine = RetrieverQueryEngine.from_args(
        retriever,
        llm=MockLLM(),
        node_postprocessors=[SimilarityPostprocessor(similarity_cutoff=0.4)],
    )
    response = await engine.aquery(QUERY)
    assert [n.node.metadata["url"] for n in response.source_nodes] == [_url(1), _url(2)]


# -- instrumentation --------------------------------------------------------------------------


def test_sources_event_is_dispatched(
    retriever: HuggingChatRetriever, collector: _Collector
) -> None:
    retriever.k = 1
    retriever.retrieve(QUERY)
    [event] = collector.events
    assert event.class_name() == "SourcesEvent"
    assert event.model_dump()["class_name"] == "SourcesEvent"
    assert event.query == QUERY
    assert event.answer == _answer()
    assert event.urls == [_url(1), _url(2), _url(3)]  # every source, not only the first k
    assert event.sources[0] == {
        "url": _url(1),
        "title": f"Source 1: {QUERY}",
        "hostname": "source1.example.com",
        "snippet": f"Snippet 1 about {QUERY}.",
    }


async def test_sources_event_in_an_async_query_engine(
    retriever: HuggingChatRetriever, collector: _Collector
) -> None:
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
    await engine.aquery(QUERY)
    await engine.aquery("another question")
    assert [e.query for e in collector.events] == [QUERY, "another question"]
    assert all(len(e.sources) == 3 for e in collector.events)


def test_collector_was_removed() -> None:
    assert not [h for h in get_dispatcher().event_handlers if isinstance(h, _Collector)]


# -- errors and secrets -----------------------------------------------------------------------


async def test_missing_cookie_is_a_clear_typed_error(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_CHAT_COOKIE", raising=False)
    retriever = HuggingChatRetriever(base_url=f"{emulator.url}/chat")
    try:
        with pytest.raises(MissingAuthError, match="hf-chat") as info:
            retriever.retrieve(QUERY)
        assert "HF_CHAT_COOKIE" in str(info.value)
        with pytest.raises(MissingAuthError):
            await retriever.aretrieve(QUERY)
    finally:
        retriever.close()
        await retriever.aclose()
    assert not emulator.requests  # nothing was sent without a cookie


def test_rejected_cookie_is_a_clear_typed_error(
    retriever: HuggingChatRetriever, emulator: Any
) -> None:
    emulator.set_fault("chat_401", provider="huggingchat")
    with pytest.raises(MissingAuthError, match="expired") as info:
        retriever.retrieve(QUERY)
    assert COOKIE not in str(info.value)


def test_cookie_never_in_reprs(retriever: HuggingChatRetriever, collector: _Collector) -> None:
    nodes = retriever.retrieve(QUERY)
    texts = [repr(retriever), str(retriever), repr(retriever.client), repr(nodes)]
    texts += [e.model_dump_json() for e in collector.events]
    assert "HuggingChatRetriever(model=None, k=4)" in texts[0]
    assert not [t for t in texts if COOKIE in t]


def test_both_generations_give_the_same_nodes(router_emulator: RouterEmulator) -> None:
    found = {}
    for generation in ("2024", "2026"):
        router_emulator.reset()
        router_emulator.configure_huggingchat(generation)
        retriever = HuggingChatRetriever(cookie=COOKIE, base_url=f"{router_emulator.url}/chat")
        found[generation] = retriever.retrieve(QUERY)
        retriever.close()
    router_emulator.reset()
    _check_nodes(found["2026"])
    assert [(n.node.text, n.node.metadata, n.score) for n in found["2024"]] == [
        (n.node.text, n.node.metadata, n.score) for n in found["2026"]
    ]
