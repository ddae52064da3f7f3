"""Generation defaults for real work (issue #18): no silent token cap, whole answers streamed
under the hood (so the per-read timeout applies between tokens), no retry that could bill an
answer twice, and a visible warning when an answer is cut at the token limit.

Everything runs against the emulator over loopback, or against small raw-socket servers of
our own for the transport failures."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from hf_router import HuggingFaceAPI, RetryPolicy, RouterClient, completion_reserve
from hf_router.errors import ConnectionError, InvalidInputError, TimeoutError
from hf_router.testing import RouterEmulator
from langchain_hf_router import ChatHFRouter
from llama_index_hf_router import HFRouter
from llama_index_hf_router.llms import packing_reserve

MODEL = "acme/chat-7b"
THINKER = "acme/thinker-R1"  # "R1" in the id: a reasoning model (reasoning_content)
TOKEN = "hf_test"
QUESTION = "Explain how a long answer reaches the client"
# 20 tokens, one every 250 ms: an answer that takes 5 seconds to generate.
SLOW = "slow_generation=5,token_ms=250"
SLOW_TEXT = " ".join(f"tok{i}" for i in range(20))
FAST_RETRY = RetryPolicy(max_retries=2, initial_backoff=0.01, max_backoff=0.02, jitter=0.0)


def chat_posts(emulator: RouterEmulator) -> list[dict[str, Any]]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


def router_client(emulator: RouterEmulator, **kwargs: Any) -> RouterClient:
    return RouterClient(TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url, **kwargs)


def chat_model(emulator: RouterEmulator, **kwargs: Any) -> ChatHFRouter:
    return ChatHFRouter(
        model=MODEL, api_key=TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url, **kwargs
    )


def llama_llm(emulator: RouterEmulator, **kwargs: Any) -> HFRouter:
    emulator.add_model(MODEL)  # listed in /v1/models, so its context window is known
    return HFRouter(
        MODEL, api_key=TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url, **kwargs
    )


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=text)]


# -- 1. no cap by default -----------------------------------------------------------------------
async def test_default_bodies_of_the_three_clients_carry_no_max_tokens(
    emulator: RouterEmulator,
) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    with router_client(emulator) as client:
        assert client.chat(MODEL, messages).text == QUESTION
        assert (await client.achat(MODEL, messages)).text == QUESTION
        assert "".join(ev.text for ev in client.stream_chat(MODEL, messages) if hasattr(ev, "text"))
    assert chat_model(emulator).invoke(QUESTION).content == QUESTION
    assert llama_llm(emulator).chat(user(QUESTION)).message.content == QUESTION
    assert llama_llm(emulator).complete(QUESTION).text == QUESTION
    bodies = chat_posts(emulator)
    assert len(bodies) == 6
    for body in bodies:
        assert "max_tokens" not in body and "max_completion_tokens" not in body


async def test_the_seed_facade_keeps_its_2048_cap(emulator: RouterEmulator) -> None:
    text = [
        chunk
        async for chunk in HuggingFaceAPI.create_async_generator(
            MODEL,
            [{"role": "user", "content": QUESTION}],
            api_base=emulator.base_url,
            api_key=TOKEN,
        )
        if isinstance(chunk, str)
    ]
    assert "".join(text) == QUESTION
    assert [body["max_tokens"] for body in chat_posts(emulator)] == [2048]


def test_an_explicit_cap_is_still_sent(emulator: RouterEmulator) -> None:
    with router_client(emulator, max_tokens=300) as client:
        client.chat(MODEL, [{"role": "user", "content": QUESTION}])
        client.chat(MODEL, [{"role": "user", "content": QUESTION}], max_tokens=5)
    chat_model(emulator, max_tokens=40).invoke(QUESTION)
    assert [b["max_tokens"] for b in chat_posts(emulator)] == [300, 5, 40]


# -- completion_reserve: planning only, never sent ------------------------------------------------
def test_completion_reserve_depends_on_the_window() -> None:
    assert completion_reserve(131072, None) == 8192  # capped
    assert completion_reserve(16000, None) == 4000  # a quarter of the window
    assert completion_reserve(2048, None) == 512
    assert completion_reserve(None, None) == 4096  # window unknown
    assert completion_reserve(131072, 700) == 700  # an explicit cap is what the server reserves
    for bad in (0, -5, 1.5, True, "8k"):
        with pytest.raises(InvalidInputError):
            completion_reserve(bad, None)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError):
            completion_reserve(8192, bad)  # type: ignore[arg-type]


def test_llamaindex_num_output_is_the_reserve_not_a_cap(emulator: RouterEmulator) -> None:
    emulator.add_model("acme/ctx-16k", context_length=16000)
    llm = HFRouter("acme/ctx-16k", api_key=TOKEN, base_url=emulator.base_url)
    meta = llm.metadata
    # num_output is the packing reserve built on completion_reserve (a quarter of 16,000)
    assert (meta.context_window, meta.num_output) == (16000, packing_reserve(16000, None))
    assert completion_reserve(16000, None) == 4000
    llm.complete(QUESTION)
    assert "max_tokens" not in chat_posts(emulator)[-1]
    capped = HFRouter("acme/ctx-16k", api_key=TOKEN, base_url=emulator.base_url, max_tokens=256)
    assert capped.metadata.num_output == packing_reserve(16000, 256)


# -- 2. whole answers stream under the hood ---------------------------------------------------
def test_invoke_gets_a_5_second_answer_whole_with_timeout_1(emulator: RouterEmulator) -> None:
    emulator.set_fault(SLOW, model=MODEL)
    message = chat_model(emulator, timeout=1).invoke(QUESTION)
    assert isinstance(message, AIMessage)
    assert message.content == SLOW_TEXT
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["provider"] == "together"
    assert message.usage_metadata is not None and message.usage_metadata["output_tokens"] == 20
    (body,) = chat_posts(emulator)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_ainvoke_gets_a_5_second_answer_whole_with_timeout_1(
    emulator: RouterEmulator,
) -> None:
    emulator.set_fault(SLOW, model=MODEL)
    message = await chat_model(emulator, timeout=1).ainvoke(QUESTION)
    assert message.content == SLOW_TEXT
    assert message.response_metadata["finish_reason"] == "stop"
    assert len(chat_posts(emulator)) == 1


def test_llamaindex_chat_gets_a_5_second_answer_whole_with_timeout_1(
    emulator: RouterEmulator,
) -> None:
    emulator.set_fault(SLOW, model=MODEL)
    response = llama_llm(emulator, timeout=1).chat(user(QUESTION))
    assert response.message.content == SLOW_TEXT
    assert response.raw["finish_reason"] == "stop"
    assert response.raw["usage"]["completion_tokens"] == 20
    assert len(chat_posts(emulator)) == 1


async def test_llamaindex_achat_gets_a_5_second_answer_whole_with_timeout_1(
    emulator: RouterEmulator,
) -> None:
    emulator.set_fault(SLOW, model=MODEL)
    response = await llama_llm(emulator, timeout=1).achat(user(QUESTION))
    assert response.message.content == SLOW_TEXT
    assert len(chat_posts(emulator)) == 1


def test_router_client_chat_gets_a_5_second_answer_whole_with_timeout_1(
    emulator: RouterEmulator,
) -> None:
    emulator.set_fault(SLOW, model=MODEL)
    with router_client(emulator, timeout=1) as client:
        result = client.chat(MODEL, [{"role": "user", "content": QUESTION}])
    assert result.text == SLOW_TEXT
    assert result.finish_reason == "stop"
    assert result.usage is not None and result.usage.output_tokens == 20
    assert result.provider_info is not None and result.provider_info.provider == "together"


def test_streamed_and_plain_whole_answers_are_identical(emulator: RouterEmulator) -> None:
    """Text, reasoning, tool calls, usage, finish reason and provider: the same either way."""
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    cases: list[tuple[str, dict[str, Any]]] = [
        (MODEL, {}),
        (THINKER, {}),
        (MODEL, {"tools": [tool], "tool_choice": "get_weather"}),
        (MODEL, {"max_tokens": 3}),
    ]
    messages = [{"role": "user", "content": 'Weather in "Paris" in 3 days please'}]
    with (
        router_client(emulator) as streamed,
        router_client(emulator, stream_whole_answers=False) as plain,
    ):
        for model, params in cases:
            a = streamed.chat(model, messages, **params)
            b = plain.chat(model, messages, **params)
            assert (a.text, a.reasoning, a.finish_reason) == (b.text, b.reasoning, b.finish_reason)
            calls = [[(c.name, c.arguments) for c in r.tool_calls] for r in (a, b)]
            assert calls[0] == calls[1]  # the ids differ: the emulator numbers every call
            assert a.invalid_tool_calls == b.invalid_tool_calls == []
            assert a.usage == b.usage and a.provider_info == b.provider_info
            assert a.model == b.model and a.system_fingerprint == b.system_fingerprint
    flags = [body["stream"] for body in chat_posts(emulator)]
    assert flags == [True, False] * len(cases)


def test_fallbacks_are_reported_the_same_in_streamed_whole_answers(
    emulator: RouterEmulator,
) -> None:
    emulator.set_fault("402", model=MODEL, provider="together")
    with router_client(emulator) as client:
        result = client.chat(MODEL, [{"role": "user", "content": QUESTION}])
    assert result.text == QUESTION
    assert result.provider_info is not None and result.provider_info.provider == "cerebras"
    assert [(f.provider, f.status_code) for f in result.fallbacks] == [("together", 402)]


# -- 3. the explicit non-streamed mode, and retries that cannot double-bill --------------------
def test_non_streamed_mode_times_out_after_exactly_one_request(emulator: RouterEmulator) -> None:
    emulator.set_fault(SLOW, model=MODEL)
    client = router_client(emulator, timeout=1, stream_whole_answers=False)
    with client, pytest.raises(TimeoutError) as info:
        client.chat(f"{MODEL}:together", [{"role": "user", "content": QUESTION}])
    err = info.value
    assert err.request_sent is True
    assert "not retried" in str(err) and "billing" in str(err)
    assert "retry_after_send=True" in str(err)
    (body,) = chat_posts(emulator)  # exactly one request: max_retries=2 did not resend it
    assert body["stream"] is False and "stream_options" not in body


def test_langchain_non_streamed_mode_times_out_after_one_request(emulator: RouterEmulator) -> None:
    emulator.set_fault(SLOW, model=MODEL)
    llm = chat_model(emulator, timeout=1, stream_whole_answers=False, provider="together")
    with pytest.raises(TimeoutError, match="not retried"):
        llm.invoke(QUESTION)
    assert len(chat_posts(emulator)) == 1


def test_llamaindex_non_streamed_mode_times_out_after_one_request(
    emulator: RouterEmulator,
) -> None:
    emulator.set_fault(SLOW, model=MODEL)
    llm = llama_llm(emulator, timeout=1, stream_whole_answers=False, provider="together")
    with pytest.raises(TimeoutError, match="not retried"):
        llm.complete(QUESTION)
    assert len(chat_posts(emulator)) == 1


def test_a_read_timeout_falls_back_to_the_next_provider_without_retrying(
    emulator: RouterEmulator,
) -> None:
    emulator.set_fault(SLOW, model=MODEL, provider="together")
    with router_client(emulator, timeout=1, stream_whole_answers=False) as client:
        result = client.chat(MODEL, [{"role": "user", "content": QUESTION}])
    assert result.text == QUESTION
    assert result.provider_info is not None and result.provider_info.provider == "cerebras"
    assert {f.error_type for f in result.fallbacks} == {"TimeoutError"}
    # Each attempt is sent once (max_retries=2 would resend each twice): the router's choice
    # (together), then the Hub mapping's providers, together and cerebras.
    models = [body["model"] for body in chat_posts(emulator)]
    assert models == [MODEL, f"{MODEL}:together", f"{MODEL}:cerebras"]


def test_5xx_is_still_retried(emulator: RouterEmulator) -> None:
    emulator.set_fault("503:estimated_time=0", model=MODEL, times=2)
    with router_client(emulator, retry_policy=FAST_RETRY) as client:
        result = client.chat(f"{MODEL}:together", [{"role": "user", "content": QUESTION}])
    assert result.text == QUESTION
    assert len(chat_posts(emulator)) == 3


class HangUpServer:
    """A raw-socket server that reads each request whole, waits ``delay`` seconds (working on
    it), then closes without answering. Counts the requests it received."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    piece = conn.recv(65536)
                    if not piece:
                        break
                    data += piece
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                while len(body) < length:
                    piece = conn.recv(65536)
                    if not piece:
                        break
                    body += piece
                if head:
                    self.requests += 1
                    time.sleep(self.delay)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def hang_up_server() -> Iterator[HangUpServer]:
    """Hangs up 1.5 s after the request: past the stale-connection window, so the request was
    received and may have started a (billed) generation."""
    server = HangUpServer(delay=1.5)
    yield server
    server.close()


