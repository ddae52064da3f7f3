"""HFRouter driving a LlamaIndex FunctionAgent with two tools, its events streamed.

Offline by default: without HF_TOKEN it starts the bundled local router emulator in this process.
Its model is "tool-eager": it calls the first tool (or the one the agent forces) with arguments
taken from your question, then answers "Tool result: ...". With HF_TOKEN set a real model on the
real router decides which tool to call.

    .venv/bin/python examples/llamaindex_agent.py            # or: make demo
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCall, ToolCallResult
from llama_index.core.tools import FunctionTool

from llama_index_hf_router import HFRouter

MODEL = "meta-llama/Llama-3.3-70B-Instruct"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@contextlib.asynccontextmanager
async def router_llm() -> AsyncIterator[HFRouter]:
    """HFRouter for the real router (HF_TOKEN set) or for an in-process emulator."""
    if os.environ.get("HF_TOKEN"):
        print("HF_TOKEN is set: asking the real router at https://router.huggingface.co\n")
        llm = HFRouter(MODEL, max_tokens=300, temperature=0)
        yield llm
        await llm.aclose()
        return
    from hf_router.testing import RouterEmulator

    async with RouterEmulator() as emu:
        print(f"HF_TOKEN is not set: using the local router emulator at {emu.url}")
        print("(its model calls a tool with numbers from the question, then reports the result)\n")
        emu.add_model(MODEL, context_length=131072)  # so the metadata knows the window
        llm = HFRouter(MODEL, api_key="hf_emulator", base_url=emu.base_url, hub_url=emu.hub_url)
        yield llm
        await llm.aclose()


async def ask(agent: FunctionAgent, question: str) -> None:
    """Run the agent on one question, printing tool calls, results and streamed tokens."""
    print(f"Q: {question}")
    handler = agent.run(user_msg=question)
    streaming = False
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"  [tool] {event.tool_name}({event.tool_kwargs}) -> {event.tool_output.content}")
            streaming = False
        elif isinstance(event, ToolCall):
            continue
        elif isinstance(event, AgentStream) and event.delta:
            if not streaming:
                print("A: ", end="")
                streaming = True
            print(event.delta, end="", flush=True)  # the answer, token by token
    response: Any = await handler
    print(f"\n(final answer: {str(response)!r})\n")


async def main() -> int:
    tools = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(multiply)]
    async with router_llm() as llm:
        agent = FunctionAgent(
            tools=tools, llm=llm, system_prompt="You do arithmetic with the tools you have."
        )
        await ask(agent, "What is 19 plus 23?")
        forced = FunctionAgent(tools=tools, llm=llm, initial_tool_choice="multiply")
        await ask(forced, "What is 6 times 7?")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
