"""Long inputs with default settings in both frameworks, against the emulator: a RAG system
prompt and a 48k message arrive intact, an agent whose tool returns 12k characters finishes in
two requests with the whole result in the second, a LlamaIndex query engine over 10 chunks
answers from one request (compact and tree_summarize), and a fitted request says what it cut
(LangChain ``response_metadata["trimmed"]``, LlamaIndex ``TrimmedEvent``)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from _llama_index_events import collect_events
from _long_text import prose
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from hf_router import HuggingFaceAPI, Trimmed
from hf_router.errors import InputTooLongError
from hf_router.testing import RouterEmulator
from langchain_hf_router import ChatHFRouter
from llama_index_hf_router import HFRouter, TrimmedEvent

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:inspect")

MODEL = "meta-llama/Llama-3.3-70B-Instruct"  # the default model: in /v1/models, 131072 tokens
SMALL = "org/small-window"
TOKEN = "hf_long_frameworks"
SYSTEM = "Answer from this context only.\n" + prose(13_000, "ctx-")
BIG_MESSAGE = prose(48_000, "doc-") + "\nWhat colour is the third lamp?"
TOOL_OUTPUT = prose(12_000, "log-")


def chats(emulator: RouterEmulator) -> list[dict[str, Any]]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


def lc(emulator: RouterEmulator, **kwargs: Any) -> ChatHFRouter:
    return ChatHFRouter(
        api_key=TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url, **kwargs
    )


def li(emulator: RouterEmulator, model: str = MODEL, **kwargs: Any) -> HFRouter:
    return HFRouter(
        model, api_key=TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url, **kwargs
    )


@tool
def read_log(name: str) -> str:
    """Read a log file by name."""
    return TOOL_OUTPUT


def read_log_li(name: str) -> str:
    """Read a log file by name."""
    return TOOL_OUTPUT


# -- LangChain ------------------------------------------------------------------------------------
def test_langchain_rag_prompt_and_big_message_intact(emulator: RouterEmulator) -> None:
    llm = lc(emulator)
    assert llm.max_inputs_lenght == "auto"
    answer = llm.invoke([SystemMessage(SYSTEM), HumanMessage(BIG_MESSAGE)])
    # the echoing model repeats the question until max_tokens (2048 of its word tokens)
    assert len(answer.content) > 10_000 and BIG_MESSAGE.startswith(answer.content)
    assert "trimmed" not in answer.response_metadata
    (body,) = chats(emulator)
    assert body["messages"] == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": BIG_MESSAGE},
    ]


def test_langchain_agent_gets_the_whole_tool_result(emulator: RouterEmulator) -> None:
    agent = create_agent(lc(emulator), [read_log], system_prompt=SYSTEM)
    state = agent.invoke({"messages": [HumanMessage("Read the log 'harbour'.")]})
    bodies = chats(emulator)
    assert len(bodies) == 2
    assert bodies[1]["messages"][-1]["content"] == TOOL_OUTPUT
    assert bodies[1]["messages"][0] == {"role": "system", "content": SYSTEM}
    final = state["messages"][-1].content
    assert len(final) > 10_000 and ("Tool result: " + TOOL_OUTPUT).startswith(final)


def test_langchain_fitted_request_says_what_was_cut(emulator: RouterEmulator) -> None:
    emulator.add_model(SMALL, context_length=4096, overflow="openai")
    history: list[Any] = [SystemMessage("Be brief.")]
    for i in range(20):
        history += [HumanMessage(prose(1500, f"q{i}-")), ("ai", prose(1500, f"a{i}-"))]
    history.append(HumanMessage("Which lamp is green?"))
    answer = lc(emulator, model=SMALL, max_tokens=256).invoke(history)
    assert answer.content == "Which lamp is green?"
    trimmed = answer.response_metadata["trimmed"]
    assert trimmed["reason"] == "window" and trimmed["dropped_messages"] > 30
    assert trimmed["details"][0].startswith("dropped ")
    sent = chats(emulator)[0]["messages"]
    assert sent[0]["content"] == "Be brief." and sent[-1]["content"] == "Which lamp is green?"


def test_langchain_alias_and_explicit_none(emulator: RouterEmulator) -> None:
    llm = lc(emulator, max_inputs_length=None)
    assert llm.max_inputs_lenght is None and llm.client.max_inputs_lenght is None


# -- LlamaIndex -----------------------------------------------------------------------------------
def test_llamaindex_metadata_agrees_with_the_window(emulator: RouterEmulator) -> None:
    llm = li(emulator)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default model is listed: no "unknown window"
        meta = llm.metadata
    assert meta.context_window == 131072
    # no max_tokens by default: the reserve is min(8192, window // 4)
    assert meta.context_window - meta.num_output == (131072 - 8192) // 2


def test_llamaindex_alias_is_honoured(emulator: RouterEmulator) -> None:
    llm = li(emulator, max_inputs_length=None)
    assert llm.max_inputs_lenght is None and llm.client.max_inputs_lenght is None
    llm = li(emulator, max_inputs_length=7000)
    assert llm.client.max_inputs_lenght == 7000


def test_llamaindex_rag_prompt_and_big_message_intact(emulator: RouterEmulator) -> None:
    llm = li(emulator)
    response = llm.chat(
        [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=BIG_MESSAGE)]
    )
    text = response.message.content or ""
    assert len(text) > 10_000 and BIG_MESSAGE.startswith(text)
    (body,) = chats(emulator)
    assert [m["content"] for m in body["messages"]] == [SYSTEM, BIG_MESSAGE]


async def test_llamaindex_agent_gets_the_whole_tool_result(emulator: RouterEmulator) -> None:
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(read_log_li)], llm=li(emulator), system_prompt=SYSTEM
    )
    response = await agent.run(user_msg="Read the log 'harbour'.")
    bodies = chats(emulator)
    assert len(bodies) == 2
    assert bodies[1]["messages"][-1]["content"] == TOOL_OUTPUT
    final = str(response)
    assert len(final) > 10_000 and ("Tool result: " + TOOL_OUTPUT).startswith(final)


@pytest.mark.parametrize("mode", ["compact", "tree_summarize"])
def test_llamaindex_query_engine_over_ten_chunks(emulator: RouterEmulator, mode: str) -> None:
    saved = (Settings._llm, Settings._embed_model)
    Settings.llm, Settings.embed_model = li(emulator), MockEmbedding(embed_dim=8)
    try:
        docs = [Document(text=prose(2300, f"chunk{i}-")) for i in range(10)]
        index = VectorStoreIndex.from_documents(docs)
        engine = index.as_query_engine(similarity_top_k=10, response_mode=mode)
        response = engine.query("Which lamp is green?")
    finally:
        Settings._llm, Settings._embed_model = saved
    assert len(response.source_nodes) == 10
    (body,) = chats(emulator)  # one request with every chunk in it
    sent = "\n".join(str(m["content"]) for m in body["messages"])
    for doc in docs:
        assert doc.text in sent
    assert "Which lamp is green?" in sent
    # an answer (the echoing model repeats the packed prompt), not "Empty Response"
    answer = str(response)
    assert len(answer) > 5000 and answer in body["messages"][-1]["content"]


def test_llamaindex_trimmed_event_carries_the_detail(emulator: RouterEmulator) -> None:
    emulator.add_model(SMALL, context_length=4096, overflow="tgi")
    history = [ChatMessage(role="system", content="Be brief.")]
    for i in range(20):
        history += [
            ChatMessage(role="user", content=prose(1500, f"q{i}-")),
            ChatMessage(role="assistant", content=prose(1500, f"a{i}-")),
        ]
    history.append(ChatMessage(role="user", content="Which lamp is green?"))
    with collect_events(TrimmedEvent) as collector:
        response = li(emulator, SMALL, max_tokens=256).chat(history)
    assert response.message.content == "Which lamp is green?"
    (event,) = collector.events
    assert event.reason == "window" and event.dropped_messages > 30
    assert event.details[0].startswith("dropped ") and event.after <= event.limit


# -- a fitting error is never turned into an empty answer ------------------------------------------
QUESTION = "Which lamp is green? " + prose(400, "must-keep-")


def test_llamaindex_compact_synthesizer_does_not_swallow_it(emulator: RouterEmulator) -> None:
    """LlamaIndex's refine/compact synthesizer catches ValueError around the LLM call (and
    answers "Empty Response"); InputTooLongError is not one, so the user sees it."""
    saved = (Settings._llm, Settings._embed_model)
    Settings.llm = li(emulator, max_inputs_lenght=300)
    Settings.embed_model = MockEmbedding(embed_dim=8)
    try:
        index = VectorStoreIndex.from_documents([Document(text=prose(2000))])
        with pytest.raises(InputTooLongError):
            index.as_query_engine(response_mode="compact").query(QUESTION)
    finally:
        Settings._llm, Settings._embed_model = saved
    assert chats(emulator) == []


async def test_llamaindex_agent_does_not_swallow_it(emulator: RouterEmulator) -> None:
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(read_log_li)], llm=li(emulator, max_inputs_lenght=300)
    )
    with pytest.raises(InputTooLongError):
        await agent.run(user_msg=QUESTION)
    assert chats(emulator) == []


def test_langchain_agent_does_not_swallow_it(emulator: RouterEmulator) -> None:
    agent = create_agent(lc(emulator, max_inputs_lenght=300), [read_log])
    with pytest.raises(InputTooLongError):
        agent.invoke({"messages": [HumanMessage(QUESTION)]})
    assert chats(emulator) == []


# -- the seed facade ---------------------------------------------------------------------------------
async def test_facade_keeps_10000_and_accepts_the_alias(emulator: RouterEmulator) -> None:
    history = [{"role": "user", "content": prose(3000, f"m{i}-")} for i in range(8)]
    api = {"api_key": TOKEN, "api_base": emulator.base_url}
    events = [e async for e in HuggingFaceAPI.create_async_generator(MODEL, history, **api)]
    (trimmed,) = [e for e in events if isinstance(e, Trimmed)]
    assert trimmed.limit == 10_000 and trimmed.reason == "limit"
    events = [
        e
        async for e in HuggingFaceAPI.create_async_generator(
            MODEL, history, max_inputs_length=None, **api
        )
    ]
    assert not [e for e in events if isinstance(e, Trimmed)]
    assert chats(emulator)[-1]["messages"] == history
