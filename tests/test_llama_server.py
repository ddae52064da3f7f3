"""RouterClient against a real, independent OpenAI-compatible server: llama.cpp with SmolLM2-135M.

Two servers are started lazily, once per session (see tests/_llama_server.py for why two):
``llama_chat_base_url`` uses the GGUF's own ChatML template (plain chat, history, errors) and
``llama_base_url`` uses ``--chat_format chatml-function-calling`` (tool calls). The quirks these
tests exercise are documented, with evidence, in docs/llama-server.md.

Generation stays cheap: small ``max_tokens``, ``temperature=0`` and a fixed ``seed``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from hf_router import (
    ChatResult,
    Finish,
    ProviderInfo,
    RouterClient,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from hf_router.errors import BadRequestError, HFRouterError, ProviderError

pytestmark = pytest.mark.llama_server

MODEL = "smollm2"  # llama.cpp serves one model and ignores (echoes) the name it is sent
CHEAP: dict[str, Any] = {"temperature": 0, "seed": 1}
CAPITAL = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
COUNT = [{"role": "user", "content": "Count from 1 to 10 separated by commas."}]
WEATHER = [{"role": "user", "content": "What is the weather in Paris?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
FORCE_WEATHER = {"type": "function", "function": {"name": "get_weather"}}
FORCED: dict[str, Any] = {"tools": [WEATHER_TOOL], "tool_choice": FORCE_WEATHER, **CHEAP}
AUTO_DECLINE_EMPTY = (
    "llama-cpp-python's chatml-function-calling handler answers content '' when tool_choice "
    "'auto' declines the tool, although the model generated tokens (docs/llama-server.md, "
    "quirk 11); the model's choice itself is right (the test above)"
)
NO_TRACEBACK = "Traceback (most recent call last)"
# Whole answers as one plain JSON request: this server's streams carry no usage (quirk 1) and
# its errors after the headers come as empty streams (quirk 8), so it is a server that cannot
# stream whole answers faithfully. The default mode is checked in
# test_default_mode_streams_whole_answers.
PLAIN: dict[str, Any] = {"stream_whole_answers": False}


# -- fixtures (the two servers live in tests/conftest.py) ----------------------------------------
@pytest.fixture
def client(llama_chat_base_url: str) -> Iterator[RouterClient]:
    with RouterClient(base_url=llama_chat_base_url, timeout=60, **PLAIN) as c:
        yield c


@pytest.fixture
def tools_client(llama_base_url: str) -> Iterator[RouterClient]:
    with RouterClient(base_url=llama_base_url, timeout=60, **PLAIN) as c:
        yield c


@pytest.fixture(params=["chatml-function-calling", "gguf-template"])
def any_base_url(request: pytest.FixtureRequest) -> str:
    """Each server in turn: both honour a forced tool_choice, with the same chunk shapes."""
    name = "llama_base_url" if request.param == "chatml-function-calling" else "llama_chat_base_url"
    return str(request.getfixturevalue(name))


# -- helpers --------------------------------------------------------------------------------------
def _text(events: list[Any]) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, TextDelta))


def _check_usage(usage: Usage | None) -> None:
    if usage is not None:
        assert usage.input_tokens > 0
        assert usage.output_tokens >= 0
        assert usage.total_tokens == usage.input_tokens + usage.output_tokens


def _check_stream_shape(events: list[Any]) -> Finish:
    """ProviderInfo first, exactly one Finish and it is last, at most one Usage just before it."""
    assert events, "the stream produced no events"
    assert isinstance(events[0], ProviderInfo), events[:2]
    assert events[0].model == MODEL
    assert events[0].attempt == 1
    finishes = [ev for ev in events if isinstance(ev, Finish)]
    assert len(finishes) == 1, finishes
    assert isinstance(events[-1], Finish), events[-3:]
    usages = [ev for ev in events if isinstance(ev, Usage)]
    assert len(usages) <= 1, usages
    if usages:
        assert events[-2] is usages[0]
        _check_usage(usages[0])
    assert all(ev.text for ev in events if isinstance(ev, TextDelta)), "empty TextDelta"
    return events[-1]


def _check_tool_deltas(events: list[Any]) -> dict[str, Any]:
    """One call, named once (llama.cpp repeats id/type/name in every chunk); its parsed args."""
    deltas = [ev for ev in events if isinstance(ev, ToolCallDelta)]
    assert deltas, "no ToolCallDelta events"
    assert {d.index for d in deltas} == {0}
    names = [d.name for d in deltas if d.name]
    assert "".join(names) == "get_weather", names  # never 'get_weatherget_weather...'
    assert deltas[0].name == "get_weather"
    assert deltas[0].id
    assert [d.id for d in deltas[1:] if d.id] == [], "the id must come once, on the first fragment"
    arguments = json.loads("".join(d.arguments_fragment for d in deltas))
    assert isinstance(arguments, dict)
    return arguments


def _check_weather_call(result: ChatResult) -> None:
    assert result.invalid_tool_calls == []
    assert len(result.tool_calls) == 1, result.tool_calls
    call = result.tool_calls[0]
    assert call.name == "get_weather"
    assert call.id
    assert isinstance(call.arguments, dict)
    assert isinstance(call.arguments.get("city"), str)
    assert call.arguments["city"].strip()
    assert result.finish_reason == "tool_calls"
    assert result.text == ""  # llama.cpp answers content: null next to the tool call


# -- plain chat -----------------------------------------------------------------------------------
def test_chat_answers_with_text(client: RouterClient) -> None:
    result = client.chat(MODEL, CAPITAL, max_tokens=32, **CHEAP)
    assert result.text.strip()
    assert "paris" in result.text.lower()
    assert result.finish_reason in ("stop", "length")
    assert result.tool_calls == []
    assert result.provider_info is not None
    assert result.provider_info.model == MODEL
    assert result.provider_info.attempt == 1
    # a non-streamed llama.cpp answer does carry usage
    assert result.usage is not None
    _check_usage(result.usage)
    assert result.usage.output_tokens <= 32
    assert result.response_id
    assert result.response_id.startswith("chatcmpl-")


def test_max_tokens_cuts_the_answer(client: RouterClient) -> None:
    full = client.chat(MODEL, CAPITAL, max_tokens=32, **CHEAP)
    short = client.chat(MODEL, CAPITAL, max_tokens=5, **CHEAP)
    assert short.finish_reason == "length"
    assert short.text.strip()
    assert len(short.text) < len(full.text)
    assert full.text.startswith(short.text)
    _check_usage(short.usage)
    if short.usage is not None:
        assert short.usage.output_tokens == 5


def test_stream_matches_chat(client: RouterClient) -> None:
    whole = client.chat(MODEL, CAPITAL, max_tokens=32, **CHEAP)
    events = list(client.stream_chat(MODEL, CAPITAL, max_tokens=32, **CHEAP))
    finish = _check_stream_shape(events)
    assert len([ev for ev in events if isinstance(ev, TextDelta)]) > 1  # really streamed
    assert _text(events) == whole.text
    assert finish.reason == whole.finish_reason
    assert finish.response_id
    assert finish.response_id.startswith("chatcmpl-")
    assert not any(isinstance(ev, ToolCallDelta) for ev in events)


def test_stream_without_usage_chunk_still_finishes(client: RouterClient) -> None:
    # llama.cpp sends no usage chunk even though the client asks with include_usage
    events = list(client.stream_chat(MODEL, CAPITAL, max_tokens=4, **CHEAP))
    finish = _check_stream_shape(events)
    assert finish.reason == "length"
    assert _text(events).strip()
    usages = [ev for ev in events if isinstance(ev, Usage)]
    assert usages == [] or usages[0].output_tokens == 4


async def test_achat_matches_chat(client: RouterClient, llama_chat_base_url: str) -> None:
    whole = client.chat(MODEL, CAPITAL, max_tokens=32, **CHEAP)
    async with RouterClient(base_url=llama_chat_base_url, timeout=60, **PLAIN) as aclient:
        result = await aclient.achat(MODEL, CAPITAL, max_tokens=32, **CHEAP)
    assert result.text == whole.text
    assert result.finish_reason == whole.finish_reason
    assert result.usage == whole.usage
    assert result.provider_info == whole.provider_info


async def test_astream_matches_stream(client: RouterClient, llama_chat_base_url: str) -> None:
    sync_events = list(client.stream_chat(MODEL, CAPITAL, max_tokens=32, **CHEAP))
    async with RouterClient(base_url=llama_chat_base_url, timeout=60, **PLAIN) as aclient:
        events = [ev async for ev in aclient.astream_chat(MODEL, CAPITAL, max_tokens=32, **CHEAP)]
    finish = _check_stream_shape(events)
    assert _text(events) == _text(sync_events)
    assert finish.reason == sync_events[-1].reason


def test_stop_sequence_is_honoured(client: RouterClient) -> None:
    free = client.chat(MODEL, COUNT, max_tokens=32, **CHEAP)
    assert "5" in free.text  # without the stop sequence the model does count past 4
    stopped = client.chat(MODEL, COUNT, max_tokens=32, stop=["5"], **CHEAP)
    assert stopped.text.strip()
    assert "5" not in stopped.text
    assert free.text.startswith(stopped.text)
    assert stopped.finish_reason == "stop"
    events = list(client.stream_chat(MODEL, COUNT, max_tokens=32, stop="5", **CHEAP))
    assert _check_stream_shape(events).reason == "stop"
    assert _text(events) == stopped.text


def test_json_object_with_schema_gives_json(client: RouterClient) -> None:
    # json_schema is rejected by llama.cpp; json_object plus "schema" is its grammar-backed form
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
    }
    response_format = {"type": "json_object", "schema": schema}
    result = client.chat(MODEL, CAPITAL, max_tokens=32, response_format=response_format, **CHEAP)
    data = json.loads(result.text)
    assert isinstance(data, dict)
    assert isinstance(data.get("answer"), str)


# -- tools ----------------------------------------------------------------------------------------
def test_forced_tool_call(any_base_url: str) -> None:
    with RouterClient(base_url=any_base_url, timeout=60, **PLAIN) as c:
        result = c.chat(MODEL, WEATHER, max_tokens=48, **FORCED)
    _check_weather_call(result)


def test_forced_tool_call_stream_names_the_tool_once(any_base_url: str) -> None:
    with RouterClient(base_url=any_base_url, timeout=60, **PLAIN) as c:
        whole = c.chat(MODEL, WEATHER, max_tokens=48, **FORCED)
        events = list(c.stream_chat(MODEL, WEATHER, max_tokens=48, **FORCED))
    finish = _check_stream_shape(events)
    assert finish.reason == "tool_calls"
    assert _text(events) == ""
    assert _check_tool_deltas(events) == whole.tool_calls[0].arguments


async def test_astream_forced_tool_call(llama_base_url: str) -> None:
    async with RouterClient(base_url=llama_base_url, timeout=60, **PLAIN) as aclient:
        result = await aclient.achat(MODEL, WEATHER, max_tokens=48, **FORCED)
        events = [ev async for ev in aclient.astream_chat(MODEL, WEATHER, max_tokens=48, **FORCED)]
    _check_weather_call(result)
    assert _check_stream_shape(events).reason == "tool_calls"
    assert _check_tool_deltas(events) == result.tool_calls[0].arguments


def _history(call_message: dict[str, Any], tool_result: str) -> list[dict[str, Any]]:
    return [
        *WEATHER,
        call_message,
        {
            "role": "tool",
            "tool_call_id": call_message["tool_calls"][0]["id"],
            "content": tool_result,
        },
    ]


def test_tool_history_round_trip(any_base_url: str) -> None:
    """A real tool call, answered; the assistant turn is given with content None, which
    llama.cpp rejects (HTTP 500) unless the client sends "" instead."""
    with RouterClient(base_url=any_base_url, timeout=60, **PLAIN) as c:
        first = c.chat(MODEL, WEATHER, max_tokens=48, **FORCED)
        _check_weather_call(first)
        call_message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [first.tool_calls[0].to_openai()],
        }
        history = _history(call_message, "18 C and sunny")
        answer = c.chat(
            MODEL, history, max_tokens=24, tools=[WEATHER_TOOL], tool_choice="none", **CHEAP
        )
    assert answer.text.strip()
    assert answer.tool_calls == []
    assert answer.finish_reason in ("stop", "length")
    assert call_message["content"] is None  # the caller's message was not modified


def test_tool_result_reaches_the_model(client: RouterClient) -> None:
    """With the GGUF template the tool message is part of the prompt: a longer tool result
    costs more input tokens. (chatml-function-calling drops tool messages; see the docs.)"""
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    call_message = {"role": "assistant", "content": None, "tool_calls": [call]}
    short = client.chat(MODEL, _history(call_message, "18 C"), max_tokens=8, **CHEAP)
    long = client.chat(
        MODEL,
        _history(call_message, "18 C and sunny, a light breeze from the west, no rain this week"),
        max_tokens=8,
        **CHEAP,
    )
    assert short.usage is not None
    assert long.usage is not None
    assert long.usage.input_tokens > short.usage.input_tokens + 5


def _say_hello_with_auto_tools(tools_client: RouterClient) -> ChatResult:
    return tools_client.chat(
        MODEL,
        [{"role": "user", "content": "Say hello to Ada."}],
        max_tokens=24,
        tools=[WEATHER_TOOL],
        tool_choice="auto",
        **CHEAP,
    )


def test_auto_tool_choice_picks_the_tool_only_when_useful(tools_client: RouterClient) -> None:
    called = tools_client.chat(
        MODEL, WEATHER, max_tokens=48, tools=[WEATHER_TOOL], tool_choice="auto", **CHEAP
    )
    _check_weather_call(called)
    assert called.tool_calls[0].arguments["city"].lower() == "paris"
    plain = _say_hello_with_auto_tools(tools_client)
    assert plain.tool_calls == []
    assert plain.finish_reason == "stop"
    assert plain.usage is not None and plain.usage.output_tokens > 0


@pytest.mark.xfail(reason=AUTO_DECLINE_EMPTY, strict=True)
def test_auto_tool_choice_declined_still_answers(tools_client: RouterClient) -> None:
    assert _say_hello_with_auto_tools(tools_client).text.strip()


# -- errors ---------------------------------------------------------------------------------------
def _check_error_text(err: HFRouterError, server_says: str) -> None:
    text = str(err)
    assert server_says in text
    assert NO_TRACEBACK not in text
    assert len(text) < 2000


def _ask(client: RouterClient, streaming: bool, **params: Any) -> object:
    if streaming:
        return list(client.stream_chat(MODEL, CAPITAL, **params))
    return client.chat(MODEL, CAPITAL, **params)


@pytest.mark.parametrize("streaming", [False, True], ids=["chat", "stream"])
def test_server_validation_error_is_typed(llama_chat_base_url: str, streaming: bool) -> None:
    """llama.cpp answers a request that fails its validation with HTTP 500 and a pydantic dump:
    the client recognises it as a bad request (no retry, no fallback), not a provider outage."""
    with (
        RouterClient(base_url=llama_chat_base_url, timeout=60, **PLAIN) as c,
        pytest.raises(HFRouterError) as info,
    ):
        _ask(c, streaming, max_tokens=8, extra_body={"top_k": "many"})
    assert isinstance(info.value, BadRequestError), type(info.value)
    assert info.value.status_code == 500
    assert "app.py" not in str(info.value)  # the server's traceback line is dropped
    _check_error_text(info.value, "Input should be a valid integer")


def test_context_overflow_is_bad_request(client: RouterClient) -> None:
    too_long = [{"role": "user", "content": "hello " * 2500}]  # > 2048 tokens
    with pytest.raises(BadRequestError) as info:
        client.chat(
            MODEL, too_long, max_tokens=8, max_inputs_lenght=None, adaptive_fit=False, **CHEAP
        )
    assert info.value.status_code == 400
    _check_error_text(info.value, "maximum context length is 2048 tokens")


def test_required_tool_choice_fails_with_a_typed_error(llama_base_url: str) -> None:
    """chatml-function-calling cannot do tool_choice="required": HTTP 500, empty message."""
    with (
        RouterClient(base_url=llama_base_url, timeout=60, max_retries=0, **PLAIN) as c,
        pytest.raises(ProviderError) as info,
    ):
        c.chat(MODEL, WEATHER, max_tokens=24, tools=[WEATHER_TOOL], tool_choice="required")
    assert info.value.status_code == 500
    assert NO_TRACEBACK not in str(info.value)


def test_empty_stream_is_an_error_and_the_client_recovers(tools_client: RouterClient) -> None:
    """Streaming with tool_choice="auto" makes chatml-function-calling fail after the 200
    headers: an empty event stream (no chunk, no [DONE]), then the server drops the keep-alive
    connection. That must not look like an empty answer, and the next request must work."""
    events: list[Any] = []
    stream = tools_client.stream_chat(
        MODEL, WEATHER, max_tokens=24, tools=[WEATHER_TOOL], tool_choice="auto", **CHEAP
    )
    with pytest.raises(HFRouterError) as info:
        events.extend(stream)
    assert NO_TRACEBACK not in str(info.value)
    assert not any(isinstance(ev, Finish | TextDelta | ToolCallDelta) for ev in events), events
    after = tools_client.chat(MODEL, CAPITAL, max_tokens=16, **CHEAP)
    assert after.text.strip()


def test_default_mode_streams_whole_answers(llama_chat_base_url: str) -> None:
    """With the default ``stream_whole_answers=True`` a whole answer is one streamed request,
    aggregated: the same text and finish reason as the plain request. This server's streams
    carry no usage (quirk 1), hence ``PLAIN`` for the tests above that check usage."""
    with (
        RouterClient(base_url=llama_chat_base_url, timeout=60) as streamed,
        RouterClient(base_url=llama_chat_base_url, timeout=60, **PLAIN) as plain,
    ):
        a = streamed.chat(MODEL, CAPITAL, max_tokens=32, **CHEAP)
        b = plain.chat(MODEL, CAPITAL, max_tokens=32, **CHEAP)
        cut = streamed.chat(MODEL, COUNT, max_tokens=4, **CHEAP)
    assert a.text == b.text and a.text.strip()
    assert a.finish_reason == b.finish_reason
    assert a.usage is None and b.usage is not None
    assert cut.finish_reason == "length" and cut.text.strip()
