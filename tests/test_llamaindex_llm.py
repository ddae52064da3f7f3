"""HFRouter (llama_index_hf_router.llms) against the local emulator: metadata, the nine entry
points, streaming contents, reasoning, images, fallback, trimming, secrets and bad input.

Tool calling lives in tests/test_llamaindex_llm_tools.py, the LlamaIndex consumers (query and
chat engines, agents, handlers) in tests/test_llamaindex_consumers.py.
"""

from __future__ import annotations

import json
import pickle
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from _llama_index_events import EventCollector, collect_events
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
)
from llama_index.core.llms.custom import CustomLLM
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.rate_limiter import BaseRateLimiter

from hf_router.errors import InvalidInputError
from llama_index_hf_router import FallbackEvent, HFRouter, TrimmedEvent
from llama_index_hf_router.llms import DEFAULT_CONTEXT_WINDOW, packing_reserve

TOKEN = "hf_llamaindex_secret_0123456789"
MODEL = "meta-llama/Llama-3.3-70B-Instruct"
R1 = "deepseek-ai/DeepSeek-R1"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=text)]


def chats(emulator: Any) -> list[dict[str, Any]]:
    """The JSON bodies of the chat requests the emulator received."""
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


@pytest.fixture
async def llm(emulator: Any) -> AsyncIterator[HFRouter]:
    emulator.add_model(MODEL)
    router = HFRouter(
        MODEL, api_key=TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url, max_tokens=64
    )
    yield router
    router.close()
    await router.aclose()


_Collector = EventCollector


@pytest.fixture
def collector() -> Iterator[EventCollector]:
    """A handler on the root dispatcher, removed after the test."""
    with collect_events() as handler:
        yield handler


# -- the class ----------------------------------------------------------------------------------
def test_both_bases_and_pydantic_fields() -> None:
    mro = HFRouter.__mro__
    assert mro.index(CustomLLM) < mro.index(FunctionCallingLLM)
    fields = HFRouter.model_fields
    assert {"model", "max_tokens", "provider", "base_url", "context_window"} <= set(fields)
    assert "api_key" not in fields and "hf_token" not in fields
    router = HFRouter(MODEL, api_key=TOKEN, max_tokens=10)
    assert isinstance(router, CustomLLM) and isinstance(router, FunctionCallingLLM)
    assert router.class_name() == "HFRouter"


# -- metadata -----------------------------------------------------------------------------------
def test_metadata_context_window_smallest_live_provider(emulator: Any) -> None:
    providers = [
        {"provider": "together", "context_length": 8192},
        {"provider": "cerebras", "context_length": 4096},
        {"provider": "novita", "status": "staging", "context_length": 1024},
    ]
    emulator.add_model("org/ctx-model", providers=providers)
    router = HFRouter("org/ctx-model", api_key=TOKEN, base_url=emulator.base_url, max_tokens=77)
    meta = router.metadata
    assert meta.context_window == 4096  # novita is not live
    # the prompt helper may pack half of (window - max_tokens): what the fitter accepts too
    assert meta.num_output == packing_reserve(4096, 77) == 4096 - (4096 - 77) // 2
    assert meta.is_chat_model and meta.is_function_calling_model
    assert meta.model_name == "org/ctx-model"
    router.chat(user("hi"))
    assert chats(emulator)[-1]["max_tokens"] == 77  # max_tokens is sent, num_output is not
    pinned = HFRouter(
        "org/ctx-model", provider="together", api_key=TOKEN, base_url=emulator.base_url
    )
    assert pinned.metadata.context_window == 8192
    explicit = HFRouter("org/ctx-model", api_key=TOKEN, context_window=1000)
    assert explicit.metadata.context_window == 1000


def test_metadata_unknown_context_window_default_with_warning(emulator: Any) -> None:
    router = HFRouter("org/never-registered", api_key=TOKEN, base_url=emulator.base_url)
    with pytest.warns(UserWarning, match="context window of 'org/never-registered' is unknown"):
        assert router.metadata.context_window == DEFAULT_CONTEXT_WINDOW == 32768
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per instance, then cached
        assert router.metadata.context_window == DEFAULT_CONTEXT_WINDOW


# -- the nine entry points ----------------------------------------------------------------------
def test_chat_details_in_additional_kwargs(llm: HFRouter, emulator: Any) -> None:
    response = llm.chat(user("Hello from LlamaIndex"))
    assert response.message.role == MessageRole.ASSISTANT
    assert response.message.content == "Hello from LlamaIndex"
    extra = response.additional_kwargs
    assert extra["provider"] == "together"
    assert extra["finish_reason"] == "stop"
    assert extra["fallbacks"] == []
    assert extra["prompt_tokens"] > 0 and extra["completion_tokens"] == 3
    assert extra["total_tokens"] == extra["prompt_tokens"] + 3
    assert response.raw["usage"]["completion_tokens"] == 3
    body = chats(emulator)[-1]
    assert body["stream"] is True  # a whole answer is streamed under the hood, then aggregated
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 64  # the fixture's cap
    assert body["messages"] == [{"role": "user", "content": "Hello from LlamaIndex"}]
    assert emulator.requests[-1].headers["authorization"] == "Bearer hf_***"


