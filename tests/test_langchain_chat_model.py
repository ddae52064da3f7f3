"""``ChatHFRouter`` behaviour against the router emulator over loopback: usage, metadata,
reasoning, images, fallback and trimming visibility, tools, structured output, bad input,
secrets and serialisation."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load, loads
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableLambda
from pydantic import BaseModel, Field

from hf_router.errors import (
    AllProvidersFailedError,
    AuthenticationError,
    HFRouterError,
    InvalidInputError,
)
from hf_router.testing import RouterEmulator
from langchain_hf_router import ChatHFRouter

MODEL = "meta-llama/Llama-3.3-70B-Instruct"
TOKEN = "hf_lcSecretToken0123456789"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
META_KEYS = {
    "model_name",
    "model_provider",
    "provider",
    "finish_reason",
    "id",
    "system_fingerprint",
}


def make(emulator: RouterEmulator, **kwargs: Any) -> ChatHFRouter:
    params = {
        "model": MODEL,
        "api_key": TOKEN,
        "base_url": emulator.base_url,
        "hub_url": emulator.hub_url,
        **kwargs,
    }
    return ChatHFRouter(**params)


def merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def chat_bodies(emulator: RouterEmulator) -> list[dict[str, Any]]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions") and r.json]


class Notices(BaseCallbackHandler):
    """Records the custom events the model dispatches."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, UUID]] = []

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append((name, data, run_id))


