"""HFRouter inside LlamaIndex's own consumers, offline on the emulator (MockEmbedding for the
index): query engine (sync, async, streaming), condense_plus_context chat engine, FunctionAgent
with two tools, ReActAgent, repeated async agent runs, instrumentation events, callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from _llama_index_events import EventCollector, collect_events
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import (
    AgentStream,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMChatStartEvent
from llama_index.core.llms import ChatMessage, MessageRole
from llama_index.core.tools import FunctionTool

from llama_index_hf_router import HFRouter

# The workflows package inspects agents with inspect.getmembers, which trips pydantic's
# deprecated-attribute warnings (hundreds per run); they are LlamaIndex's, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:inspect")

TOKEN = "hf_consumers_secret_987654321"
MODEL = "meta-llama/Llama-3.3-70B-Instruct"
DOCS = [
    "The emulator city of Loopback has exactly 127 lighthouses.",
    "Parrots in Loopback speak only in JSON.",
]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(multiply)]


def chats(emulator: Any) -> list[dict[str, Any]]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


def prompt_text(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content")) for m in body["messages"])


@pytest.fixture
async def llm(emulator: Any) -> AsyncIterator[HFRouter]:
    emulator.add_model(MODEL)
    router = HFRouter(
        MODEL, api_key=TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url, max_tokens=256
    )
    yield router
    router.close()
    await router.aclose()


@pytest.fixture
def settings_llm(llm: HFRouter) -> Iterator[HFRouter]:
    """HFRouter as Settings.llm and MockEmbedding as Settings.embed_model, restored after."""
    saved = (Settings._llm, Settings._embed_model)
    Settings.llm = llm
    Settings.embed_model = MockEmbedding(embed_dim=8)
    try:
        yield llm
    finally:
        Settings._llm, Settings._embed_model = saved


@pytest.fixture
def index(settings_llm: HFRouter) -> VectorStoreIndex:
    return VectorStoreIndex.from_documents([Document(text=t) for t in DOCS])


# -- query and chat engines ---------------------------------------------------------------------
def test_query_engine_sync(index: VectorStoreIndex, emulator: Any) -> None:
    response = index.as_query_engine(similarity_top_k=2).query("How many lighthouses?")
    sent = prompt_text(chats(emulator)[-1])
    for text in DOCS:
        assert text in sent  # the retrieved text reached the model
        assert text in str(response)  # and the echoing model answered with it
    assert "How many lighthouses?" in sent
    assert len(response.source_nodes) == 2


async def test_query_engine_async(index: VectorStoreIndex, emulator: Any) -> None:
    response = await index.as_query_engine(similarity_top_k=2).aquery("Do parrots talk?")
    assert DOCS[1] in str(response)
    assert DOCS[1] in prompt_text(chats(emulator)[-1])


def test_query_engine_streaming(index: VectorStoreIndex, emulator: Any) -> None:
    engine = index.as_query_engine(similarity_top_k=2, streaming=True)
    response = engine.query("How many lighthouses?")
    pieces = list(response.response_gen)
    assert len(pieces) > 5
    assert DOCS[0] in "".join(pieces)
    assert chats(emulator)[-1]["stream"] is True


async def test_query_engine_async_streaming(index: VectorStoreIndex) -> None:
    engine = index.as_query_engine(similarity_top_k=2, streaming=True)
    response = await engine.aquery("Do parrots talk?")
    pieces = [p async for p in response.async_response_gen()]
    assert DOCS[1] in "".join(pieces)


async def test_condense_plus_context_chat_engine(index: VectorStoreIndex, emulator: Any) -> None:
    engine = index.as_chat_engine(chat_mode="condense_plus_context", similarity_top_k=2)
    first = engine.chat("Tell me about lighthouses")
    assert first.response == "Tell me about lighthouses"  # the echoing model
    assert DOCS[0] in prompt_text(chats(emulator)[-1])  # context in the system prompt
    second = await engine.achat("And the parrots?")
    assert "And the parrots?" in second.response
    assert len(engine.chat_history) == 4
    streamed = engine.stream_chat("Anything else?")
    assert "Anything else?" in "".join(streamed.response_gen)


# -- agents -------------------------------------------------------------------------------------
async def test_function_agent_with_two_tools(llm: HFRouter, emulator: Any) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=llm, system_prompt="You calculate.")
    handler = agent.run(user_msg="What is 2 plus 3?")
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    response = await handler
    assert [(r.tool_name, r.tool_kwargs, r.tool_output.content) for r in results] == [
        ("add", {"a": 2, "b": 3}, "5")
    ]
    assert str(response) == "Tool result: 5"
    second = chats(emulator)[-1]["messages"]
    assert second[-1]["role"] == "tool" and second[-1]["content"] == "5"
    assert second[-2]["tool_calls"][0]["id"] == second[-1]["tool_call_id"]
    forced = FunctionAgent(tools=TOOLS, llm=llm, initial_tool_choice="multiply")
    assert str(await forced.run(user_msg="What is 4 times 5?")) == "Tool result: 20"


async def test_function_agent_streams_tokens(llm: HFRouter) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=llm)
    handler = agent.run(user_msg="Add 7 and 8")
    deltas = [ev.delta async for ev in handler.stream_events() if isinstance(ev, AgentStream)]
    await handler
    assert "".join(deltas) == "Tool result: 15"


async def test_react_agent_runs_a_tool(llm: HFRouter) -> None:
    # The echoing model repeats the user's text, so the question is itself a ReAct step: the
    # agent parses it, runs `add`, and the next turn (the observation) becomes the answer.
    agent = ReActAgent(tools=TOOLS, llm=llm)
    question = 'Thought: I need to add.\nAction: add\nAction Input: {"a": 20, "b": 22}'
    handler = agent.run(user_msg=question)
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    response = await handler
    assert [(r.tool_name, r.tool_output.content) for r in results] == [("add", "42")]
    assert "42" in str(response)


async def test_ten_async_agent_runs_in_a_row(llm: HFRouter) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=llm)
    for i in range(10):
        response = await agent.run(user_msg=f"What is {i} plus 1?")
        assert str(response) == f"Tool result: {i + 1}"


def test_ten_agent_runs_each_on_a_new_event_loop(llm: HFRouter) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=llm)

    async def once(i: int) -> str:
        return str(await agent.run(user_msg=f"What is {i} times 2?", max_iterations=5))

    for i in range(10):
        assert asyncio.run(once(i)) == f"Tool result: {i + 2}"  # `add` is the eager first tool


# -- events and callbacks -----------------------------------------------------------------------
_Collector = EventCollector


@pytest.fixture
def collector() -> Iterator[EventCollector]:
    """A handler on the root dispatcher, removed after the test."""
    with collect_events() as handler:
        yield handler


async def test_chat_start_and_end_events(llm: HFRouter, collector: _Collector) -> None:
    message = [ChatMessage(role=MessageRole.USER, content="events please")]
    llm.chat(message)
    [c async for c in await llm.astream_chat(message)]
    starts = [e for e in collector.events if isinstance(e, LLMChatStartEvent)]
    ends = [e for e in collector.events if isinstance(e, LLMChatEndEvent)]
    assert len(starts) == len(ends) == 2
    assert all(e.response.message.content == "events please" for e in ends)
    assert ends[-1].response.additional_kwargs["total_tokens"] > 0
    assert starts[0].model_dict["model_name"] == MODEL
    assert TOKEN not in repr(starts[0].model_dict)


async def test_token_counting_handler_reads_the_emulator_usage(
    llm: HFRouter, emulator: Any
) -> None:
    counter = TokenCountingHandler(tokenizer=lambda text: text.split())
    llm.callback_manager = CallbackManager([counter])
    message = [ChatMessage(role=MessageRole.USER, content="count these four tokens")]
    response = llm.chat(message)
    usage = response.raw["usage"]
    assert counter.prompt_llm_token_count == usage["prompt_tokens"]
    assert counter.completion_llm_token_count == usage["completion_tokens"] == 4
    chunks = [c async for c in await llm.astream_chat(message)]
    assert counter.completion_llm_token_count == 8
    assert counter.total_llm_token_count == 2 * usage["total_tokens"]
    assert chunks[-1].additional_kwargs["completion_tokens"] == 4
    llm.complete("three more tokens")
    assert counter.completion_llm_token_count == 11
