"""HFRouter function calling against the local emulator: tool calls in responses and streams,
the tool-call history on the wire, tool_required / tool_choice, structured_predict, bad tools."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from hf_router.errors import InvalidInputError
from llama_index_hf_router import HFRouter

TOKEN = "hf_test"
MODEL = "meta-llama/Llama-3.3-70B-Instruct"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(multiply)]


def chats(emulator: Any) -> list[dict[str, Any]]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


@pytest.fixture
async def llm(emulator: Any) -> AsyncIterator[HFRouter]:
    emulator.add_model(MODEL)
    router = HFRouter(MODEL, api_key=TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url)
    yield router
    router.close()
    await router.aclose()


def _check_add_call(message: ChatMessage) -> None:
    [block] = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    assert (block.tool_name, block.tool_kwargs) == ("add", {"a": 2, "b": 3})
    assert block.tool_call_id and block.tool_call_id.startswith("call_")
    [wire] = message.additional_kwargs["tool_calls"]
    assert wire["id"] == block.tool_call_id
    assert wire["function"]["name"] == "add"
    assert json.loads(wire["function"]["arguments"]) == {"a": 2, "b": 3}


def test_chat_with_tools_gives_tool_call_blocks_and_selections(
    llm: HFRouter, emulator: Any
) -> None:
    response = llm.chat_with_tools(TOOLS, user_msg="What is 2 plus 3?")
    _check_add_call(response.message)
    assert response.additional_kwargs["finish_reason"] == "tool_calls"
    [selection] = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("add", {"a": 2, "b": 3})
    assert isinstance(selection.tool_kwargs, dict)
    body = chats(emulator)[-1]
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "multiply"]
    assert body["tools"][0]["function"]["parameters"]["required"] == ["a", "b"]
    assert body["tool_choice"] == "auto"
    assert "parallel_tool_calls" not in body


def test_stream_chat_with_tools_last_chunk_carries_the_call(llm: HFRouter) -> None:
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg="What is 2 plus 3?"))
    for chunk in chunks[:-1]:
        assert not any(isinstance(b, ToolCallBlock) for b in chunk.message.blocks)
    _check_add_call(chunks[-1].message)
    assert chunks[-1].additional_kwargs["completion_tokens"] > 0


async def test_astream_chat_with_tools(llm: HFRouter) -> None:
    stream = await llm.astream_chat_with_tools(TOOLS, user_msg="What is 2 plus 3?")
    chunks = [c async for c in stream]
    _check_add_call(chunks[-1].message)
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_kwargs == {"a": 2, "b": 3}


def test_prepare_chat_with_tools_never_mutates_history(llm: HFRouter) -> None:
    history = [ChatMessage(role=MessageRole.SYSTEM, content="You add.")]
    before = [m.model_copy(deep=True) for m in history]
    prepared = llm._prepare_chat_with_tools(TOOLS, user_msg="2 and 3", chat_history=history)
    assert history == before and len(history) == 1
    assert prepared["messages"] is not history
    assert [m.content for m in prepared["messages"]] == ["You add.", "2 and 3"]
    assert prepared["tool_choice"] == "auto"
    llm.chat_with_tools(TOOLS, user_msg="4 and 5", chat_history=history)
    assert history == before


def test_tool_call_history_is_sent_correctly(llm: HFRouter, emulator: Any) -> None:
    first = llm.chat_with_tools(TOOLS, user_msg="What is 2 plus 3?")
    [call] = llm.get_tool_calls_from_response(first)
    tool_message = ChatMessage(
        role=MessageRole.TOOL,
        blocks=[TextBlock(text="5")],
        additional_kwargs={"tool_call_id": call.tool_id, "name": "add"},
    )
    history = [ChatMessage(role=MessageRole.USER, content="What is 2 plus 3?"), first.message]
    final = llm.chat_with_tools(TOOLS, chat_history=[*history, tool_message])
    assert final.message.content == "Tool result: 5"
    assert llm.get_tool_calls_from_response(final, error_on_no_tool_call=False) == []
    sent = chats(emulator)[-1]["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": call.tool_id,
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
            }
        ],
    }
    assert sent[2] == {"role": "tool", "content": "5", "tool_call_id": call.tool_id}


def test_openai_style_tool_calls_in_additional_kwargs_are_sent(
    llm: HFRouter, emulator: Any
) -> None:
    assistant = ChatMessage(
        role=MessageRole.ASSISTANT,
        content=None,
        additional_kwargs={
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "add", "arguments": {"a": 1}}}
            ]
        },
    )
    tool = ChatMessage(role=MessageRole.TOOL, content="1", additional_kwargs={"tool_call_id": "c1"})
    llm.chat([ChatMessage(role=MessageRole.USER, content="1?"), assistant, tool])
    sent = chats(emulator)[-1]["messages"]
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'
    assert sent[1]["content"] == ""


def test_tool_required_and_named_tool_choice(llm: HFRouter, emulator: Any) -> None:
    history = [
        ChatMessage(role=MessageRole.USER, content="2 and 3"),
        ChatMessage(role=MessageRole.ASSISTANT, content="Let me think."),
    ]
    free = llm.chat_with_tools(TOOLS, chat_history=history)  # the last turn is not the user's
    assert llm.get_tool_calls_from_response(free, error_on_no_tool_call=False) == []
    with pytest.raises(InvalidInputError, match="response has no tool call"):
        llm.get_tool_calls_from_response(free)
    forced = llm.chat_with_tools(TOOLS, chat_history=history, tool_required=True)
    assert chats(emulator)[-1]["tool_choice"] == "required"
    assert llm.get_tool_calls_from_response(forced)[0].tool_name == "add"
    named = llm.chat_with_tools(TOOLS, chat_history=history, tool_choice="multiply")
    assert chats(emulator)[-1]["tool_choice"] == {
        "type": "function",
        "function": {"name": "multiply"},
    }
    assert llm.get_tool_calls_from_response(named)[0].tool_kwargs == {"a": 2, "b": 3}


def test_single_tool_call_unless_parallel_allowed(llm: HFRouter) -> None:
    message = ChatMessage(
        role=MessageRole.ASSISTANT,
        blocks=[
            ToolCallBlock(tool_call_id="a", tool_name="add", tool_kwargs={"a": 1, "b": 2}),
            ToolCallBlock(tool_call_id="b", tool_name="multiply", tool_kwargs={"a": 1, "b": 2}),
        ],
    )
    from llama_index.core.base.llms.types import ChatResponse

    response = ChatResponse(message=message)
    single = llm._validate_chat_with_tools_response(response, TOOLS)
    assert [s.tool_id for s in llm.get_tool_calls_from_response(single)] == ["a"]
    both = llm._validate_chat_with_tools_response(response, TOOLS, allow_parallel_tool_calls=True)
    assert [s.tool_id for s in llm.get_tool_calls_from_response(both)] == ["a", "b"]


class Invoice(BaseModel):
    """An invoice."""

    number: int
    total: float
    customer: str


async def test_structured_predict_through_function_calling(llm: HFRouter, emulator: Any) -> None:
    prompt = PromptTemplate("Extract the invoice: {text}")
    text = 'Invoice 42 for "ACME Corp", total 99.5'
    invoice = llm.structured_predict(Invoice, prompt, text=text)
    assert invoice == Invoice(number=42, total=99.5, customer="ACME Corp")
    body = chats(emulator)[-1]
    assert body["tool_choice"] == "required"
    assert body["tools"][0]["function"]["name"] == "Invoice"
    again = await llm.astructured_predict(Invoice, prompt, text=text)
    assert again == invoice


def _unconvertible(callback: Callable[[int], int]) -> int:
    """Takes a callable, which has no JSON Schema."""
    return callback(1)


def test_tool_whose_schema_cannot_be_converted(llm: HFRouter, emulator: Any) -> None:
    bad = FunctionTool.from_defaults(_unconvertible)
    with pytest.raises(InvalidInputError, match=r"tools\[1\] \('_unconvertible'\) has a schema"):
        llm.chat_with_tools([TOOLS[0], bad], user_msg="hi")
    with pytest.raises(InvalidInputError, match=r"tools\[0\] is a str"):
        llm.chat_with_tools(["add"], user_msg="hi")  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="tool result without"):
        llm.chat([ChatMessage(role=MessageRole.TOOL, content="5")])
    assert chats(emulator) == []