class AsyncNotices(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    async def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append((name, data))


# -- answers: usage, metadata, reasoning --------------------------------------------------------
def test_usage_is_on_exactly_one_streamed_chunk(emulator):
    chunks = list(make(emulator).stream("one two three"))
    with_usage = [c for c in chunks if c.usage_metadata]
    assert len(with_usage) == 1
    usage = with_usage[0].usage_metadata
    assert usage is not None
    assert usage["output_tokens"] == 3
    assert usage["total_tokens"] == usage["input_tokens"] + 3
    assert chunks[-1].chunk_position == "last"
    assert set(chunks[-1].response_metadata) >= META_KEYS
    assert all(not c.response_metadata for c in chunks[:-1])


async def test_stream_usage_false_and_async_stream(emulator):
    chunks = [c async for c in make(emulator, stream_usage=False).astream("a b")]
    assert not any(c.usage_metadata for c in chunks)
    chunks = [c async for c in make(emulator).astream("a b", stream_usage=False)]
    assert not any(c.usage_metadata for c in chunks)
    chunks = [c async for c in make(emulator).astream("a b")]
    assert sum(1 for c in chunks if c.usage_metadata) == 1


def test_invoke_and_stream_give_the_same_message_shape(emulator):
    llm = make(emulator)
    whole = llm.invoke("same shape please")
    streamed = merge(list(llm.stream("same shape please")))
    assert whole.content == streamed.content == "same shape please"
    assert whole.usage_metadata == streamed.usage_metadata
    # invoke also carries llm_output's token_usage (langchain-core merges it in, as for ChatOpenAI)
    assert whole.response_metadata["token_usage"]["total_tokens"] > 0
    assert set(whole.response_metadata) - {"token_usage"} == set(streamed.response_metadata)
    for key in ("model_name", "model_provider", "provider", "finish_reason", "system_fingerprint"):
        assert whole.response_metadata[key] == streamed.response_metadata[key]
    assert whole.id == whole.response_metadata["id"]


def test_response_metadata_names_the_served_model_and_provider(emulator):
    emulator.add_model(
        "org/served",
        providers=["cerebras", "together"],
        provider_ids={"cerebras": "org/served-fp8"},
    )
    message = make(emulator, model="org/served").invoke("hi")
    meta = message.response_metadata
    assert meta["model_name"] == "org/served-fp8"  # what the provider reports it served
    assert meta["model_provider"] == "huggingface"
    assert meta["provider"] == "cerebras"
    assert meta["finish_reason"] == "stop"
    assert meta["id"].startswith("chatcmpl-emu-")
    assert meta["system_fingerprint"] == "emu-1"
    assert meta["attempt"] == 1
    assert "fallbacks" not in meta and "trimmed" not in meta


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_goes_to_additional_kwargs_with_token_details(emulator, stream):
    llm = make(emulator, model="deepseek-ai/DeepSeek-R1")
    message = merge(list(llm.stream("Why is it so?"))) if stream else llm.invoke("Why is it so?")
    assert message.content == "Why is it so?"
    assert message.additional_kwargs["reasoning_content"] == "Thinking about: Why is it so?"
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"] == {"reasoning": 6}
    assert message.usage_metadata["output_tokens"] == 6 + 4


def test_per_call_model_reaches_the_wire_and_the_trace(emulator):
    llm = make(emulator)
    message = llm.invoke("hi", model="Qwen/Qwen2.5-72B-Instruct")
    assert message.response_metadata["model_name"] == "Qwen/Qwen2.5-72B-Instruct"
    assert chat_bodies(emulator)[-1]["model"].startswith("Qwen/Qwen2.5-72B-Instruct")
    assert llm._get_ls_params(model="other/model")["ls_model_name"] == "other/model"
    ls = make(emulator, temperature=0.2, max_tokens=7, stop=["x"])._get_ls_params()
    assert ls == {
        "ls_provider": "huggingface",
        "ls_model_name": MODEL,
        "ls_model_type": "chat",
        "ls_temperature": 0.2,
        "ls_max_tokens": 7,
        "ls_stop": ["x"],
    }


def test_fields_and_per_call_parameters_are_sent(emulator):
    llm = make(emulator, temperature=0.3, top_p=0.5, seed=7, max_tokens=9, model_kwargs={"n": 1})
    llm.invoke("hi", stop=["zz"], temperature=0.1)
    body = chat_bodies(emulator)[-1]
    assert (body["temperature"], body["top_p"], body["seed"]) == (0.1, 0.5, 7)
    assert (body["max_tokens"], body["stop"], body["n"]) == (9, ["zz"], 1)


def test_history_with_tool_calls_goes_out_as_openai_messages(emulator):
    history: list[BaseMessage] = [
        SystemMessage("be brief"),
        HumanMessage("add 1 and 2", name="alice"),
        AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"}]),
        ToolMessage("3", tool_call_id="c1"),
    ]
    assert make(emulator).invoke(history).content == "Tool result: 3"
    sent = chat_bodies(emulator)[-1]["messages"]
    assert sent[1] == {"role": "user", "content": "add 1 and 2", "name": "alice"}
    assert sent[2]["content"] == ""
    assert sent[2]["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a": 1, "b": 2}'}
    assert sent[3] == {"role": "tool", "tool_call_id": "c1", "content": "3"}


# -- images ---------------------------------------------------------------------------------------
def test_standard_image_blocks_become_image_url_parts(emulator):
    """The message forms of the standard suite's test_image_inputs, offline."""
    llm = make(emulator)
    url = "https://example.com/cat.png"
    forms = [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image", "base64": PNG, "mime_type": "image/png"},
        {"type": "image", "url": url},
        {"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/png"},
    ]
    for block in forms:
        message = HumanMessage(content=[{"type": "text", "text": "Describe."}, block])
        assert llm.invoke([message]).content == "I see 1 image(s). Describe."
    parts = [body["messages"][-1]["content"][1] for body in chat_bodies(emulator)]
    assert [p["type"] for p in parts] == ["image_url"] * 4
    assert [p["image_url"]["url"] for p in parts] == [f"data:image/png;base64,{PNG}"] * 2 + [
        url,
        f"data:image/png;base64,{PNG}",
    ]


# -- fallback and trimming are visible ----------------------------------------------------------
def test_fallback_from_a_402_provider_is_in_metadata_and_callbacks(emulator):
    emulator.set_fault("402", model=MODEL, provider="together")
    notices = Notices()
    message = make(emulator).invoke("fallback please", config={"callbacks": [notices]})
    assert message.content == "fallback please"
    meta = message.response_metadata
    assert meta["provider"] == "cerebras"
    assert meta["attempt"] == 2
    [fallback] = meta["fallbacks"]
    assert fallback["provider"] == "together"
    assert fallback["status_code"] == 402
    assert fallback["error_type"] == "PaymentRequiredError"
    assert [name for name, _, _ in notices.events] == ["hf_router_fallback"]
    assert notices.events[0][1] == fallback


async def test_fallback_visible_async_in_metadata_callbacks_and_events(emulator):
    emulator.set_fault("402", model=MODEL, provider="together")
    llm = make(emulator)
    chunks = [c async for c in llm.astream("x y")]
    assert merge(chunks).response_metadata["fallbacks"][0]["status_code"] == 402
    notices = AsyncNotices()
    message = await llm.ainvoke("x y", config={"callbacks": [notices]})
    assert message.response_metadata["fallbacks"][0]["provider"] == "together"
    assert [name for name, _ in notices.events] == ["hf_router_fallback"]
    chain = RunnableLambda(lambda text: f"{text}!") | llm  # streamed inside a chain
    events = [
        ev
        async for ev in chain.astream_events("x y", version="v2")
        if ev["event"] == "on_custom_event"
    ]
    assert [ev["name"] for ev in events] == ["hf_router_fallback"]
    assert events[0]["data"]["status_code"] == 402


def test_every_provider_failing_raises_the_core_error(emulator):
    emulator.set_fault("402", model=MODEL)
    with pytest.raises(AllProvidersFailedError):
        make(emulator).invoke("nobody has credits")


def test_trimming_is_in_metadata_and_callbacks(emulator):
    history: list[BaseMessage] = [SystemMessage("You are terse.")]
    for i in range(10):
        history += [HumanMessage(f"question {i} " + "x" * 300), AIMessage(f"answer {i}")]
    history.append(HumanMessage("the last question"))
    notices = Notices()
    llm = make(emulator, max_inputs_lenght=1500)
    message = llm.invoke(history, config={"callbacks": [notices]})
    assert message.content == "the last question"
    trimmed = message.response_metadata["trimmed"]
    assert trimmed["before"] > 1500 >= trimmed["after"]
    assert trimmed["dropped_messages"] > 0
    assert notices.events[0][0] == "hf_router_trimmed"
    assert notices.events[0][1] == trimmed
    assert len(chat_bodies(emulator)[-1]["messages"]) < len(history)
    untrimmed = llm.invoke(history[-3:])
    assert "trimmed" not in untrimmed.response_metadata


# -- tools ------------------------------------------------------------------------------------
class GetWeather(BaseModel):
    """Get the weather for a city."""

    city: str = Field(description="The city")


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("any", "required"),
        (True, "required"),
        ("required", "required"),
        ("auto", "auto"),
        ("none", "none"),
        ("add", {"type": "function", "function": {"name": "add"}}),
    ],
)
def test_bind_tools_tool_choice_values(emulator, choice, sent):
    llm = make(emulator).bind_tools([GetWeather, add], tool_choice=choice)
    message = llm.invoke("add 3 and 4")
    body = chat_bodies(emulator)[-1]
    assert body["tool_choice"] == sent
    assert [t["function"]["name"] for t in body["tools"]] == ["GetWeather", "add"]
    if choice == "none":
        assert not message.tool_calls
    else:
        expected = "add" if choice == "add" else "GetWeather"
        assert message.tool_calls[0]["name"] == expected


