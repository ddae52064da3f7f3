"""LangChain: a streaming chain (prompt template | ChatHFRouter | output parser), then the
metadata of one answer: who served it, usage, and a visible fallback.

Offline by default: without HF_TOKEN it starts the bundled router emulator in this process
(its model echoes your last message). With HF_TOKEN set it talks to the real router.

    .venv/bin/python examples/langchain_chat.py        # or: make demo
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_hf_router import ChatHFRouter

MODEL = "meta-llama/Llama-3.3-70B-Instruct"


@contextlib.contextmanager
def chat_model() -> Iterator[tuple[ChatHFRouter, Any]]:
    """A model on the real router (HF_TOKEN set) or on an in-process emulator."""
    if os.environ.get("HF_TOKEN"):
        print("HF_TOKEN is set: talking to the real router at https://router.huggingface.co\n")
        yield ChatHFRouter(model=MODEL, max_tokens=120), None
        return
    from hf_router.testing import RouterEmulator

    with RouterEmulator() as emu:
        print(f"HF_TOKEN is not set: using the local router emulator at {emu.url}")
        print("(its model echoes your last message; set HF_TOKEN to use the real router)\n")
        llm = ChatHFRouter(
            model=MODEL, api_key="hf_emulator", base_url=emu.base_url, hub_url=emu.hub_url
        )
        yield llm, emu


def main() -> int:
    with chat_model() as (llm, emu):
        prompt = ChatPromptTemplate.from_messages(
            [
                ("system", "You are a concise assistant. Answer in {language}."),
                ("human", "Explain {topic} in two sentences."),
            ]
        )
        chain = prompt | llm | StrOutputParser()

        print("1. A streaming chain: prompt | ChatHFRouter | StrOutputParser")
        print("   ", end="")
        for piece in chain.stream({"language": "English", "topic": "HTTP keep-alive"}):
            print(piece, end="", flush=True)
        print("\n")

        print("2. One answer's metadata")
        message = llm.invoke("Say hello to LangChain.")
        meta = message.response_metadata
        print(f"   text: {message.content}")
        print(f"   served by: {meta['provider']} ({meta['model_name']}), attempt {meta['attempt']}")
        print(f"   finish: {meta['finish_reason']}, usage: {message.usage_metadata}\n")

        print("3. A provider out of credits (402): the answer says so and comes from the next one")
        if emu is not None:
            emu.set_fault("402", model=MODEL, provider="together")
            message = llm.invoke("Fallback works.")
        else:
            message = llm.invoke(
                "Say: fallback works.",
                model="hf-router-demo/no-such-model",
                fallback_models=[MODEL],
            )
        for fallback in message.response_metadata.get("fallbacks", []):
            print(
                f"   [fallback] {fallback['provider'] or fallback['model']} failed "
                f"({fallback['error_type']}, HTTP {fallback['status_code']})"
            )
        print(f"   answer from {message.response_metadata['provider']}: {message.content}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