@pytest.mark.parametrize("whole_streamed", [True, False])
def test_a_connection_lost_after_sending_is_not_retried(
    hang_up_server: HangUpServer, whole_streamed: bool
) -> None:
    client = RouterClient(
        base_url=f"http://127.0.0.1:{hang_up_server.port}/v1",
        retry_policy=FAST_RETRY,
        stream_whole_answers=whole_streamed,
    )
    with client, pytest.raises(ConnectionError) as info:
        client.chat("org/model", [{"role": "user", "content": QUESTION}])
    assert info.value.request_sent is True
    assert "not retried" in str(info.value)
    assert hang_up_server.requests == 1


def test_retry_after_send_opts_back_in(hang_up_server: HangUpServer) -> None:
    policy = RetryPolicy(max_retries=1, initial_backoff=0.01, jitter=0.0, retry_after_send=True)
    client = RouterClient(
        base_url=f"http://127.0.0.1:{hang_up_server.port}/v1", retry_policy=policy
    )
    with client, pytest.raises(ConnectionError) as info:
        client.chat("org/model", [{"role": "user", "content": QUESTION}])
    assert "not retried" not in str(info.value)
    assert hang_up_server.requests == 2


def test_an_immediate_hang_up_is_a_stale_connection_and_is_retried() -> None:
    """A keep-alive connection the server already closed fails at once with no response: the
    request was never processed, so it is retried like a connect failure."""
    server = HangUpServer(delay=0.0)
    client = RouterClient(base_url=f"http://127.0.0.1:{server.port}/v1", retry_policy=FAST_RETRY)
    try:
        with client, pytest.raises(ConnectionError) as info:
            client.chat("org/model", [{"role": "user", "content": QUESTION}])
    finally:
        server.close()
    assert info.value.request_sent is False
    assert "not retried" not in str(info.value)
    assert server.requests == 3


