"""The frameworks' own floors: do-nothing models that yield ready chunks with no network at all.

They show what LangChain's and LlamaIndex's streaming machinery costs by itself per chunk, so an
adapter's overhead can be judged against raw HTTP plus the framework it has to go through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any


def langchain_floor(chunks: int) -> Any:
    """A LangChain chat model whose stream yields ``chunks`` ready text chunks."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    pieces = [f"tok{i} " for i in range(chunks)]

    class FloorChatModel(BaseChatModel):
        """Yields the same text every time; touches no network."""

        @property
        def _llm_type(self) -> str:
            return "floor"

        def _generate(self, messages: list[BaseMessage], stop: Any = None, **kw: Any) -> ChatResult:
            message = AIMessage(content="".join(pieces))
            return ChatResult(generations=[ChatGeneration(message=message)])

        def _stream(
            self, messages: list[BaseMessage], stop: Any = None, **kw: Any
        ) -> Iterator[ChatGenerationChunk]:
            for piece in pieces:
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

        async def _astream(
            self, messages: list[BaseMessage], stop: Any = None, **kw: Any
        ) -> AsyncIterator[ChatGenerationChunk]:
            for piece in pieces:
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    return FloorChatModel()


def llama_index_floor(chunks: int) -> Any:
    """A LlamaIndex LLM whose ``astream_chat`` yields ``chunks`` ready responses (cumulative
    content, as LlamaIndex's streaming contract asks)."""
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        ChatResponseAsyncGen,
        CompletionResponse,
        CompletionResponseGen,
        LLMMetadata,
        MessageRole,
    )
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
    from llama_index.core.llms.custom import CustomLLM

    pieces = [f"tok{i} " for i in range(chunks)]

    class FloorLLM(CustomLLM):
        """Yields the same text every time; touches no network."""

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True, model_name="floor")

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            return CompletionResponse(text="".join(pieces))

        @llm_completion_callback()
        def stream_complete(
            self, prompt: str, formatted: bool = False, **kw: Any
        ) -> CompletionResponseGen:
            def gen() -> CompletionResponseGen:
                text = ""
                for piece in pieces:
                    text += piece
                    yield CompletionResponse(text=text, delta=piece)

            return gen()

        @llm_chat_callback()
        async def astream_chat(self, messages: Any, **kw: Any) -> ChatResponseAsyncGen:
            async def gen() -> ChatResponseAsyncGen:
                text = ""
                for piece in pieces:
                    text += piece
                    yield ChatResponse(
                        message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=piece
                    )

            return gen()

    return FloorLLM()
