"""``ChatHFRouter`` driving a real ``langchain.agents.create_agent`` loop on the emulator: the
model calls a tool, gets its result and answers; a 402 provider falls back visibly."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from hf_router.testing import RouterEmulator
from langchain_hf_router import ChatHFRouter

MODEL = "meta-llama/Llama-3.3-70B-Instruct"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def make_agent(emulator: RouterEmulator, **kwargs: Any) -> Any:
    llm = ChatHFRouter(
        model=MODEL,
        api_key="hf_agent_test",
        base_url=emulator.base_url,
        hub_url=emulator.hub_url,
        **kwargs,
    )
    return create_agent(llm, [add], system_prompt="You add numbers with the add tool.")


def check_loop(messages: list[Any]) -> AIMessage:
    assert isinstance(messages[0], HumanMessage)
    call = messages[1]
    assert isinstance(call, AIMessage)
    assert call.tool_calls[0]["name"] == "add"
    assert call.tool_calls[0]["args"] == {"a": 3, "b": 4}
    result = messages[2]
    assert isinstance(result, ToolMessage)
    assert result.content == "7"
    assert result.tool_call_id == call.tool_calls[0]["id"]
    final = messages[-1]
    assert isinstance(final, AIMessage)
    assert final.content == "Tool result: 7"
    assert not final.tool_calls
    assert len(messages) == 4
    return final


def test_agent_calls_the_tool_then_answers(emulator):
    state = make_agent(emulator).invoke({"messages": [HumanMessage("add 3 and 4")]})
    final = check_loop(state["messages"])
    assert final.response_metadata["finish_reason"] == "stop"
    bodies = [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert len(bodies) == 2
    assert bodies[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": state["messages"][1].tool_calls[0]["id"],
        "content": "7",
    }


async def test_agent_async_streams_the_loop(emulator):
    agent = make_agent(emulator)
    steps = [step async for step in agent.astream({"messages": [("user", "add 3 and 4")]})]
    assert len(steps) >= 3
    state = await agent.ainvoke({"messages": [("user", "add 3 and 4")]})
    check_loop(state["messages"])


def test_fallback_from_a_402_provider_is_in_the_final_message(emulator):
    emulator.set_fault("402", model=MODEL, provider="together")
    state = make_agent(emulator).invoke({"messages": [HumanMessage("add 3 and 4")]})
    final = check_loop(state["messages"])
    meta = final.response_metadata
    assert meta["provider"] == "cerebras"
    assert [(f["provider"], f["status_code"]) for f in meta["fallbacks"]] == [("together", 402)]