async def test_a_refused_connection_is_still_retried(caplog: pytest.LogCaptureFixture) -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connecting is refused, nothing was sent
    caplog.set_level(logging.INFO, logger="hf_router")
    client = RouterClient(base_url=f"http://127.0.0.1:{port}/v1", retry_policy=FAST_RETRY)
    async with client:
        with pytest.raises(ConnectionError) as info:
            await client.achat("org/model", [{"role": "user", "content": QUESTION}])
    assert info.value.request_sent is False
    retries = [r for r in caplog.records if r.getMessage().startswith("Retrying after")]
    assert len(retries) == 2


# -- 4. truncation is visible ----------------------------------------------------------------
def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "hf_router" and r.levelno == logging.WARNING
    ]


def test_reasoning_that_eats_the_cap_warns_with_advice(
    emulator: RouterEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.set_fault("long_reasoning=400", model=THINKER)
    caplog.set_level(logging.WARNING, logger="hf_router")
    with router_client(emulator) as client:
        result = client.chat(THINKER, [{"role": "user", "content": QUESTION}], max_tokens=64)
    assert result.finish_reason == "length"
    assert result.text == "" and len(result.reasoning.split()) == 64
    (message,) = _warnings(caplog)
    assert "max_tokens=64" in message
    assert repr(THINKER) in message and "'together'" in message
    assert "64 reasoning + 0 answer tokens" in message
    assert "raise max_tokens or lower reasoning_effort" in message


def test_a_cut_answer_warns_and_adapters_keep_the_finish_reason(
    emulator: RouterEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hf_router")
    message = chat_model(emulator, max_tokens=3).invoke(QUESTION)
    assert message.content == "Explain how a"
    assert message.response_metadata["finish_reason"] == "length"
    response = llama_llm(emulator, max_tokens=3).chat(user(QUESTION))
    assert response.raw["finish_reason"] == "length"
    found = _warnings(caplog)
    assert len(found) == 2
    for text in found:
        assert "cut at the token limit (max_tokens=3" in text
        assert "3 output tokens" in text and "raise max_tokens" in text
        assert "reasoning_effort" not in text  # the answer is not empty: no reasoning advice


def test_a_normal_answer_logs_nothing(
    emulator: RouterEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hf_router")
    with router_client(emulator) as client:
        assert client.chat(THINKER, [{"role": "user", "content": QUESTION}]).text == QUESTION
        assert client.chat(MODEL, [{"role": "user", "content": QUESTION}]).text == QUESTION
    assert chat_model(emulator).invoke(QUESTION).content == QUESTION
    assert _warnings(caplog) == []


# -- 5. the emulator's slow generator and long thinker ---------------------------------------
def test_emulator_slow_generation_and_long_reasoning_shape_the_answer(
    emulator: RouterEmulator,
) -> None:
    emulator.set_fault("slow_generation=0.5,token_ms=50", model=MODEL)
    emulator.set_fault("long_reasoning=30", model=THINKER)
    with router_client(emulator) as client:
        slow = client.chat(MODEL, [{"role": "user", "content": QUESTION}])
        thought = client.chat(THINKER, [{"role": "user", "content": "hi"}])
    assert slow.text == " ".join(f"tok{i}" for i in range(10))
    assert thought.text == "hi"
    words = thought.reasoning.split()
    assert len(words) == 30 and words[:3] == ["Thinking", "about:", "hi"]
    assert words[3:5] == ["step1", "step2"] and words[-1] == "step27"
    assert thought.usage is not None and thought.usage.details["reasoning_tokens"] == 30
    for bad in ("slow_generation", "slow_generation=x", "token_ms=-1", "long_reasoning=2.5"):
        with pytest.raises(ValueError):
            emulator.set_fault(bad)
