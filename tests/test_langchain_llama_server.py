"""``ChatHFRouter`` against a real, independent OpenAI-compatible server (SPEC 6a): llama.cpp
with SmolLM2-135M. A selected subset of the standard integration suite's calls (invoke, stream,
ainvoke, astream, batch), a forced tool call, structured output by function calling, and the
server's quirks (no usage chunk, repeated tool-call names in stream chunks, null content
rejected). Generation stays cheap: small ``max_tokens``, ``temperature=0``, ``seed=1``."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from pydantic import BaseModel, Field

from langchain_hf_router import ChatHFRouter

pytestmark = pytest.mark.llama_server

MODEL = "smollm2"  # llama.cpp serves one model and echoes the name it is sent
QUESTION = "What is the capital of France? Answer in one word."


class GetWeather(BaseModel):
    """Get the current weather for a city."""

    city: str = Field(description="The city name")


def make(base_url: str, **kwargs: Any) -> ChatHFRouter:
    params = {
        "model": MODEL,
        "api_key": "no-token-needed",  # not the HF router: no token is required or checked
        "base_url": base_url,
        "temperature": 0,
        "seed": 1,
        "max_tokens": 16,
        "timeout": 60,
        "stream_whole_answers": False,  # this server's streams carry no usage (quirk 1)
        **kwargs,
    }
    return ChatHFRouter(**params)


def merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    assert chunks
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def check_answer(message: AIMessage) -> None:
    assert isinstance(message, AIMessage)
    assert isinstance(message.content, str) and message.content.strip()
    meta = message.response_metadata
    assert meta["model_name"] == MODEL
    assert meta["model_provider"] == "huggingface"
    assert meta["finish_reason"] in ("stop", "length")
    assert meta["id"]


def test_invoke_and_batch(llama_chat_base_url):
    llm = make(llama_chat_base_url)
    message = llm.invoke(QUESTION)
    check_answer(message)
    assert "paris" in message.text.lower()
    assert message.usage_metadata is not None  # the non-streamed answer carries usage
    assert message.usage_metadata["input_tokens"] > 0
    results = llm.batch([QUESTION, "Say hello."])
    assert len(results) == 2
    for result in results:
        check_answer(result)


async def test_ainvoke(llama_chat_base_url):
    message = await make(llama_chat_base_url).ainvoke(QUESTION)
    check_answer(message)
    assert "paris" in message.text.lower()


def test_stream_without_usage_chunk(llama_chat_base_url):
    chunks = list(make(llama_chat_base_url).stream(QUESTION))
    full = merge(chunks)
    check_answer(full)
    assert chunks[-1].chunk_position == "last"
    assert not any(c.usage_metadata for c in chunks)  # llama.cpp sends no usage chunk
    assert full.text.strip() == make(llama_chat_base_url).invoke(QUESTION).text.strip()


async def test_astream(llama_chat_base_url):
    chunks = [c async for c in make(llama_chat_base_url).astream(QUESTION)]
    assert len(chunks) > 2
    check_answer(merge(chunks))


def test_forced_tool_call_by_name(llama_base_url):
    llm = make(llama_base_url, max_tokens=48).bind_tools([GetWeather], tool_choice="GetWeather")
    question = "What is the weather in Paris?"
    message = llm.invoke(question)
    assert [call["name"] for call in message.tool_calls] == ["GetWeather"]
    assert isinstance(message.tool_calls[0]["args"].get("city"), str)
    streamed = merge(list(llm.stream(question)))
    # llama.cpp repeats the id and the name in every chunk: still one call, named once
    assert [call["name"] for call in streamed.tool_calls] == ["GetWeather"]
    assert streamed.tool_calls[0]["args"] == message.tool_calls[0]["args"]
    assert streamed.response_metadata["finish_reason"] == "tool_calls"


def test_structured_output_by_function_calling(llama_base_url):
    llm = make(llama_base_url, max_tokens=48)
    structured = llm.with_structured_output(GetWeather, method="function_calling")
    weather = structured.invoke("What is the weather in Paris?")
    assert isinstance(weather, GetWeather)
    raw = llm.with_structured_output(
        GetWeather, method="function_calling", include_raw=True
    ).invoke("What is the weather in Paris?")
    assert isinstance(raw["raw"], AIMessage)
    assert raw["parsing_error"] is None


def test_tool_history_with_empty_assistant_content(llama_base_url):
    """llama.cpp rejects ``content: null`` beside tool calls; the adapter sends ``""``."""
    history = [
        HumanMessage("What is the weather in Paris?"),
        AIMessage(
            [],  # list content with no text: must go out as "" (never null)
            tool_calls=[{"name": "GetWeather", "args": {"city": "Paris"}, "id": "call_1"}],
        ),
        ToolMessage("Sunny, 22 degrees", tool_call_id="call_1"),
    ]
    message = make(llama_base_url).invoke(history)
    check_answer(message)
