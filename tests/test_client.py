"""The public client against the emulator: chat, streaming, tools, models, mapping, config."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from hf_router import (
    Finish,
    HuggingFaceAPI,
    ProviderInfo,
    ReasoningDelta,
    RouterClient,
    TextDelta,
    ToolCallDelta,
    Trimmed,
    Usage,
)
from hf_router.errors import (
    ClientClosedError,
    InputTooLongError,
    InvalidInputError,
    InvalidModelError,
    MissingTokenError,
)
from hf_router.testing import RouterEmulator

MODEL = "acme/chat-7b"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}


@pytest.fixture
def client(emulator: RouterEmulator) -> RouterClient:
    return RouterClient("hf_test", base_url=emulator.base_url, hub_url=emulator.hub_url)


def posts(emulator: RouterEmulator) -> list[dict]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


# -- chat and streaming --------------------------------------------------------------------


def test_stream_order_and_exact_text(client, emulator):
    events = list(client.stream_chat(MODEL, [{"role": "user", "content": "Hello brave new world"}]))
    assert isinstance(events[0], ProviderInfo)
    assert events[0].provider == "together" and events[0].attempt == 1
    assert isinstance(events[-1], Finish) and events[-1].reason == "stop"
    assert isinstance(events[-2], Usage)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello brave new world"
    sent = posts(emulator)[0]
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert "max_tokens" not in sent  # no cap by default: the provider's own limit applies


async def test_async_chat_result(client):
    result = await client.achat(MODEL, [{"role": "user", "content": "ping pong"}], max_tokens=1)
    assert result.text == "ping"
    assert result.finish_reason == "length"
    assert result.usage.output_tokens == 1
    assert result.response_id.startswith("chatcmpl-emu-")
    assert result.system_fingerprint == "emu-1"


def test_sync_and_async_give_the_same_answer(client):
    messages = [{"role": "user", "content": "same answer both ways"}]
    sync = client.chat(MODEL, messages)
    asyn = asyncio.run(client.achat(MODEL, messages))
    assert sync.text == asyn.text == "same answer both ways"
    assert sync.usage.total_tokens == asyn.usage.total_tokens


def test_stop_sequence_and_parameters_are_sent(client, emulator):
    result = client.chat(
        MODEL,
        [{"role": "user", "content": "alpha beta STOP gamma"}],
        stop="STOP",
        temperature=0.2,
        top_p=0.9,
        seed=7,
    )
    assert result.text.strip() == "alpha beta"
    sent = posts(emulator)[0]
    assert sent["stop"] == ["STOP"] and sent["temperature"] == 0.2 and sent["seed"] == 7


def test_reasoning_model_streams_reasoning_then_text(client):
    events = list(
        client.stream_chat("deepseek-ai/DeepSeek-R1", [{"role": "user", "content": "why"}])
    )
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert reasoning == "Thinking about: why"
    assert text == "why"


def test_think_tags_are_surfaced_as_reasoning(client, emulator):
    emulator.add_model("acme/thinker", reasoning="think_tags")
    result = client.chat("acme/thinker", [{"role": "user", "content": "deep thought"}])
    assert result.reasoning == "Thinking about: deep thought"
    assert result.text == "deep thought"
    assert "<think>" not in result.text


# -- tools ---------------------------------------------------------------------------------


def test_forced_tool_call_streams_and_parses(client, emulator):
    events = list(
        client.stream_chat(
            MODEL,
            [{"role": "user", "content": 'Weather in "Paris" for 3 days?'}],
            tools=[WEATHER_TOOL],
            tool_choice="get_weather",
        )
    )
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert deltas[0].name == "get_weather" and deltas[0].id
    assert all(d.name is None for d in deltas[1:])
    assert events[-1].reason == "tool_calls"
    assert posts(emulator)[0]["tool_choice"] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }
    result = client.chat(
        MODEL,
        [{"role": "user", "content": 'Weather in "Paris" for 3 days?'}],
        tools=[WEATHER_TOOL],
        tool_choice="any",
    )
    assert len(result.tool_calls) == 1
    call = result.tool_calls[0]
    assert call.name == "get_weather"
    assert call.arguments == {"city": "Paris", "days": 3}


async def test_tool_result_round_trip(client, emulator):
    first = await client.achat(
        MODEL, [{"role": "user", "content": "Weather in Oslo for 2 days"}], tools=[WEATHER_TOOL]
    )
    call = first.tool_calls[0]
    history = [
        {"role": "user", "content": "Weather in Oslo for 2 days"},
        {"role": "assistant", "content": None, "tool_calls": [call.to_openai()]},
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    second = await client.achat(MODEL, history, tools=[WEATHER_TOOL])
    assert second.text == "Tool result: sunny"
    assert not second.tool_calls
    sent = posts(emulator)[1]["messages"]
    assert sent[1]["content"] == ""  # null content is sent as "" (llama.cpp rejects null)
    assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == call.arguments
    assert sent[2]["tool_call_id"] == call.id


def test_json_schema_response_format(client):
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    result = client.chat(
        MODEL,
        [{"role": "user", "content": "Ann is 31"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": schema},
        },
    )
    data = json.loads(result.text)
    assert set(data) == {"name", "age"} and data["age"] == 31


# -- media, trimming -------------------------------------------------------------------------


def test_media_bytes_reach_the_server_as_image_url(client, emulator, tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    path = tmp_path / "cat.png"
    path.write_bytes(png)
    result = client.chat(
        MODEL,
        [{"role": "user", "content": "what is this"}],
        media=[png, str(path), "https://example.org/x.jpg"],
    )
    assert result.text.startswith("I see 3 image(s).")
    parts = posts(emulator)[0]["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "what is this"}
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[3]["image_url"]["url"] == "https://example.org/x.jpg"


def test_images_without_model_pick_the_vision_default(client, emulator):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    client.chat(None, [{"role": "user", "content": "look"}], media=[png])
    assert posts(emulator)[0]["model"] == client.default_vision_model


def test_long_history_is_trimmed_before_sending(client, emulator):
    history = [{"role": "system", "content": "be brief"}]
    for i in range(10):
        history += [
            {"role": "user", "content": f"question {i} " + "x" * 300},
            {"role": "assistant", "content": f"answer {i} " + "y" * 300},
        ]
    history.append({"role": "user", "content": "final question"})
    events = list(client.stream_chat(MODEL, history, max_inputs_lenght=2000))
    assert isinstance(events[0], Trimmed)
    assert events[0].before > 2000 >= events[0].after
    sent = posts(emulator)[0]["messages"]
    assert sent[0] == {"role": "system", "content": "be brief"}
    assert sent[-1]["content"] == "final question"
    assert len(sent) == len(history) - events[0].dropped_messages


def test_input_too_long_is_raised_before_any_request(client, emulator):
    with pytest.raises(InputTooLongError) as info:
        client.chat(MODEL, [{"role": "user", "content": "z" * 500}], max_inputs_lenght=100)
    assert "516" in str(info.value) and "100" in str(info.value)
    assert posts(emulator) == []


# -- models and mapping ----------------------------------------------------------------------


def test_get_models_and_context_window(client, emulator):
    emulator.add_model("acme/long", providers=["together", "cerebras"], context_length=32768)
    assert "acme/long" in client.get_models()
    assert client.context_window("acme/long") == 32768
    assert client.context_window("acme/never-heard-of") is None


def test_get_models_falls_back_when_the_router_is_down():
    client = RouterClient(
        "hf_test", base_url="http://127.0.0.1:9/v1", fallback_models=["acme/a", "acme/b"], timeout=2
    )
    assert client.get_models() == ["acme/a", "acme/b"]


@pytest.mark.parametrize("form", ["dict", "list"])
def test_mapping_both_forms_live_only(client, emulator, form):
    emulator.add_model(
        "acme/mapped",
        mapping_form=form,
        providers=[
            "together",
            {"provider": "novita", "status": "staging"},
            {"provider": "cerebras", "status": "live", "providerId": "acme/mapped-fast"},
        ],
    )
    mapping = client.get_mapping("acme/mapped")
    assert [(m.provider, m.provider_id) for m in mapping] == [
        ("together", "acme/mapped"),
        ("cerebras", "acme/mapped-fast"),
    ]


async def test_mapping_is_cached_and_fetched_once_under_concurrency(client, emulator):
    results = await asyncio.gather(*(client.aget_mapping(MODEL) for _ in range(20)))
    assert all(r == results[0] for r in results)
    await client.aget_mapping(MODEL)
    client.get_mapping(MODEL)
    hub = [r for r in emulator.requests if r.path.startswith("/api/models/")]
    assert len(hub) == 1
    assert client.catalog.mapping_requests == 1


def test_model_ids_are_validated_before_any_request(client, emulator):
    for bad in ["../etc/passwd", "a/b/c", "org/name:bad suffix", " ", "org//x", "org/name:"]:
        with pytest.raises(InvalidModelError):
            client.chat(bad, [{"role": "user", "content": "hi"}])
    with pytest.raises(InvalidModelError):
        client.get_mapping("org/../x")
    assert emulator.requests == []


def test_aliases_and_policy_suffix(client, emulator):
    client.chat("llama-3.3-70b:fastest", [{"role": "user", "content": "hi"}])
    client.chat(MODEL, [{"role": "user", "content": "hi"}], provider="cerebras")
    assert [p["model"] for p in posts(emulator)] == [
        "meta-llama/Llama-3.3-70B-Instruct:fastest",
        f"{MODEL}:cerebras",
    ]


def test_bad_messages_are_rejected_with_a_clear_error(client, emulator):
    with pytest.raises(InvalidInputError, match="empty"):
        client.chat(MODEL, [])
    with pytest.raises(InvalidInputError, match=r"messages\[1\]"):
        client.chat(MODEL, [{"role": "user", "content": "a"}, {"content": "no role"}])
    with pytest.raises(InvalidInputError, match="list of dicts"):
        client.chat(MODEL, "just a string")
    assert emulator.requests == []


# -- configuration, clients ----------------------------------------------------------------


def test_environment_points_unchanged_code_at_the_emulator(emulator, monkeypatch):
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    emulator.set_fault("402", model=MODEL, provider="together")
    client = RouterClient()
    assert client.base_url == emulator.base_url
    assert client.use_hub_mapping  # the router from the environment: fallback via the Hub
    result = client.chat(MODEL, [{"role": "user", "content": "hi"}])
    assert result.provider == "cerebras"
    assert emulator.requests[0].headers["authorization"] == "Bearer hf_***"


def test_missing_token_for_the_real_router(monkeypatch, tmp_path):
    for key in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ROUTER_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    client = RouterClient()
    with pytest.raises(MissingTokenError) as info:
        client.chat(MODEL, [{"role": "user", "content": "hi"}])
    assert "HF_TOKEN" in str(info.value)


def test_bill_to_and_custom_headers(emulator):
    client = RouterClient(
        "hf_test", base_url=emulator.base_url, bill_to="my-org", headers={"X-Trace": "abc"}
    )
    client.chat(MODEL, [{"role": "user", "content": "hi"}])
    headers = emulator.requests[-1].headers
    assert headers["x-hf-bill-to"] == "my-org" and headers["x-trace"] == "abc"


def test_connections_are_reused_and_a_closed_client_is_replaced(client):
    client.chat(MODEL, [{"role": "user", "content": "a"}])
    first = client.http.client
    client.chat(MODEL, [{"role": "user", "content": "b"}])
    assert client.http.client is first
    client.close()
    assert first.is_closed
    assert client.chat(MODEL, [{"role": "user", "content": "c"}]).text == "c"
    assert client.http.client is not first


async def test_async_client_survives_new_event_loops(emulator):
    client = RouterClient("hf_test", base_url=emulator.base_url)

    async def ask(text: str) -> str:
        return (await client.achat(MODEL, [{"role": "user", "content": text}])).text

    assert await ask("in this loop") == "in this loop"
    for i in range(3):  # each asyncio.run is a fresh loop, as sync wrappers do
        assert await asyncio.to_thread(asyncio.run, ask(f"loop {i}")) == f"loop {i}"


def test_injected_client_is_used_and_a_closed_one_is_reported(emulator):
    injected = httpx.Client()
    client = RouterClient("hf_test", base_url=emulator.base_url, http_client=injected)
    assert client.chat(MODEL, [{"role": "user", "content": "x"}]).text == "x"
    client.close()
    assert not injected.is_closed  # not ours to close
    injected.close()
    with pytest.raises(ClientClosedError):
        client.chat(MODEL, [{"role": "user", "content": "x"}])


# -- the seed facade -------------------------------------------------------------------------


async def test_seed_facade_yields_provider_info_then_strings(emulator, monkeypatch):
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    HuggingFaceAPI._clients.clear()
    chunks = [
        c
        async for c in HuggingFaceAPI.create_async_generator(
            MODEL, [{"role": "user", "content": "seed style answer"}], api_key="hf_test"
        )
    ]
    assert isinstance(chunks[0], ProviderInfo)
    texts = [c for c in chunks if isinstance(c, str)]
    assert "".join(texts) == "seed style answer"
    assert isinstance(chunks[-1], Finish)
    mapping = await HuggingFaceAPI.get_mapping(MODEL, api_key="hf_test")
    assert mapping["together"] == {"status": "live", "providerId": MODEL, "task": "conversational"}
    assert HuggingFaceAPI.get_model("llama-3.3-70b") == "meta-llama/Llama-3.3-70B-Instruct"
    assert HuggingFaceAPI.get_model("some/unknown") == "some/unknown"


async def test_seed_facade_explicit_api_base_skips_the_hub(emulator):
    HuggingFaceAPI._clients.clear()
    emulator.set_fault("402", provider="together")
    chunks = [
        c
        async for c in HuggingFaceAPI.create_async_generator(
            f"{MODEL}:cerebras",
            [{"role": "user", "content": "direct"}],
            api_base=emulator.base_url,
            api_key="hf_test",
        )
    ]
    assert "".join(c for c in chunks if isinstance(c, str)) == "direct"
    assert not [r for r in emulator.requests if r.path.startswith("/api/models")]
