"""HFRouter as LlamaIndex's LLM: a query engine over a few documents, its answer streamed.

Offline by default: without HF_TOKEN it starts the bundled local router emulator in this process
(its model echoes the prompt it receives, so you see the retrieved context the engine sent).
With HF_TOKEN set it asks the real router. Embeddings are LlamaIndex's MockEmbedding in both
cases (the document set is tiny, so every document is retrieved).

    .venv/bin/python examples/llamaindex_query_engine.py            # or: make demo
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent

from llama_index_hf_router import FallbackEvent, HFRouter

MODEL = "meta-llama/Llama-3.3-70B-Instruct"
DOCUMENTS = [
    "hf-router streams chat answers from Hugging Face Inference Providers.",
    "When a provider answers 402 (out of credits), hf-router falls back to the next provider.",
    "Long chats are trimmed to max_inputs_lenght characters before they are sent.",
]
QUESTION = "What happens when a provider is out of credits?"


class WhoAnswered(BaseEventHandler):
    """Remembers the provider of the last LLM answer and prints fallbacks as they happen."""

    provider: str | None = None

    @classmethod
    def class_name(cls) -> str:
        return "WhoAnswered"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, LLMChatEndEvent) and event.response is not None:
            self.provider = event.response.additional_kwargs.get("provider") or self.provider
        elif isinstance(event, FallbackEvent):
            print(f"  [fallback] {event.provider} answered HTTP {event.status_code}; next one")


@contextlib.contextmanager
def router_llm() -> Iterator[tuple[HFRouter, Any]]:
    """HFRouter for the real router (HF_TOKEN set) or for an in-process emulator."""
    if os.environ.get("HF_TOKEN"):
        print("HF_TOKEN is set: asking the real router at https://router.huggingface.co\n")
        yield HFRouter(MODEL, max_tokens=200), None
        return
    from hf_router.testing import RouterEmulator

    with RouterEmulator() as emu:
        print(f"HF_TOKEN is not set: using the local router emulator at {emu.url}")
        print("(its model echoes the prompt, so the answer shows what the engine sent)\n")
        emu.add_model(MODEL, providers=["together", "cerebras"])
        emu.set_fault("402", model=MODEL, provider="together")  # show a fallback
        yield (
            HFRouter(MODEL, api_key="hf_emulator", base_url=emu.base_url, hub_url=emu.hub_url),
            emu,
        )


def main() -> int:
    handler = WhoAnswered()
    get_dispatcher().add_event_handler(handler)
    with router_llm() as (llm, _emu):
        Settings.llm = llm
        Settings.embed_model = MockEmbedding(embed_dim=8)
        index = VectorStoreIndex.from_documents([Document(text=t) for t in DOCUMENTS])
        engine = index.as_query_engine(similarity_top_k=len(DOCUMENTS), streaming=True)
        print(f"Question: {QUESTION}\nAnswer (streamed):\n")
        response = engine.query(QUESTION)
        for token in response.response_gen:  # type: ignore[union-attr]
            print(token, end="", flush=True)
        print(f"\n\nServed by: {handler.provider} (model {llm.model})")
        print(f"Context window: {llm.metadata.context_window} tokens")
        llm.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
