"""HuggingChat web search: an answer and its sources, in LangChain and in LlamaIndex.

Offline by default: without HF_CHAT_COOKIE it starts the bundled emulator (which speaks
HuggingChat's web protocol, with deterministic sources) and points the code at it through the
environment. With HF_CHAT_COOKIE set (the `hf-chat` and `token` cookies of a logged-in browser
session: "hf-chat=...; token=..."), it asks the real HuggingChat.

    python examples/web_search_sources.py      # or: make demo
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

QUESTION = "What is retrieval-augmented generation?"


@contextlib.contextmanager
def huggingchat() -> Iterator[None]:
    """Use the real HuggingChat when HF_CHAT_COOKIE is set, else the local emulator."""
    if os.environ.get("HF_CHAT_COOKIE"):
        print("HF_CHAT_COOKIE is set: asking the real HuggingChat\n")
        yield
        return
    from hf_router.testing import RouterEmulator

    with RouterEmulator() as emu:
        print(f"HF_CHAT_COOKIE is not set: using the local emulator at {emu.url}/chat")
        print("(deterministic answers and sources; set HF_CHAT_COOKIE for the real HuggingChat)\n")
        saved = dict(os.environ)
        os.environ.update(emu.env())
        # the current HuggingChat ties the hf-chat session to huggingface.co's token cookie
        os.environ["HF_CHAT_COOKIE"] = "hf-chat=emulator-session; token=emulator-login"
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def langchain_part() -> None:
    from langchain_core.runnables import RunnableLambda

    from langchain_hf_router import HuggingChatSearchRetriever, get_sources_callback

    print("LangChain: HuggingChatSearchRetriever in a chain, sources collected by a callback")
    retriever = HuggingChatSearchRetriever(k=3)
    chain = retriever | RunnableLambda(lambda docs: docs[0].metadata["answer"] if docs else "")
    with get_sources_callback() as cb:
        answer = chain.invoke(QUESTION)
    print(f"  answer: {answer}")
    for source in cb.sources:
        print(f"  source: {source.title} <{source.url}> ({source.hostname})")
    print()


def llama_index_part() -> None:
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler

    from llama_index_hf_router import HuggingChatRetriever, SourcesEvent

    class PrintSources(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "PrintSources"

        def handle(self, event: object, **kwargs: object) -> None:
            if isinstance(event, SourcesEvent):
                print(f"  [SourcesEvent] {len(event.sources)} sources for {event.query!r}")

    print("LlamaIndex: HuggingChatRetriever, nodes with scores, a SourcesEvent")
    root = get_dispatcher()
    handler = PrintSources()
    root.add_event_handler(handler)
    try:
        nodes = HuggingChatRetriever(k=3).retrieve(QUESTION)
    finally:
        root.event_handlers.remove(handler)
    if nodes:
        print(f"  answer: {nodes[0].node.metadata['answer']}")
    for node in nodes:
        print(f"  {node.score:.2f}  {node.node.metadata['title']} <{node.node.metadata['url']}>")
    print()


def main() -> int:
    with huggingchat():
        langchain_part()
        llama_index_part()
    return 0


if __name__ == "__main__":
    sys.exit(main())
