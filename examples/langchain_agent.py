"""LangChain agent: ``create_agent`` with ChatHFRouter and a tool; the model calls the tool,
reads its result and answers. Then the same with a provider out of credits (402).

Offline by default: without HF_TOKEN it starts the bundled router emulator in this process
(its model calls the first tool with numbers from your message, then reports the tool's result).
With HF_TOKEN set it talks to the real router.

    .venv/bin/python examples/langchain_agent.py       # or: make demo
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from langchain_hf_router import ChatHFRouter

MODEL = "Qwen/Qwen2.5-72B-Instruct"


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@contextlib.contextmanager
def chat_model() -> Iterator[tuple[ChatHFRouter, Any]]:
    """A model on the real router (HF_TOKEN set) or on an in-process emulator."""
    if os.environ.get("HF_TOKEN"):
        print("HF_TOKEN is set: talking to the real router at https://router.huggingface.co\n")
        yield ChatHFRouter(model=MODEL, temperature=0, max_tokens=200), None
        return
    from hf_router.testing import RouterEmulator

    with RouterEmulator() as emu:
        print(f"HF_TOKEN is not set: using the local router emulator at {emu.url}")
        print("(a deterministic model that calls tools; set HF_TOKEN to use the real router)\n")
        llm = ChatHFRouter(
            model=MODEL, api_key="hf_emulator", base_url=emu.base_url, hub_url=emu.hub_url
        )
        yield llm, emu


def run(agent: Any, question: str) -> None:
    print(f"   user: {question}")
    state = agent.invoke({"messages": [("user", question)]})
    for message in state["messages"][1:]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"   model calls {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            print(f"   tool returns {message.content}")
        elif isinstance(message, AIMessage):
            meta = message.response_metadata
            for fallback in meta.get("fallbacks", []):
                print(
                    f"   [fallback] {fallback['provider']} failed "
                    f"({fallback['error_type']}, HTTP {fallback['status_code']})"
                )
            print(f"   answer ({meta.get('provider')}): {message.content}")
    print()


def main() -> int:
    with chat_model() as (llm, emu):
        agent = create_agent(llm, [multiply], system_prompt="Use the multiply tool for products.")
        print("1. The agent loop: tool call, tool result, answer")
        run(agent, "What is 6 times 7?")
        if emu is not None:
            print("2. The first provider is out of credits (402): the answer comes from the next")
            emu.set_fault("402", model=MODEL, provider="together")
            run(agent, "What is 12 times 12?")
    return 0


if __name__ == "__main__":
    sys.exit(main())