def _check_stream(chunks: list[ChatResponse], text: str) -> None:
    assert len(chunks) >= 3
    so_far = ""
    for chunk in chunks[:-1]:
        so_far += chunk.delta or ""
        assert chunk.message.content == so_far
    assert so_far == text
    last = chunks[-1]
    assert last.delta == ""
    assert last.message.content == text
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert last.additional_kwargs[key] > 0
    assert last.additional_kwargs["provider"] == "together"
    assert last.additional_kwargs["finish_reason"] == "stop"


def test_stream_chat_delta_cumulative_and_last_chunk(llm: HFRouter, emulator: Any) -> None:
    chunks = list(llm.stream_chat(user("one two three four")))
    _check_stream(chunks, "one two three four")
    assert chats(emulator)[-1]["stream"] is True


async def test_achat_and_astream_chat(llm: HFRouter) -> None:
    assert (await llm.achat(user("async hello"))).message.content == "async hello"
    chunks = [c async for c in await llm.astream_chat(user("async one two three"))]
    _check_stream(chunks, "async one two three")


def test_complete_and_stream_complete(llm: HFRouter, emulator: Any) -> None:
    done = llm.complete("complete this prompt")
    assert done.text == "complete this prompt"
    assert done.additional_kwargs["completion_tokens"] == 3
    chunks = list(llm.stream_complete("stream this prompt"))
    assert "".join(c.delta or "" for c in chunks) == "stream this prompt"
    assert [c.text for c in chunks][-1] == "stream this prompt"
    assert chunks[-1].additional_kwargs["total_tokens"] > 0
    assert chats(emulator)[-1]["messages"] == [{"role": "user", "content": "stream this prompt"}]


async def test_acomplete_and_astream_complete(llm: HFRouter) -> None:
    assert (await llm.acomplete("async complete")).text == "async complete"
    chunks = [c async for c in await llm.astream_complete("async stream complete")]
    assert chunks[-1].text == "async stream complete"
    assert chunks[1].text == "async stream"


def test_per_call_parameters_reach_the_request(llm: HFRouter, emulator: Any) -> None:
    llm.temperature = 0.3
    llm.chat(user("x"), max_tokens=5, seed=7, stop=["END"])
    body = chats(emulator)[-1]
    assert (body["max_tokens"], body["seed"], body["stop"], body["temperature"]) == (
        5,
        7,
        ["END"],
        0.3,
    )


class _CountingLimiter(BaseRateLimiter):
    """A rate limiter that admits everything and counts the acquisitions."""

    calls: int = 0

    def acquire(self, num_tokens: int = 0) -> None:
        self.calls += 1

    async def async_acquire(self, num_tokens: int = 0) -> None:
        self.calls += 1


async def test_rate_limiter_is_consulted_by_every_entry_point(llm: HFRouter) -> None:
    limiter = _CountingLimiter()
    llm.rate_limiter = limiter
    llm.chat(user("a"))
    list(llm.stream_chat(user("b")))
    llm.complete("c")
    list(llm.stream_complete("d"))
    await llm.achat(user("e"))
    [c async for c in await llm.astream_chat(user("f"))]
    await llm.acomplete("g")
    [c async for c in await llm.astream_complete("h")]
    assert limiter.calls == 8


# -- reasoning and images -----------------------------------------------------------------------
async def test_reasoning_as_thinking_block_and_thinking_delta(emulator: Any) -> None:
    emulator.add_model(R1)
    router = HFRouter(R1, api_key=TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url)
    response = router.chat(user("think about it"))
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert [b.content for b in thinking] == ["Thinking about: think about it"]
    assert response.message.content == "think about it"
    chunks = [c async for c in await router.astream_chat(user("think about it"))]
    deltas = [c.additional_kwargs.get("thinking_delta") for c in chunks]
    assert "".join(d for d in deltas if d) == "Thinking about: think about it"
    final = chunks[-1].message.blocks
    assert isinstance(final[0], ThinkingBlock) and final[0].content.startswith("Thinking about")
    # reasoning is never sent back to the model
    history = [*user("q"), response.message, *user("again")]
    router.chat(history)
    sent = chats(emulator)[-1]["messages"]
    assert sent[1] == {"role": "assistant", "content": "think about it"}
    await router.aclose()


def test_image_blocks_become_image_url_parts(llm: HFRouter, emulator: Any) -> None:
    message = ChatMessage(
        role=MessageRole.USER,
        blocks=[
            TextBlock(text="What is in these?"),
            ImageBlock(image=PNG),
            ImageBlock(url="https://example.com/cat.jpg", detail="low"),
        ],
    )
    response = llm.chat([message])
    assert response.message.content == "I see 2 image(s). What is in these?"
    parts = chats(emulator)[-1]["messages"][0]["content"]
    assert parts[0] == {"type": "text", "text": "What is in these?"}
    assert parts[1]["type"] == "image_url"
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert parts[2] == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"},
    }


