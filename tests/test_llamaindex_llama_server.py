"""HFRouter against a real, independent OpenAI-compatible server: llama.cpp with SmolLM2-135M
(SPEC 6a). The servers come from tests/conftest.py; their quirks are in docs/llama-server.md.

Plain chat runs on the GGUF's own template (``llama_chat_base_url``); the forced tool call on
``chatml-function-calling`` (``llama_base_url``), with a named tool because that format fails on
``tool_choice="required"``. Generation stays cheap: small ``max_tokens``, temperature 0, seed 1.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole, ToolCallBlock
from llama_index.core.tools import FunctionTool

from llama_index_hf_router import HFRouter

pytestmark = pytest.mark.llama_server

MODEL = "smollm2"  # llama.cpp serves one model and echoes whatever name it is sent
CAPITAL = [
    ChatMessage(role=MessageRole.USER, content="What is the capital of France? Answer in one word.")
]


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny in {city}"


async def _router(base_url: str) -> AsyncIterator[HFRouter]:
    router = HFRouter(
        MODEL,
        base_url=base_url,
        max_tokens=24,
        temperature=0,
        seed=1,
        timeout=60,
        context_window=2048,
        stream_whole_answers=False,  # this server's streams carry no usage (quirk 1)
    )
    yield router
    router.close()
    await router.aclose()


@pytest.fixture
async def llm(llama_chat_base_url: str) -> AsyncIterator[HFRouter]:
    async for router in _router(llama_chat_base_url):
        yield router


@pytest.fixture
async def tools_llm(llama_base_url: str) -> AsyncIterator[HFRouter]:
    async for router in _router(llama_base_url):
        yield router


def _check_stream(chunks: list[ChatResponse], whole: str) -> None:
    assert len(chunks) >= 2
    so_far = ""
    for chunk in chunks[:-1]:
        so_far += chunk.delta or ""
        assert chunk.message.content == so_far
    assert chunks[-1].delta == ""
    assert chunks[-1].message.content == so_far == whole
    assert chunks[-1].additional_kwargs["finish_reason"] in ("stop", "length")
    # llama.cpp sends no usage chunk when streaming: no token counts, and raw says so
    assert "completion_tokens" not in chunks[-1].additional_kwargs
    assert chunks[-1].raw["usage"] is None


def test_complete(llm: HFRouter) -> None:
    response = llm.complete("What is the capital of France? Answer in one word.")
    assert "Paris" in response.text
    assert response.additional_kwargs["completion_tokens"] > 0  # non-streamed answers have usage


def test_chat(llm: HFRouter) -> None:
    response = llm.chat(CAPITAL)
    assert "Paris" in (response.message.content or "")
    assert response.additional_kwargs["finish_reason"] in ("stop", "length")
    assert response.additional_kwargs["fallbacks"] == []


def test_stream_chat(llm: HFRouter) -> None:
    whole = llm.chat(CAPITAL).message.content or ""
    _check_stream(list(llm.stream_chat(CAPITAL)), whole)


async def test_astream_chat(llm: HFRouter) -> None:
    whole = (await llm.achat(CAPITAL)).message.content or ""
    chunks = [c async for c in await llm.astream_chat(CAPITAL)]
    _check_stream(chunks, whole)
    assert "Paris" in whole


async def test_forced_tool_call(tools_llm: HFRouter) -> None:
    tool = FunctionTool.from_defaults(get_weather)
    question = "What is the weather in Paris?"
    response = tools_llm.chat_with_tools([tool], user_msg=question, tool_choice="get_weather")
    [selection] = tools_llm.get_tool_calls_from_response(response)
    assert selection.tool_name == "get_weather"
    assert isinstance(selection.tool_kwargs, dict) and "city" in selection.tool_kwargs
    stream = await tools_llm.astream_chat_with_tools(
        [tool], user_msg=question, tool_choice="get_weather"
    )
    chunks = [c async for c in stream]
    [block] = [b for b in chunks[-1].message.blocks if isinstance(b, ToolCallBlock)]
    assert block.tool_name == "get_weather"  # named once, never 'get_weatherget_weather'
    assert block.tool_kwargs == selection.tool_kwargs
    [wire] = chunks[-1].message.additional_kwargs["tool_calls"]
    assert json.loads(wire["function"]["arguments"]) == block.tool_kwargs


def test_tool_history_is_answered(llm: HFRouter) -> None:
    tool = FunctionTool.from_defaults(get_weather)
    first = llm.chat_with_tools(
        [tool], user_msg="What is the weather in Paris?", tool_choice="get_weather"
    )
    [call] = llm.get_tool_calls_from_response(first)
    history: list[Any] = [
        ChatMessage(role=MessageRole.USER, content="What is the weather in Paris?"),
        first.message,
        ChatMessage(
            role=MessageRole.TOOL,
            content="Sunny, 18 C",
            additional_kwargs={"tool_call_id": call.tool_id},
        ),
    ]
    answer = llm.chat(history)  # content "" (never null) for the assistant turn: accepted
    assert answer.additional_kwargs["finish_reason"] in ("stop", "length")