def test_forced_tool_call_streams_into_one_parsed_call(emulator):
    llm = make(emulator).bind_tools(
        [add], tool_choice="add", parallel_tool_calls=False, strict=True
    )
    full = merge(list(llm.stream("add 3 and 4")))
    assert full.tool_calls == [
        {"name": "add", "args": {"a": 3, "b": 4}, "id": "call_1", "type": "tool_call"}
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"
    body = chat_bodies(emulator)[-1]
    assert body["parallel_tool_calls"] is False
    assert body["tools"][0]["function"]["strict"] is True


class Joke(BaseModel):
    """A joke."""

    setup: str
    punchline: str


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
async def test_structured_output_pydantic_in_pydantic_out(emulator, method):
    llm = make(emulator).with_structured_output(Joke, method=method)
    joke = llm.invoke("a joke about cats")
    assert isinstance(joke, Joke)
    assert isinstance(await llm.ainvoke("a joke about dogs"), Joke)
    body = chat_bodies(emulator)[-1]
    if method == "json_schema":
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"] == "Joke"
    else:
        assert body["tool_choice"] == {"type": "function", "function": {"name": "Joke"}}


def test_structured_output_include_raw_and_dict_schemas(emulator):
    llm = make(emulator)
    out = llm.with_structured_output(Joke.model_json_schema(), include_raw=True).invoke("cats")
    assert set(out) == {"raw", "parsed", "parsing_error"}
    assert isinstance(out["raw"], AIMessage)
    assert set(out["parsed"]) == {"setup", "punchline"}
    assert out["parsing_error"] is None
    mode = llm.with_structured_output(None, method="json_mode").invoke("cats")
    assert mode == {"answer": "cats"}
    bad = llm.with_structured_output(Joke, method="json_mode", include_raw=True).invoke("cats")
    assert bad["parsed"] is None and bad["parsing_error"] is not None


# -- bad input ------------------------------------------------------------------------------
def test_bad_input_is_a_typed_error_naming_the_argument(emulator):
    llm = make(emulator)
    with pytest.raises(InvalidInputError, match="tool_choice='weather'"):
        llm.bind_tools([add], tool_choice="weather")
    with pytest.raises(InvalidInputError, match="tool_choice has type int"):
        llm.bind_tools([add], tool_choice=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"tools\[0\]"):
        llm.bind_tools([42])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="schema"):
        llm.with_structured_output(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="method='xml'"):
        llm.with_structured_output(Joke, method="xml")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="schema is required"):
        llm.with_structured_output(None)
    with pytest.raises(InvalidInputError, match=r"messages\[1\] is a RemoveMessage"):
        llm.invoke([HumanMessage("hi"), RemoveMessage(id="x")])
    audio = {"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}
    with pytest.raises(InvalidInputError, match=r"messages\[0\]\.content\[1\] has type 'audio'"):
        llm.invoke([HumanMessage(content=[{"type": "text", "text": "hi"}, audio])])
    with pytest.raises(InvalidInputError, match="temperature=5"):
        make(emulator, temperature=5)
    with pytest.raises(InvalidInputError, match="max_tokens=0"):
        make(emulator, max_tokens=0)
    with pytest.raises(InvalidInputError, match="Unknown chat parameter"):
        llm.invoke("hi", frobnicate=True)
    with pytest.raises(ValueError, match="not_a_field"):
        make(emulator, not_a_field=1)
    assert chat_bodies(emulator) == []  # nothing was sent


# -- secrets and serialisation --------------------------------------------------------------
def test_token_never_in_repr_dumps_logs_or_errors(emulator, caplog):
    caplog.set_level("DEBUG")
    llm = make(emulator)
    llm.invoke("hello")
    emulator.set_fault("401")
    with pytest.raises(AuthenticationError) as info:
        llm.invoke("hello")
    texts = [repr(llm), str(llm), dumps(llm), json.dumps(dumpd(llm)), llm.model_dump_json()]
    texts += [str(info.value), repr(info.value), caplog.text, repr(llm.client)]
    for text in texts:
        assert TOKEN not in text
    assert dumpd(llm)["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["HF_TOKEN"]}
    assert {r.headers.get("authorization") for r in emulator.requests} == {"Bearer hf_***"}


@pytest.mark.filterwarnings(
    "ignore:The function `load` is in beta", "ignore:The function `loads` is in beta"
)
def test_dumpd_load_round_trip(emulator, monkeypatch):
    llm = make(emulator, temperature=0.5, fallback_models=["Qwen/Qwen2.5-72B-Instruct"])
    restored = load(
        dumpd(llm),
        secrets_map={"HF_TOKEN": TOKEN},
        valid_namespaces=["langchain_hf_router"],
        allowed_objects=[ChatHFRouter],
    )
    assert isinstance(restored, ChatHFRouter)
    assert restored.asdict() == llm.asdict()
    assert restored.api_key is not None and restored.api_key.get_secret_value() == TOKEN
    assert restored.invoke("round trip").content == "round trip"
    monkeypatch.setenv("HF_TOKEN", "hf_fromTheEnvironment")
    again = loads(
        dumps(llm),
        secrets_from_env=True,
        valid_namespaces=["langchain_hf_router"],
        allowed_objects=[ChatHFRouter],
    )
    assert again.api_key is not None
    assert again.api_key.get_secret_value() == "hf_fromTheEnvironment"


def test_aliases_and_env_token(emulator, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_envToken")
    llm = ChatHFRouter(model_name=MODEL, base_url=emulator.base_url, stop_sequences=["q"])
    assert llm.api_key is not None and llm.api_key.get_secret_value() == "hf_envToken"
    assert llm.model_name == MODEL and llm.stop == ["q"]
    also = ChatHFRouter(model=MODEL, hf_token="hf_other", base_url=emulator.base_url)
    assert also.api_key is not None and also.api_key.get_secret_value() == "hf_other"


def test_errors_are_the_core_typed_errors(emulator):
    emulator.set_fault("cut_after=1")
    with pytest.raises(HFRouterError):
        list(make(emulator, max_retries=0).stream("one two three four"))