# -- fallback and trimming ----------------------------------------------------------------------
def test_fallback_from_402_visible_in_response_and_events(
    llm: HFRouter, emulator: Any, collector: _Collector
) -> None:
    emulator.set_fault("402", model=MODEL, provider="together")
    response = llm.chat(user("fallback please"))
    assert response.message.content == "fallback please"
    assert response.additional_kwargs["provider"] == "cerebras"
    assert response.additional_kwargs["attempt"] == 2
    [fallback] = response.additional_kwargs["fallbacks"]
    assert (fallback["provider"], fallback["status_code"]) == ("together", 402)
    assert fallback["error_type"] == "PaymentRequiredError"
    events = [e for e in collector.events if isinstance(e, FallbackEvent)]
    assert [(e.provider, e.status_code, e.attempt) for e in events] == [("together", 402, 1)]
    chunks = list(llm.stream_chat(user("stream fallback")))
    assert chunks[-1].additional_kwargs["provider"] == "cerebras"
    assert chunks[0].additional_kwargs["provider"] == "cerebras"


async def test_long_history_trimmed_visible_in_response_and_events(
    llm: HFRouter, emulator: Any, collector: _Collector
) -> None:
    history = [ChatMessage(role=MessageRole.SYSTEM, content="Be brief.")]
    for i in range(10):
        history.append(ChatMessage(role=MessageRole.USER, content=f"question {i} " + "x" * 300))
        history.append(ChatMessage(role=MessageRole.ASSISTANT, content=f"answer {i} " + "y" * 300))
    history.append(ChatMessage(role=MessageRole.USER, content="the last question"))
    llm.max_inputs_lenght = 1500  # the client is created on first use, with this limit
    chunks = [c async for c in await llm.astream_chat(history)]
    assert chunks[-1].message.content == "the last question"
    trimmed = chunks[-1].additional_kwargs["trimmed"]
    assert trimmed["before"] > 1500 >= trimmed["after"]
    assert trimmed["dropped_messages"] > 0
    sent = chats(emulator)[-1]["messages"]
    assert len(sent) == len(history) - trimmed["dropped_messages"]
    assert sent[0]["role"] == "system"
    [event] = [e for e in collector.events if isinstance(e, TrimmedEvent)]
    assert (event.before, event.after, event.model) == (trimmed["before"], trimmed["after"], MODEL)
    assert len(history) == 22  # the caller's list is untouched


# -- secrets ------------------------------------------------------------------------------------
def test_token_never_in_repr_dict_json_payload_or_pickle(llm: HFRouter) -> None:
    llm.chat(user("warm up the client"))
    for text in (
        repr(llm),
        str(llm),
        json.dumps(llm.to_dict(), default=str),
        llm.to_json(),
        json.dumps(llm.to_payload(), default=str),
        repr(llm.client),
    ):
        assert TOKEN not in text
    data = pickle.dumps(llm)
    assert TOKEN.encode() not in data
    assert llm.chat(user("still works after pickling")).message.content  # token kept here
    restored = pickle.loads(data)
    assert restored.model == MODEL and restored.max_tokens == 64


# -- bad input ----------------------------------------------------------------------------------
def test_unsupported_block_named(llm: HFRouter) -> None:
    message = ChatMessage(
        role=MessageRole.USER, blocks=[TextBlock(text="hi"), AudioBlock(audio=b"RIFF")]
    )
    with pytest.raises(InvalidInputError, match=r"messages\[0\]\.blocks\[1\] is a AudioBlock"):
        llm.chat([message])
    doc = ChatMessage(role=MessageRole.USER, blocks=[DocumentBlock(data=b"%PDF-1.4")])
    with pytest.raises(InvalidInputError, match=r"messages\[0\]\.blocks\[0\].*DocumentBlock"):
        list(llm.stream_chat([doc]))


def test_negative_max_tokens_named(llm: HFRouter, emulator: Any) -> None:
    with pytest.raises(InvalidInputError, match=r"max_tokens=-5 must be a positive integer"):
        HFRouter(MODEL, api_key=TOKEN, max_tokens=-5)
    with pytest.raises(InvalidInputError, match=r"max_tokens=-1"):
        llm.chat(user("x"), max_tokens=-1)
    with pytest.raises(InvalidInputError, match=r"max_tokens=0"):
        llm.stream_complete("x", max_tokens=0)
    with pytest.raises(InvalidInputError, match=r"context_window=0"):
        HFRouter(MODEL, context_window=0)
    assert chats(emulator) == []  # nothing was sent


def test_other_bad_inputs_named(llm: HFRouter) -> None:
    with pytest.raises(InvalidInputError, match=r"messages\[0\] is a dict"):
        llm.chat([{"role": "user", "content": "hi"}])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="prompt must be a string"):
        llm.complete(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="model="):
        HFRouter("")
    with pytest.raises(InvalidInputError, match=r"temperature=9"):
        llm.chat(user("x"), temperature=9)
    with pytest.raises(InvalidInputError, match="Unknown chat parameter"):
        llm.chat(user("x"), not_a_parameter=1)
