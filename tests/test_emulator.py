"""Tests of the local router emulator itself, over real sockets with raw httpx (no client core)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from hf_router.testing import LoggedRequest, RouterEmulator
from hf_router.testing.core.catalog import LISTED_MODELS

TOKEN = {"Authorization": "Bearer hf_test_token"}
CASSETTES = Path(__file__).parent / "fixtures" / "cassettes"
TOGETHER_STREAM = (
    "TestInferenceClient.test_chat_completion_with_stream[together,conversational].yaml"
)


def user(text: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def chat(
    emu: RouterEmulator,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    path: str = "/v1/chat/completions",
) -> httpx.Response:
    body = {"model": "org/model", **body}
    return httpx.post(emu.url + path, json=body, headers={**TOKEN, **(headers or {})}, timeout=30)


def events(response: httpx.Response) -> list[Any]:
    """The SSE ``data:`` payloads (parsed JSON, or the literal ``[DONE]``)."""
    assert response.headers["content-type"].startswith("text/event-stream")
    out: list[Any] = []
    for line in response.text.split("\n"):
        if line.startswith("data: "):
            data = line[len("data: ") :]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


def deltas(items: list[Any]) -> list[dict[str, Any]]:
    return [e["choices"][0]["delta"] for e in items if isinstance(e, dict) and e.get("choices")]


def streamed_text(items: list[Any], key: str = "content") -> str:
    return "".join(d.get(key) or "" for d in deltas(items))


def reassemble_tool_calls(items: list[Any]) -> list[dict[str, Any]]:
    calls: dict[int, dict[str, Any]] = {}
    for delta in deltas(items):
        for part in delta.get("tool_calls") or []:
            call = calls.setdefault(part["index"], {"id": None, "name": "", "arguments": ""})
            call["id"] = part.get("id") or call["id"]
            function = part.get("function") or {}
            call["name"] += function.get("name") or ""
            call["arguments"] += function.get("arguments") or ""
    return [calls[i] for i in sorted(calls)]


MAGIC_TOOL = {
    "type": "function",
    "function": {
        "name": "magic_function",
        "description": "Applies a magic function to an input.",
        "parameters": {
            "type": "object",
            "properties": {"input": {"type": "integer"}},
            "required": ["input"],
        },
    },
}


# -- token check and answers -------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer sk-abc"}, {"Authorization": "hf_abc"}]
)
def test_chat_without_hf_token_gets_the_routers_401(
    emulator: RouterEmulator, headers: dict[str, str]
) -> None:
    response = httpx.post(
        emulator.base_url + "/chat/completions",
        json={"model": "org/model", "messages": user("hi")},
        headers=headers,
    )
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid username or password."}
    assert (
        response.headers["www-authenticate"]
        == 'Bearer realm="Authentication required", charset="UTF-8"'
    )
    assert response.headers["x-error-message"] == "Invalid username or password."
    assert response.headers["x-inference-provider"] == "together"


def test_hub_and_models_need_no_token(emulator: RouterEmulator) -> None:
    assert httpx.get(emulator.url + "/api/models/org/model").status_code == 200
    assert httpx.get(emulator.base_url + "/models").status_code == 200


def test_json_answer_echoes_the_last_user_message(emulator: RouterEmulator) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "What is deep learning?"},
    ]
    response = chat(emulator, {"messages": messages})
    assert response.status_code == 200
    assert response.headers["x-inference-provider"] == "together"
    body = response.json()
    assert body["id"] == "chatcmpl-emu-1"
    assert body["object"] == "chat.completion"
    assert body["system_fingerprint"] == "emu-1"
    assert body["model"] == "org/model"
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "What is deep learning?"}
    assert choice["finish_reason"] == "stop"
    # prompt: 2 + 2 + 2 + 4 tokens, plus 4 per message
    assert body["usage"] == {"prompt_tokens": 26, "completion_tokens": 4, "total_tokens": 30}


def test_stream_one_token_per_chunk_then_finish_usage_and_done(emulator: RouterEmulator) -> None:
    body = {"messages": user("What  is deep\nlearning?"), "stream": True}
    response = chat(emulator, {**body, "stream_options": {"include_usage": True}})
    items = events(response)
    assert items[-1] == "[DONE]"
    tokens = [d.get("content") for d in deltas(items)]
    assert tokens == ["What", "  is", " deep", "\nlearning?", None]
    assert deltas(items)[0]["role"] == "assistant"
    assert items[-3]["choices"][0]["finish_reason"] == "stop"
    usage_chunk = items[-2]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"] == {"prompt_tokens": 8, "completion_tokens": 4, "total_tokens": 12}
    assert {e["id"] for e in items[:-1]} == {"chatcmpl-emu-1"}
    assert response.headers["x-inference-provider"] == "together"


def test_stream_without_include_usage_has_no_usage_chunk(emulator: RouterEmulator) -> None:
    items = events(chat(emulator, {"messages": user("hello world"), "stream": True}))
    assert streamed_text(items) == "hello world"
    assert all("usage" not in e for e in items[:-1])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "(empty)"),
        ("   ", "(empty)"),
        (
            [
                {"type": "text", "text": "What is"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}},
                {"type": "text", "text": "in these?"},
            ],
            "I see 2 image(s). What is in these?",
        ),
    ],
)
def test_reply_text_rules(emulator: RouterEmulator, content: Any, expected: str) -> None:
    body = chat(emulator, {"messages": user(content)}).json()
    assert body["choices"][0]["message"]["content"] == expected


def test_reply_after_a_tool_result(emulator: RouterEmulator) -> None:
    messages = [
        *user("What is magic_function(3)?"),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_9",
                    "type": "function",
                    "function": {"name": "magic_function", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_9", "content": "5"},
    ]
    body = chat(emulator, {"messages": messages, "tools": [MAGIC_TOOL]}).json()
    assert body["choices"][0]["message"]["content"] == "Tool result: 5"
    assert body["choices"][0]["finish_reason"] == "stop"


def test_max_tokens_and_stop(emulator: RouterEmulator) -> None:
    limited = chat(emulator, {"messages": user("one two three four"), "max_tokens": 2}).json()
    assert limited["choices"][0]["message"]["content"] == "one two"
    assert limited["choices"][0]["finish_reason"] == "length"
    assert limited["usage"]["completion_tokens"] == 2
    stopped = chat(
        emulator, {"messages": user("one two STOP three"), "stop": ["STOP", "zzz"]}
    ).json()
    assert stopped["choices"][0]["message"]["content"] == "one two"
    assert stopped["choices"][0]["finish_reason"] == "stop"
    items = events(chat(emulator, {"messages": user("a b c d e"), "max_tokens": 3, "stream": True}))
    assert streamed_text(items) == "a b c"
    assert items[-2]["choices"][0]["finish_reason"] == "length"


# -- tools, reasoning, structured output ---------------------------------------------------------
def test_streamed_tool_call_reassembles_to_schema_valid_arguments(emulator: RouterEmulator) -> None:
    body = {"messages": user("What is magic_function(3)?"), "tools": [MAGIC_TOOL], "stream": True}
    items = events(chat(emulator, body))
    first = deltas(items)[0]
    assert first["role"] == "assistant"
    assert first["tool_calls"] == [
        {
            "index": 0,
            "id": "call_1",
            "type": "function",
            "function": {"name": "magic_function", "arguments": ""},
        }
    ]
    fragments = [d["tool_calls"][0]["function"]["arguments"] for d in deltas(items)[1:-1]]
    assert all(0 < len(f) <= 8 for f in fragments)
    calls = reassemble_tool_calls(items)
    assert calls == [{"id": "call_1", "name": "magic_function", "arguments": '{"input": 3}'}]
    assert json.loads(calls[0]["arguments"]) == {"input": 3}
    assert items[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert items[-1] == "[DONE]"


def test_tool_call_json_answer_and_counter(emulator: RouterEmulator) -> None:
    body = {"messages": user("What is magic_function(3)?"), "tools": [MAGIC_TOOL]}
    first = chat(emulator, body).json()["choices"][0]
    second = chat(emulator, body).json()["choices"][0]
    assert first["finish_reason"] == "tool_calls"
    assert first["message"]["content"] is None
    assert first["message"]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "magic_function", "arguments": '{"input": 3}'},
        }
    ]
    assert second["message"]["tool_calls"][0]["id"] == "call_2"


def test_tool_arguments_follow_a_rich_schema(emulator: RouterEmulator) -> None:
    schema = {
        "type": "object",
        "$defs": {"Unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "properties": {
            "location": {"type": "string"},
            "days": {"type": "integer"},
            "scale": {"type": "number"},
            "unit": {"$ref": "#/$defs/Unit"},
            "detailed": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "limit": {"type": "integer", "default": 10},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
            "nested": {"allOf": [{"type": "object", "properties": {"flag": {"type": "boolean"}}}]},
        },
        "required": ["location", "days"],
    }
    tools = [
        {
            "type": "function",
            "function": {"name": "other", "parameters": {"type": "object", "properties": {}}},
        },
        {"type": "function", "function": {"name": "get_weather", "parameters": schema}},
    ]
    body = {
        "messages": user('Weather in "San Francisco, CA" for 4 days at scale 1.5?'),
        "tools": tools,
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    }
    call = chat(emulator, body).json()["choices"][0]["message"]["tool_calls"][0]["function"]
    assert call["name"] == "get_weather"
    assert json.loads(call["arguments"]) == {
        "location": "San Francisco, CA",
        "days": 4,
        "scale": 1.5,
        "unit": "celsius",
        "detailed": True,
        "tags": ["San Francisco, CA"],
        "limit": 10,
        "maybe": 1,
        "nested": {"flag": True},
    }


@pytest.mark.parametrize(
    ("tool_choice", "last_role", "expect_call"),
    [
        ("auto", "user", True),
        (None, "user", True),
        ("none", "user", False),
        ("auto", "tool", False),
        ("required", "tool", True),
        ("any", "tool", True),
    ],
)
def test_tool_eagerness(
    emulator: RouterEmulator, tool_choice: Any, last_role: str, expect_call: bool
) -> None:
    messages = user("call it with 7")
    if last_role == "tool":
        messages += [{"role": "tool", "tool_call_id": "call_0", "content": "done"}]
    body: dict[str, Any] = {"messages": messages, "tools": [MAGIC_TOOL]}
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    message = chat(emulator, body).json()["choices"][0]["message"]
    assert ("tool_calls" in message) is expect_call
    if expect_call:
        assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"input": 7}


def test_reasoning_field_model_streams_reasoning_first(emulator: RouterEmulator) -> None:
    body = {
        "model": "deepseek-ai/DeepSeek-R1",
        "messages": user("Why is the sky blue?"),
        "stream": True,
    }
    items = events(chat(emulator, body))
    ds = deltas(items)
    assert ds[0] == {"role": "assistant", "reasoning_content": "Thinking"}
    assert streamed_text(items, "reasoning_content") == "Thinking about: Why is the sky blue?"
    assert streamed_text(items) == "Why is the sky blue?"
    first_content = next(i for i, d in enumerate(ds) if d.get("content"))
    assert all("reasoning_content" not in d for d in ds[first_content:])
    answer = chat(emulator, {**body, "stream": False}).json()
    message = answer["choices"][0]["message"]
    assert message["reasoning_content"] == "Thinking about: Why is the sky blue?"
    assert message["content"] == "Why is the sky blue?"
    assert answer["usage"]["completion_tokens"] == 7 + 5


def test_think_tags_and_reasoning_off(emulator: RouterEmulator) -> None:
    emulator.add_model("org/thinker", reasoning="think_tags")
    emulator.add_model("org/R1-plain", reasoning="none")
    thinker = chat(emulator, {"model": "org/thinker", "messages": user("hi there")}).json()
    assert (
        thinker["choices"][0]["message"]["content"]
        == "<think>Thinking about: hi there</think>\n\nhi there"
    )
    assert "reasoning_content" not in thinker["choices"][0]["message"]
    plain = chat(emulator, {"model": "org/R1-plain", "messages": user("hi there")}).json()
    assert plain["choices"][0]["message"] == {"role": "assistant", "content": "hi there"}


def test_response_format_json_schema_and_json_object(emulator: RouterEmulator) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer", "minimum": 0},
            "hobbies": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "age", "hobbies"],
        "additionalProperties": False,
    }
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "person", "schema": schema, "strict": True},
    }
    body = {"messages": user("Tell me about 'Ada', who is 36."), "response_format": response_format}
    content = chat(emulator, body).json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {"name": "Ada", "age": 36, "hobbies": ["Ada"]}
    streamed = streamed_text(events(chat(emulator, {**body, "stream": True})))
    assert json.loads(streamed) == {"name": "Ada", "age": 36, "hobbies": ["Ada"]}
    as_object = {"messages": user("hello"), "response_format": {"type": "json_object"}}
    assert json.loads(chat(emulator, as_object).json()["choices"][0]["message"]["content"]) == {
        "answer": "hello"
    }


# -- models, mapping, routing ----------------------------------------------------------------
def test_v1_models_lists_registered_models(emulator: RouterEmulator) -> None:
    emulator.add_model("org/a", providers=["cerebras"], context_length=8192)
    chat(emulator, {"model": "org/b", "messages": user("hi")})
    data = httpx.get(emulator.base_url + "/models").json()
    assert data["object"] == "list"
    by_id = {m["id"]: m for m in data["data"]}
    # plus the client's default chat and vision models, listed before their first use
    assert set(by_id) == {"org/a", "org/b", *LISTED_MODELS}
    entry = by_id["org/a"]
    assert entry["object"] == "model"
    assert entry["owned_by"] == "org"
    assert isinstance(entry["created"], int)
    [provider] = entry["providers"]
    assert provider["provider"] == "cerebras"
    assert provider["status"] == "live"
    assert provider["context_length"] == 8192
    assert set(provider["pricing"]) == {"input", "output"}
    assert provider["supports_tools"] is True
    assert provider["supports_structured_output"] is True
    assert [p["provider"] for p in by_id["org/b"]["providers"]] == [
        "together",
        "cerebras",
        "novita",
    ]


@pytest.mark.parametrize(
    "expand", ["expand[]=inferenceProviderMapping", "expand=inferenceProviderMapping"]
)
def test_hub_mapping_dict_form(emulator: RouterEmulator, expand: str) -> None:
    emulator.add_model(
        "org/dict-model",
        providers=[
            "together",
            {"provider": "fireworks-ai", "status": "staging", "providerId": "acc/fw"},
        ],
        provider_ids={"together": "org/dict-model-Turbo"},
    )
    data = httpx.get(f"{emulator.hub_url}/api/models/org/dict-model?{expand}").json()
    assert data["id"] == "org/dict-model"
    assert len(data["_id"]) == 24
    assert data["inferenceProviderMapping"] == {
        "together": {
            "status": "live",
            "providerId": "org/dict-model-Turbo",
            "task": "conversational",
        },
        "fireworks-ai": {"status": "staging", "providerId": "acc/fw", "task": "conversational"},
    }


def test_hub_mapping_list_form_and_no_expand(emulator: RouterEmulator) -> None:
    emulator.add_model("org/list-model", providers=["cerebras"], mapping_form="list")
    url = emulator.hub_url + "/api/models/org/list-model"
    mapping = httpx.get(url, params={"expand[]": "inferenceProviderMapping"}).json()[
        "inferenceProviderMapping"
    ]
    assert mapping == [
        {
            "provider": "cerebras",
            "providerId": "org/list-model",
            "status": "live",
            "task": "conversational",
            "adapter": None,
        }
    ]
    plain = httpx.get(url).json()
    assert plain == {"_id": plain["_id"], "id": "org/list-model", "pipeline_tag": "text-generation"}


@pytest.mark.parametrize(
    ("model", "status", "provider"),
    [
        ("org/m", 200, "together"),
        ("org/m:fastest", 200, "together"),
        ("org/m:cheapest", 200, "together"),
        ("org/m:preferred", 200, "together"),
        ("org/m:cerebras", 200, "cerebras"),
        ("org/m:novita", 400, "novita"),
        ("org/m:groq", 400, "groq"),
    ],
)
def test_model_suffix_routing(
    emulator: RouterEmulator, model: str, status: int, provider: str
) -> None:
    response = chat(emulator, {"model": model, "messages": user("hi")})
    assert response.status_code == status
    assert response.headers["x-inference-provider"] == provider
    if status == 400:
        error = response.json()["error"]
        assert error["code"] == "model_not_supported"
        assert error["type"] == "invalid_request_error"


def test_provider_model_id_and_per_provider_route(emulator: RouterEmulator) -> None:
    emulator.add_model(
        "org/m", providers=["cerebras", "together"], provider_ids={"together": "org/m-Turbo"}
    )
    unified = chat(emulator, {"model": "org/m:together", "messages": user("hi")})
    assert unified.json()["model"] == "org/m-Turbo"
    pinned = chat(
        emulator,
        {"model": "org/m-Turbo", "messages": user("hi")},
        path="/together/v1/chat/completions",
    )
    assert pinned.status_code == 200
    assert pinned.headers["x-inference-provider"] == "together"
    assert pinned.json()["model"] == "org/m-Turbo"
    by_repo = chat(
        emulator, {"model": "org/m", "messages": user("hi")}, path="/cerebras/v1/chat/completions"
    )
    assert by_repo.json()["model"] == "org/m"
    missing = chat(
        emulator, {"model": "org/m", "messages": user("hi")}, path="/groq/v1/chat/completions"
    )
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "model_not_supported"


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[1, 2]",
        b'{"model": "org/m"}',
        b'{"messages": []}',
        b'{"model": "org/m", "messages": "hi"}',
    ],
)
def test_malformed_request_gets_422(emulator: RouterEmulator, content: bytes) -> None:
    response = httpx.post(
        emulator.base_url + "/chat/completions",
        content=content,
        headers={**TOKEN, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert isinstance(response.json()["error"], str)


def test_add_model_rejects_bad_arguments(emulator: RouterEmulator) -> None:
    with pytest.raises(ValueError, match="org/name"):
        emulator.add_model("no-slash")
    with pytest.raises(ValueError, match="mapping_form"):
        emulator.add_model("org/x", mapping_form="tuple")
    with pytest.raises(ValueError, match="reasoning"):
        emulator.add_model("org/x", reasoning="loud")


# -- faults ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "status", "check"),
    [
        ("402", 402, lambda r: "exceeded your monthly included credits" in r.json()["error"]),
        ("429", 429, lambda r: r.headers["retry-after"] == "1"),
        ("429:retry_after=7", 429, lambda r: r.headers["retry-after"] == "7"),
        (
            "503",
            503,
            lambda r: (
                r.json()
                == {"error": "Model org/model is currently loading", "estimated_time": 20.0}
            ),
        ),
        ("503:estimated_time=3.5", 503, lambda r: r.json()["estimated_time"] == 3.5),
        ("500", 500, lambda r: isinstance(r.json()["error"], str)),
        ("502", 502, lambda r: isinstance(r.json()["error"], str)),
        ("504", 504, lambda r: isinstance(r.json()["error"], str)),
        ("401", 401, lambda r: r.headers["x-error-message"] == "Invalid username or password."),
        ("403", 403, lambda r: "org/model" in r.json()["error"]),
        ("404", 404, lambda r: r.json() == {"error": "Model org/model does not exist"}),
        ("model_not_supported", 400, lambda r: r.json()["error"]["code"] == "model_not_supported"),
        ("422", 422, lambda r: r.text.startswith("Failed to deserialize the JSON body")),
        (
            "html_error",
            502,
            lambda r: r.headers["content-type"].startswith("text/html") and "<html>" in r.text,
        ),
        ("invalid_json", 200, lambda r: r.headers["content-type"] == "application/json"),
    ],
)
def test_answer_faults_from_header(
    emulator: RouterEmulator, spec: str, status: int, check: Any
) -> None:
    response = chat(emulator, {"messages": user("hi")}, headers={"X-Emulator-Scenario": spec})
    assert response.status_code == status
    assert response.headers["x-inference-provider"] == "together"
    assert check(response)
    if spec == "invalid_json":
        with pytest.raises(json.JSONDecodeError):
            response.json()


def test_malformed_sse(emulator: RouterEmulator) -> None:
    response = chat(
        emulator,
        {"messages": user("a b c"), "stream": True},
        headers={"X-Emulator-Scenario": "malformed_sse"},
    )
    assert response.status_code == 200
    lines = [line for line in response.text.split("\n") if line]
    first = json.loads(lines[0][len("data: ") :])
    assert first["choices"][0]["delta"]["content"] == "a"
    assert not lines[1].startswith("data:")
    assert lines[2].startswith("data: ")
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[2][len("data: ") :])


@pytest.mark.parametrize("stream", [True, False])
def test_cut_after_drops_the_connection(emulator: RouterEmulator, stream: bool) -> None:
    body = {"model": "org/model", "messages": user("one two three four five"), "stream": stream}
    headers = {**TOKEN, "X-Emulator-Scenario": "cut_after=2"}
    received: list[str] = []
    with httpx.Client() as client:
        with (
            pytest.raises(httpx.RemoteProtocolError),
            client.stream(
                "POST", emulator.base_url + "/chat/completions", json=body, headers=headers
            ) as response,
        ):
            assert response.status_code == 200
            received.extend(line for line in response.iter_lines() if line)
        if stream:
            assert [json.loads(x[6:])["choices"][0]["delta"]["content"] for x in received] == [
                "one",
                " two",
            ]
        # the server is still fine afterwards
        ok = client.post(emulator.base_url + "/chat/completions", json=body, headers=TOKEN)
        assert ok.status_code == 200


def test_end_without_done(emulator: RouterEmulator) -> None:
    response = chat(
        emulator,
        {"messages": user("a b"), "stream": True},
        headers={"X-Emulator-Scenario": "end_without_done"},
    )
    items = events(response)
    assert streamed_text(items) == "a b"
    assert "[DONE]" not in items
    assert all(e["choices"][0]["finish_reason"] is None for e in items)


def test_midstream_error(emulator: RouterEmulator) -> None:
    response = chat(
        emulator,
        {"messages": user("a b c d"), "stream": True},
        headers={"X-Emulator-Scenario": "midstream_error"},
    )
    items = events(response)
    assert streamed_text(items[:2]) == "a b"
    assert items[2]["error"]["type"] == "server_error"
    assert isinstance(items[2]["error"]["message"], str)
    assert len(items) == 3


def test_slow_first_token_and_slow_tokens(emulator: RouterEmulator) -> None:
    start = time.monotonic()
    chat(
        emulator,
        {"messages": user("a"), "stream": True},
        headers={"X-Emulator-Scenario": "slow_first_token=0.3"},
    )
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    items = events(
        chat(
            emulator,
            {"messages": user("a b c d"), "stream": True},
            headers={"X-Emulator-Scenario": "slow_tokens=0.1"},
        )
    )
    assert time.monotonic() - start >= 0.3
    assert streamed_text(items) == "a b c d"
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            emulator.base_url + "/chat/completions",
            json={"model": "org/m", "messages": user("a")},
            headers={**TOKEN, "X-Emulator-Scenario": "slow_first_token=1"},
            timeout=httpx.Timeout(5, read=0.2),
        )


def test_length_makes_huge_answers(emulator: RouterEmulator) -> None:
    items = events(
        chat(
            emulator,
            {"messages": user("x"), "stream": True},
            headers={"X-Emulator-Scenario": "length=5000"},
        )
    )
    tokens = [d["content"] for d in deltas(items) if "content" in d]
    assert len(tokens) == 5000
    assert tokens[:3] == ["tok0", " tok1", " tok2"]
    answer = chat(
        emulator, {"messages": user("x")}, headers={"X-Emulator-Scenario": "length=3"}
    ).json()
    assert answer["choices"][0]["message"]["content"] == "tok0 tok1 tok2"
    assert answer["usage"]["completion_tokens"] == 3


def test_burst_sends_the_same_bytes_in_big_blocks(emulator: RouterEmulator) -> None:
    body = {"model": "org/m", "messages": user("x"), "stream": True, "seed": 1}

    def pieces(scenario: str) -> list[bytes]:
        with httpx.stream(
            "POST",
            emulator.base_url + "/chat/completions",
            json=body,
            headers={**TOKEN, "X-Emulator-Scenario": scenario},
        ) as response:
            return list(response.iter_raw())

    plain, burst = pieces("length=3000"), pieces("length=3000,burst")
    strip = re.compile(rb'"(id|created)":("[^"]*"|\d+)')
    assert strip.sub(b"", b"".join(burst)) == strip.sub(b"", b"".join(plain))
    assert len(b"".join(burst)) > 64 * 1024
    blocks = -(-len(b"".join(burst)) // (64 * 1024))
    assert len(burst) <= 3 * blocks  # written in 64 KiB blocks, not one write per event


def test_json_stream(emulator: RouterEmulator) -> None:
    response = chat(
        emulator,
        {"messages": user("hi"), "stream": True},
        headers={"X-Emulator-Scenario": "json_stream"},
    )
    assert response.headers["content-type"] == "application/json"
    assert response.json()["choices"][0]["message"]["content"] == "hi"


def test_set_fault_per_model_and_provider(emulator: RouterEmulator) -> None:
    emulator.set_fault("402", model="org/m", provider="together")
    failing = chat(emulator, {"model": "org/m", "messages": user("hi")})
    assert failing.status_code == 402
    assert failing.headers["x-inference-provider"] == "together"
    other = chat(emulator, {"model": "org/m:cerebras", "messages": user("hi")})
    assert other.status_code == 200
    assert other.headers["x-inference-provider"] == "cerebras"
    assert chat(emulator, {"model": "org/other", "messages": user("hi")}).status_code == 200


def test_set_fault_times_then_normal(emulator: RouterEmulator) -> None:
    emulator.set_fault("429:retry_after=2", times=2)
    statuses = [chat(emulator, {"messages": user("hi")}).status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    emulator.set_fault("500", provider="cerebras")
    assert chat(emulator, {"model": "org/m:cerebras", "messages": user("hi")}).status_code == 500
    emulator.clear_faults()
    assert chat(emulator, {"model": "org/m:cerebras", "messages": user("hi")}).status_code == 200


def test_stream_shaping_fault_via_set_fault(emulator: RouterEmulator) -> None:
    emulator.set_fault("length=4,end_without_done", model="org/model")
    items = events(chat(emulator, {"messages": user("hi"), "stream": True}))
    assert streamed_text(items) == "tok0 tok1 tok2 tok3"
    assert "[DONE]" not in items


def test_bad_fault_specs_are_rejected(emulator: RouterEmulator) -> None:
    for spec in [
        "418",
        "cut_after",
        "cut_after=x",
        "length=1.5",
        "402:retry_after=1",
        "429:wait=1",
    ]:
        with pytest.raises(ValueError):
            emulator.set_fault(spec)
    with pytest.raises(ValueError):
        emulator.set_fault("500", times=-1)
    response = chat(emulator, {"messages": user("hi")}, headers={"X-Emulator-Scenario": "teapot"})
    assert response.status_code == 400
    assert "teapot" in response.json()["error"]


# -- request log, reset, cassettes -------------------------------------------------------------
def test_request_log_masks_the_token(emulator: RouterEmulator) -> None:
    chat(emulator, {"messages": user("logged")})
    httpx.get(
        emulator.url + "/api/models/org/model", params={"expand[]": "inferenceProviderMapping"}
    )
    log = emulator.requests
    assert [(r.method, r.path) for r in log] == [
        ("POST", "/v1/chat/completions"),
        ("GET", "/api/models/org/model"),
    ]
    first = log[0]
    assert isinstance(first, LoggedRequest)
    assert first.json == {"model": "org/model", "messages": user("logged")}
    assert first.headers["authorization"] == "Bearer hf_***"
    assert "hf_test_token" not in json.dumps(httpx.get(emulator.url + "/_emulator/requests").json())
    assert log[1].query == "expand%5B%5D=inferenceProviderMapping"
    assert log[1].json is None
    assert first.time <= log[1].time
    emulator.clear_requests()
    assert emulator.requests == []


def test_reset_forgets_models_faults_and_counters(emulator: RouterEmulator) -> None:
    emulator.add_model("org/m", providers=["cerebras"])
    emulator.set_fault("500")
    assert chat(emulator, {"model": "org/m", "messages": user("hi")}).status_code == 500
    emulator.reset()
    response = chat(emulator, {"model": "org/m", "messages": user("hi")})
    assert response.status_code == 200
    assert response.headers["x-inference-provider"] == "together"
    assert response.json()["id"] == "chatcmpl-emu-1"
    assert [r.path for r in emulator.requests] == ["/v1/chat/completions"]


def test_cassette_replay_gives_the_recorded_bytes(emulator: RouterEmulator) -> None:
    path = CASSETTES / TOGETHER_STREAM
    if not path.exists():
        pytest.skip(f"cassette not present: {path}")
    recorded = yaml.safe_load(path.read_text())["interactions"]
    assert emulator.load_cassette(path) == 2
    hub = httpx.get(emulator.hub_url + "/api/models/meta-llama/Meta-Llama-3-8B-Instruct")
    assert hub.status_code == 200
    assert hub.content == recorded[0]["response"]["body"]["string"].encode()
    body = {
        "model": "meta-llama/Meta-Llama-3-8B-Instruct-Turbo",
        "messages": user("What is deep learning?"),
        "stream": True,
    }
    chunks: list[bytes] = []
    with httpx.stream(
        "POST", emulator.url + "/together/v1/chat/completions", json=body
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream;charset=utf-8"
        chunks.extend(response.iter_raw())
    assert b"".join(chunks) == recorded[1]["response"]["body"]["string"].encode()
    assert len(chunks) > 1
    # each interaction is used once: the next request is answered by the built-in route
    again = chat(emulator, {**body, "stream": False}, path="/together/v1/chat/completions")
    assert again.json()["choices"][0]["message"]["content"] == "What is deep learning?"
    assert len(emulator.requests) == 3


def test_cassette_replays_recorded_401(emulator: RouterEmulator) -> None:
    path = CASSETTES / "TestInferenceClient.test_chat_completion_unprocessable_entity.yaml"
    if not path.exists():
        pytest.skip(f"cassette not present: {path}")
    emulator.load_cassette(path)
    response = httpx.post(
        emulator.url
        + "/hf-inference/models/meta-llama/Meta-Llama-3-70B-Instruct/v1/chat/completions",
        json={"model": "x", "messages": "please output 'Observation'"},
    )
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid username or password."}
    assert response.headers["x-error-message"] == "Invalid username or password."


def test_load_cassette_errors(emulator: RouterEmulator, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        emulator.load_cassette(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: text\n")
    with pytest.raises(ValueError, match="interactions"):
        emulator.load_cassette(bad)


# -- modes -------------------------------------------------------------------------------------
def test_process_mode_starts_answers_and_is_configurable() -> None:
    with RouterEmulator(process=True) as emu:
        assert emu.url.startswith("http://127.0.0.1:")
        assert emu.env() == {
            "HF_ROUTER_BASE_URL": emu.url + "/v1",
            "HF_ENDPOINT": emu.url,
            "HF_CHAT_BASE_URL": emu.url + "/chat",
        }
        assert (
            chat(emu, {"messages": user("from a process")}).json()["choices"][0]["message"][
                "content"
            ]
            == "from a process"
        )
        emu.set_fault("503", times=1)
        assert chat(emu, {"messages": user("x")}).status_code == 503
        assert [r.path for r in emu.requests] == ["/v1/chat/completions"] * 2
        url = emu.url
    assert not emu.running
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/v1/models", timeout=2)


async def test_async_context_manager() -> None:
    async with RouterEmulator() as emu, httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(
            emu.base_url + "/chat/completions",
            json={"model": "org/m", "messages": user("async hello"), "stream": True},
            headers=TOKEN,
        )
        assert streamed_text(events(response)) == "async hello"
