"""HuggingChat sources in LangChain: the retriever (standard suite + behaviour), the callback
handler and ``get_sources_callback()``, against the emulator."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from langchain_core.callbacks import dispatch_custom_event
from langchain_core.documents import Document
from langchain_core.load import dumpd, dumps, loads
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import RetrieversIntegrationTests

from hf_router import Source, Sources
from hf_router.errors import MissingAuthError, ProviderError
from hf_router.testing import RouterEmulator
from langchain_hf_router import (
    HuggingChatSearchRetriever,
    HuggingChatSourcesCallbackHandler,
    get_sources_callback,
)

COOKIE = "hf-chat=lcCookieSecret0123456789; token=lcTokenSecret0123456789"


@pytest.fixture(params=["2024", "2026"])
def emulator(request: pytest.FixtureRequest, router_emulator: RouterEmulator) -> RouterEmulator:
    """The session emulator, reset, speaking each chat-ui generation in turn: the retriever
    works unchanged on both (2024 ``webSearch`` sources, 2026 MCP tool results)."""
    router_emulator.reset()
    router_emulator.configure_huggingchat(request.param)
    return router_emulator


QUERY = "what is the tallest mountain"


def make_retriever(emulator: RouterEmulator, **kwargs: Any) -> HuggingChatSearchRetriever:
    params = {"cookie": COOKIE, "base_url": emulator.url + "/chat", **kwargs}
    return HuggingChatSearchRetriever(**params)


def format_docs(docs: list[Document]) -> str:
    return "\n\n".join(doc.page_content for doc in docs)


# -- standard suite --------------------------------------------------------------------------


class TestHuggingChatSearchRetriever(RetrieversIntegrationTests):
    """The standard retriever suite, pointed at the emulator per test."""

    @pytest.fixture(autouse=True)
    def _point_at_emulator(self, emulator: RouterEmulator) -> None:
        self._params = {"cookie": COOKIE, "base_url": emulator.url + "/chat"}

    @property
    def retriever_constructor(self) -> type[HuggingChatSearchRetriever]:
        return HuggingChatSearchRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return self._params

    @property
    def retriever_query_example(self) -> str:
        return QUERY


# -- the retriever ---------------------------------------------------------------------------


def test_sources_become_documents(emulator):
    docs = make_retriever(emulator, k=10).invoke(QUERY)
    assert len(docs) >= 3
    urls = [doc.metadata["url"] for doc in docs]
    assert len(set(urls)) == len(urls)
    answers = {doc.metadata["answer"] for doc in docs}
    assert len(answers) == 1
    assert answers.pop()
    for doc in docs:
        meta = doc.metadata
        assert set(meta) == {"url", "title", "hostname", "answer"}
        assert meta["url"].startswith("http")
        assert meta["hostname"]
        assert doc.page_content.startswith(meta["title"])
        assert meta["hostname"] in meta["url"]


def test_k_on_the_instance_and_per_call(emulator):
    retriever = make_retriever(emulator, k=2)
    assert len(retriever.invoke(QUERY)) == 2
    assert len(retriever.invoke(QUERY, k=1)) == 1
    assert len(retriever.invoke(QUERY, k=3)) == 3
    assert len(make_retriever(emulator).invoke(QUERY)) <= 4  # default k


async def test_async_matches_sync(emulator):
    retriever = make_retriever(emulator, k=3)
    sync_docs = retriever.invoke(QUERY)
    async_docs = await retriever.ainvoke(QUERY)
    assert [d.metadata["url"] for d in async_docs] == [d.metadata["url"] for d in sync_docs]
    assert len(await retriever.ainvoke(QUERY, k=1)) == 1


def test_each_call_is_a_web_search_turn(emulator):
    make_retriever(emulator, model="meta-llama/Llama-3.3-70B-Instruct").invoke(QUERY)
    created = [
        r for r in emulator.requests if r.method == "POST" and r.path == "/chat/conversation"
    ]
    assert created
    assert created[-1].json == {"model": "meta-llama/Llama-3.3-70B-Instruct"}


# -- callbacks -------------------------------------------------------------------------------


def test_handler_collects_from_an_lcel_chain(emulator):
    retriever = make_retriever(emulator, k=3)
    chain = retriever | RunnableLambda(format_docs)
    handler = HuggingChatSourcesCallbackHandler()
    text = chain.invoke(QUERY, config={"callbacks": [handler]})
    assert isinstance(text, str)
    docs = retriever.invoke(QUERY, k=10)
    assert {s.url for s in handler.sources} == {d.metadata["url"] for d in docs}
    assert all(isinstance(s, Source) for s in handler.sources)
    assert all(s.title and s.hostname for s in handler.sources)


async def test_get_sources_callback_without_explicit_callbacks(emulator):
    retriever = make_retriever(emulator, k=1)
    chain = retriever | RunnableLambda(format_docs)
    with get_sources_callback() as cb:
        chain.invoke(QUERY)
        await chain.ainvoke(QUERY)
    assert cb.sources
    urls = cb.urls
    assert len(urls) == len(set(urls))  # deduplicated across both runs
    before = len(cb.sources)
    retriever.invoke("outside the block")
    assert len(cb.sources) == before


def test_nested_get_sources_callback_feeds_both(emulator):
    retriever = make_retriever(emulator, k=2)
    with get_sources_callback() as outer:
        with get_sources_callback() as inner:
            retriever.invoke(QUERY)
        assert inner.sources
    assert outer.urls == inner.urls


async def test_sources_event_in_astream_events(emulator):
    retriever = make_retriever(emulator, k=2)
    events = [
        ev
        async for ev in retriever.astream_events(QUERY, version="v2")
        if ev["event"] == "on_custom_event"
    ]
    assert [ev["name"] for ev in events] == ["hf_router_sources"]
    data = events[0]["data"]
    assert data["query"] == QUERY
    assert data["answer"]
    assert data["sources"]
    assert set(data["sources"][0]) == {"url", "title", "hostname", "snippet"}


def test_handler_merges_dedupes_and_is_thread_safe():
    handler = HuggingChatSourcesCallbackHandler()

    def emit(i: int) -> None:
        dispatch_custom_event(
            "hf_router_sources",
            {"sources": [{"url": f"https://example.com/{i % 10}"}, {"title": "no url"}]},
        )

    step = RunnableLambda(lambda i: emit(i) or i)
    threads = [
        threading.Thread(target=lambda: step.batch(list(range(50)), {"callbacks": [handler]}))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(handler.urls) == sorted(f"https://example.com/{i}" for i in range(10))
    assert handler.sources[0].hostname == "example.com"
    # a later sighting fills empty fields; a Sources event and other event names are accepted
    handler.on_custom_event(
        "hf_router_sources",
        Sources((Source("https://example.com/0", title="Zero", snippet="s"),)),
        run_id=None,  # type: ignore[arg-type]
    )
    handler.on_custom_event("something_else", {"sources": [{"url": "https://x.org"}]}, run_id=None)  # type: ignore[arg-type]
    zero = next(s for s in handler.sources if s.url.endswith("/0"))
    assert (zero.title, zero.snippet, zero.hostname) == ("Zero", "s", "example.com")
    assert "https://x.org" not in handler.urls
    handler.on_retriever_end(
        [
            Document("x", metadata={"url": "https://docs.python.org/3/", "title": "Py"}),
            Document("y"),
        ],
        run_id=None,  # type: ignore[arg-type]
    )
    assert handler.sources[-1] == Source("https://docs.python.org/3/", "Py", "docs.python.org", "")
    handler.clear()
    assert handler.sources == []


# -- auth and secrets ------------------------------------------------------------------------


def test_missing_cookie_is_a_clear_typed_error(emulator, monkeypatch):
    monkeypatch.delenv("HF_CHAT_COOKIE", raising=False)
    retriever = HuggingChatSearchRetriever(base_url=emulator.url + "/chat")
    assert retriever.cookie is None
    with pytest.raises(MissingAuthError, match="hf-chat"):
        retriever.invoke(QUERY)


@pytest.mark.parametrize(
    ("fault", "error"),
    [("chat_401", MissingAuthError), ("status_error", ProviderError)],
)
async def test_core_errors_stay_typed(emulator, fault, error):
    emulator.set_fault(fault)
    retriever = make_retriever(emulator)
    with pytest.raises(error):
        retriever.invoke(QUERY)
    with pytest.raises(error) as info:
        await retriever.ainvoke(QUERY)
    assert COOKIE not in str(info.value)


def test_cookie_from_env_and_header_form(emulator, monkeypatch):
    monkeypatch.setenv("HF_CHAT_COOKIE", COOKIE)
    retriever = HuggingChatSearchRetriever(base_url=emulator.url + "/chat", k=1)
    assert retriever.cookie is not None
    assert len(retriever.invoke(QUERY)) == 1
    assert {r.headers.get("cookie") for r in emulator.requests} == {"hf-chat=***; token=***"}
    emulator.clear_requests()
    header = make_retriever(emulator, cookie=f"{COOKIE}; theme=dark", k=1)
    assert len(header.invoke(QUERY)) == 1
    sent = {r.headers.get("cookie") for r in emulator.requests}
    assert sent == {"hf-chat=***; token=***; theme=dark"}


@pytest.mark.filterwarnings("ignore:The function `loads` is in beta")
def test_cookie_never_in_repr_or_dumps(emulator, caplog):
    caplog.set_level("DEBUG")
    retriever = make_retriever(emulator)
    serialized = dumpd(retriever)
    assert serialized["kwargs"]["cookie"] == {"lc": 1, "type": "secret", "id": ["HF_CHAT_COOKIE"]}
    restored = loads(
        dumps(retriever),
        secrets_map={"HF_CHAT_COOKIE": COOKIE},
        valid_namespaces=["langchain_hf_router"],
        allowed_objects=[HuggingChatSearchRetriever],
    )
    assert isinstance(restored, HuggingChatSearchRetriever)
    assert len(restored.invoke(QUERY, k=1)) == 1
    docs = retriever.invoke(QUERY)
    texts = [repr(retriever), str(retriever), dumps(retriever), retriever.model_dump_json()]
    texts += [json.dumps([d.model_dump() for d in docs]), caplog.text]
    for text in texts:
        assert COOKIE not in text
    assert retriever.cookie is not None
    assert retriever.cookie.get_secret_value() == COOKIE


def test_both_generations_give_the_same_documents(router_emulator):
    """2024 ``webSearch`` sources and 2026 MCP tool results (Exa's text) become the same
    ``Document``s: url, title, hostname, snippet and the answer."""
    found = {}
    for generation in ("2024", "2026"):
        router_emulator.reset()
        router_emulator.configure_huggingchat(generation)
        found[generation] = make_retriever(router_emulator, k=10).invoke(QUERY)
    router_emulator.reset()
    assert len(found["2026"]) == 3
    assert found["2024"] == found["2026"]
    assert found["2026"][0].page_content == f"Source 1: {QUERY}\n\nSnippet 1 about {QUERY}."
