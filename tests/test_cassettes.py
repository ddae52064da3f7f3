"""Replay every recorded cassette (real router traffic) through the public client API.

Each cassette in ``tests/fixtures/cassettes/`` (vcrpy YAML recorded by huggingface_hub's test
suite, see the LICENSE.md there) is loaded into the local router emulator, which answers the
recorded method + path with the recorded status, headers and body. The chat interactions are
then made with :class:`hf_router.RouterClient` (sync and async) and the decoded result is
compared with what *this file* reads from the YAML on its own: ``yaml.safe_load`` plus a small,
independent reference parser for JSON completions and ``text/event-stream`` bodies. A handful
of well-known answers are also hard-coded, so that a bug shared by the reference parser and the
client cannot hide.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from hf_router import (
    Finish,
    ProviderInfo,
    ReasoningDelta,
    RouterClient,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from hf_router.errors import APIStatusError, AuthenticationError, BadRequestError
from hf_router.events import ChatResult, ToolCall

CASSETTE_DIR = Path(__file__).parent / "fixtures" / "cassettes"
CASSETTE_NAMES = sorted(p.name for p in CASSETTE_DIR.glob("*.yaml"))
CHAT_SUFFIX = "/chat/completions"
DEFAULT_MESSAGES = [{"role": "user", "content": "What is deep learning?"}]
MODES = ["sync", "async"]

# The reference normalisation of the finish reasons found in the recordings. Kept strict on
# purpose: a recording with another value must be looked at (and added here) by a human.
REFERENCE_FINISH = {"stop": "stop", "eos_token": "stop", "length": "length"}
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$")


# --------------------------------------------------------------------------------------------
# Reading the cassettes (independently of hf_router.testing)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Exchange:
    """One recorded request/response, as read by this test file."""

    method: str
    uri: str
    request_body: Any  # parsed JSON or None
    status: int
    headers: dict[str, list[str]]  # lower-case names
    body: str

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> str:
        return urlsplit(self.uri).query

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", [""])[0]

    @property
    def is_stream(self) -> bool:
        return self.content_type.startswith("text/event-stream")

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


@dataclass(frozen=True)
class Cassette:
    name: str
    path: Path
    exchanges: list[Exchange]

    @property
    def posts(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == "POST"]

    @property
    def gets(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == "GET"]

    @property
    def is_error(self) -> bool:
        return any(e.status >= 400 for e in self.posts)

    @property
    def is_stream(self) -> bool:
        return any(e.is_stream for e in self.posts)


def _body_text(raw: Any) -> str:
    if isinstance(raw, dict):
        raw = raw.get("string")
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        return raw.decode("utf-8")
    return str(raw)


@cache
def load(name: str) -> Cassette:
    path = CASSETTE_DIR / name
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    exchanges = []
    for raw in data["interactions"]:
        request, response = raw["request"], raw["response"]
        request_body = request.get("body")
        if isinstance(request_body, (str, bytes)) and request_body:
            request_body = json.loads(request_body)
        else:
            request_body = None
        headers: dict[str, list[str]] = {}
        for key, values in (response.get("headers") or {}).items():
            values = values if isinstance(values, list) else [values]
            headers.setdefault(key.lower(), []).extend(str(v) for v in values)
        exchanges.append(
            Exchange(
                method=str(request["method"]).upper(),
                uri=request["uri"],
                request_body=request_body,
                status=int(response["status"]["code"]),
                headers=headers,
                body=_body_text(response.get("body")),
            )
        )
    return Cassette(name, path, exchanges)


def _ids(names: list[str]) -> list[str]:
    return [n.removesuffix(".yaml") for n in names]


CHAT_CASSETTES = [n for n in CASSETTE_NAMES if not load(n).is_error]
ERROR_CASSETTES = [n for n in CASSETTE_NAMES if load(n).is_error]
STREAM_CASSETTES = [n for n in CHAT_CASSETTES if load(n).is_stream]


# --------------------------------------------------------------------------------------------
# The reference decoder: what the client must produce, computed from the YAML
# --------------------------------------------------------------------------------------------
@dataclass
class Expected:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: tuple[int, int, int] | None = None
    finish_reason: str | None = None
    response_id: str | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    content_chunks: int = 0  # streamed chunks with non-empty content


def _ref_usage(raw: Any) -> tuple[int, int, int] | None:
    if not raw:
        return None
    return (raw["prompt_tokens"], raw["completion_tokens"], raw["total_tokens"])


def _ref_meta(expected: Expected, obj: dict[str, Any]) -> None:
    # The first non-empty value wins (TGI sends "" ids, which mean "no id").
    if expected.response_id is None and obj.get("id"):
        expected.response_id = str(obj["id"])
    if expected.model is None and obj.get("model"):
        expected.model = obj["model"]
    if expected.system_fingerprint is None and obj.get("system_fingerprint"):
        expected.system_fingerprint = obj["system_fingerprint"]


def _ref_finish(raw: str) -> str:
    assert raw in REFERENCE_FINISH, f"unexpected recorded finish_reason {raw!r}"
    return REFERENCE_FINISH[raw]


def ref_completion(body: str) -> Expected:
    """A non-streamed chat completion: choices[0].message, usage, finish_reason."""
    data = json.loads(body)
    expected = Expected()
    _ref_meta(expected, data)
    choice = data["choices"][0]
    message = choice["message"]
    expected.text = message.get("content") or ""
    for raw in message.get("tool_calls") or []:
        arguments = raw["function"]["arguments"]
        if isinstance(arguments, str):
            arguments = json.loads(arguments)
        expected.tool_calls.append(ToolCall(str(raw["id"]), raw["function"]["name"], arguments))
    expected.finish_reason = _ref_finish(choice["finish_reason"])
    if expected.tool_calls and expected.finish_reason == "stop":
        # TGI ends tool calls with eos_token; an answer made of tool calls reads as tool_calls.
        expected.finish_reason = "tool_calls"
    expected.usage = _ref_usage(data.get("usage"))
    return expected


def ref_sse_payloads(body: str) -> list[str]:
    """The ``data:`` payloads of an event stream (every recorded event has one data line)."""
    payloads = []
    for block in body.split("\n\n"):
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        assert len(lines) == 1 and lines[0].startswith("data:"), block
        payloads.append(lines[0][len("data:") :].strip())
    return payloads


def ref_stream(body: str) -> Expected:
    """A streamed chat completion: concatenated delta contents, last usage, last finish."""
    expected = Expected()
    for payload in ref_sse_payloads(body):
        if payload == "[DONE]":
            break
        chunk = json.loads(payload)
        _ref_meta(expected, chunk)
        for choice in chunk.get("choices") or []:
            content = (choice.get("delta") or {}).get("content")
            if content:
                expected.text += content
                expected.content_chunks += 1
            if choice.get("finish_reason"):
                expected.finish_reason = _ref_finish(choice["finish_reason"])
        if chunk.get("usage"):
            expected.usage = _ref_usage(chunk["usage"])
    return expected


def reference(exchange: Exchange) -> Expected:
    return ref_stream(exchange.body) if exchange.is_stream else ref_completion(exchange.body)


# --------------------------------------------------------------------------------------------
# Building the request from the recording
# --------------------------------------------------------------------------------------------
def model_for(cassette: Cassette, post: Exchange) -> str:
    """The model the recorded call asked for: the Hub id looked up before it, else the model
    in the recorded body (when it is a model string the client accepts), else the
    ``/models/{org}/{name}`` part of the URL."""
    for get in cassette.gets:
        match = re.match(r"^/api/models/([^/]+/[^/]+)$", get.path)
        if match:
            return match.group(1)
    model = (post.request_body or {}).get("model")
    if isinstance(model, str) and _REPO_ID.match(model):
        return model
    match = re.search(r"/models/([^/]+/[^/]+?)(?:/v1/chat/completions)?$", post.path)
    assert match, post.path
    return match.group(1)


def messages_for(post: Exchange) -> list[dict[str, Any]]:
    messages = (post.request_body or {}).get("messages")
    if isinstance(messages, list):
        return messages
    if isinstance(messages, str):  # the client only takes a list of messages
        return [{"role": "user", "content": messages}]
    return DEFAULT_MESSAGES


def params_for(post: Exchange) -> dict[str, Any]:
    body = post.request_body or {}
    params = {
        key: body[key]
        for key in ("max_tokens", "stop", "temperature", "tools", "response_format")
        if body.get(key) is not None
    }
    params.setdefault("max_tokens", 20)
    return params


class _PathRewrite(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends every request to ``path`` (for a recording whose POST is not ``.../chat/completions``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(path=self.path)
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(path=self.path)
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


@dataclass
class Replay:
    """A client pointed at the emulator for one recorded POST path."""

    base_url: str
    http_client: httpx.Client | None = None
    http_async_client: httpx.AsyncClient | None = None

    def client(self, *, stream_whole_answers: bool = True) -> RouterClient:
        return RouterClient(
            "hf_test",
            base_url=self.base_url,
            http_client=self.http_client,
            http_async_client=self.http_async_client,
            stream_whole_answers=stream_whole_answers,
        )


def replay_for(emulator: Any, post: Exchange) -> Replay:
    path = post.path
    if path.endswith(CHAT_SUFFIX):
        return Replay(emulator.url + path[: -len(CHAT_SUFFIX)])
    # e.g. the 2023 ``POST /models/HuggingFaceH4/zephyr-7b-alpha``: the client always appends
    # /chat/completions, so the request is redirected to the recorded path at transport level.
    transport = _PathRewrite(path)
    return Replay(
        emulator.url + path,
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
    )


async def call(mode: str, fn: Callable[[RouterClient], Any], client: RouterClient) -> Any:
    """Run ``fn(client)`` with the sync API (in a worker thread) or the async API."""
    if mode == "sync":

        def run() -> Any:
            try:
                return fn(client)
            finally:
                client.close()

        return await asyncio.to_thread(run)
    try:
        return await fn(client)
    finally:
        await client.aclose()


def chat_fn(mode: str, model: str, messages: Any, params: dict[str, Any]) -> Callable:
    if mode == "sync":
        return lambda c: c.chat(model, messages, **params)
    return lambda c: c.achat(model, messages, **params)


def stream_fn(mode: str, model: str, messages: Any, params: dict[str, Any]) -> Callable:
    if mode == "sync":
        return lambda c: list(c.stream_chat(model, messages, **params))

    async def run(c: RouterClient) -> list[Any]:
        return [event async for event in c.astream_chat(model, messages, **params)]

    return run


async def replay_post(emulator: Any, cassette: Cassette, post: Exchange, mode: str) -> Any:
    """Make the recorded call: a ChatResult for JSON answers, the events for streams."""
    replay = replay_for(emulator, post)
    args = (mode, model_for(cassette, post), messages_for(post), params_for(post))
    fn = stream_fn(*args) if post.is_stream else chat_fn(*args)
    try:
        # A non-streamed recording is replayed as it was made: one plain JSON request (the
        # explicit mode for servers that cannot stream; whole answers stream by default).
        return await call(mode, fn, replay.client(stream_whole_answers=post.is_stream))
    finally:
        if replay.http_client is not None:
            replay.http_client.close()
        if replay.http_async_client is not None:
            await replay.http_async_client.aclose()


# --------------------------------------------------------------------------------------------
# Assertions
# --------------------------------------------------------------------------------------------
def expected_provider_info(cassette: Cassette, post: Exchange) -> ProviderInfo:
    return ProviderInfo(model_for(cassette, post), post.header("x-inference-provider"), None, 1)


def usage_tuple(usage: Usage | None) -> tuple[int, int, int] | None:
    if usage is None:
        return None
    return (usage.input_tokens, usage.output_tokens, usage.total_tokens)


def check_result(result: ChatResult, expected: Expected, info: ProviderInfo) -> None:
    assert isinstance(result, ChatResult)
    assert result.text == expected.text
    assert result.reasoning == ""
    assert result.tool_calls == expected.tool_calls
    assert result.invalid_tool_calls == []
    assert usage_tuple(result.usage) == expected.usage
    assert result.finish_reason == expected.finish_reason
    assert result.response_id == expected.response_id
    assert result.model == expected.model
    assert result.system_fingerprint == expected.system_fingerprint
    assert result.provider_info == info
    assert result.fallbacks == []
    assert result.trimmed is None


def check_events(events: list[Any], expected: Expected, info: ProviderInfo) -> None:
    """ProviderInfo, then TextDelta..., then Usage (only when recorded), then Finish."""
    assert events[0] == info
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.reason == expected.finish_reason
    assert finish.response_id == expected.response_id
    assert finish.model == expected.model
    assert finish.system_fingerprint == expected.system_fingerprint
    middle = events[1:-1]
    usages = [e for e in middle if isinstance(e, Usage)]
    if expected.usage is None:
        assert usages == []
    else:
        assert len(usages) == 1 and middle[-1] is usages[0]
        assert usage_tuple(usages[0]) == expected.usage
    deltas = [e for e in middle if not isinstance(e, Usage)]
    assert all(isinstance(e, TextDelta) for e in deltas), deltas
    assert not any(isinstance(e, (ReasoningDelta, ToolCallDelta)) for e in events)
    assert all(e.text for e in deltas)
    assert "".join(e.text for e in deltas) == expected.text
    if expected.content_chunks > 1:
        assert len(deltas) > 1, "the answer was not streamed incrementally"


def check_logged_posts(emulator: Any, cassette: Cassette, stream: bool) -> None:
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert [r.path for r in posts] == [p.path for p in cassette.posts]
    for logged in posts:
        assert logged.headers.get("authorization") == "Bearer hf_***"
        if logged.json is not None:
            assert logged.json["stream"] is stream


def consume_hub_gets(emulator: Any, cassette: Cassette) -> None:
    """The Hub lookups the recording made first are still replayable after the chat call
    (the client does not make them for an explicit non-HF base_url)."""
    assert not any(r.method == "GET" for r in emulator.requests)
    for get in cassette.gets:
        url = emulator.url + get.path + (f"?{get.query}" if get.query else "")
        response = httpx.get(url, timeout=10)
        assert response.status_code == get.status
        assert response.json() == json.loads(get.body)
        assert response.json()["id"] == model_for(cassette, cassette.posts[0])


# --------------------------------------------------------------------------------------------
# Every cassette
# --------------------------------------------------------------------------------------------
def test_every_cassette_is_covered() -> None:
    assert len(CASSETTE_NAMES) >= 26
    assert sorted(CHAT_CASSETTES + ERROR_CASSETTES) == CASSETTE_NAMES
    assert len(ERROR_CASSETTES) >= 3
    assert len(STREAM_CASSETTES) >= 8
    for name in CASSETTE_NAMES:
        cassette = load(name)
        assert cassette.posts, name
        assert all(e.path.startswith("/api/models/") for e in cassette.gets), name
        assert len(cassette.posts) + len(cassette.gets) == len(cassette.exchanges), name


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", CHAT_CASSETTES, ids=_ids(CHAT_CASSETTES))
async def test_replay_chat_cassette(emulator: Any, name: str, mode: str) -> None:
    cassette = load(name)
    assert emulator.load_cassette(cassette.path) == len(cassette.exchanges)
    for post in cassette.posts:  # in recorded order (the tool cassette has two)
        expected = reference(post)
        info = expected_provider_info(cassette, post)
        outcome = await replay_post(emulator, cassette, post, mode)
        if post.is_stream:
            check_events(outcome, expected, info)
        else:
            check_result(outcome, expected, info)
    check_logged_posts(emulator, cassette, stream=cassette.is_stream)
    consume_hub_gets(emulator, cassette)


@pytest.mark.parametrize("name", CASSETTE_NAMES, ids=_ids(CASSETTE_NAMES))
def test_emulator_replays_recorded_bytes(emulator: Any, name: str) -> None:
    """The replay itself, seen with plain httpx: recorded status, content type and body."""
    cassette = load(name)
    emulator.load_cassette(cassette.path)
    with httpx.Client(base_url=emulator.url, timeout=10) as http:
        for exchange in cassette.exchanges:
            body = {} if exchange.method == "POST" else None
            response = http.request(exchange.method, exchange.path, json=body)
            assert response.status_code == exchange.status
            assert response.headers["content-type"] == exchange.content_type
            assert response.text == exchange.body
            error_message = exchange.header("x-error-message")
            if error_message is not None:
                assert response.headers["x-error-message"] == error_message


# --------------------------------------------------------------------------------------------
# Error cassettes
# --------------------------------------------------------------------------------------------
ERROR_CLASSES: dict[int, type[APIStatusError]] = {
    401: AuthenticationError,
    422: BadRequestError,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ERROR_CASSETTES, ids=_ids(ERROR_CASSETTES))
async def test_replay_error_cassette(emulator: Any, name: str, mode: str) -> None:
    cassette = load(name)
    (post,) = cassette.posts
    emulator.load_cassette(cassette.path)
    with pytest.raises(ERROR_CLASSES[post.status]) as info:
        await replay_post(emulator, cassette, post, mode)
    err = info.value
    assert err.status_code == post.status
    server_text = post.header("x-error-message") or post.body
    assert err.server_message == server_text
    assert server_text in str(err)
    assert "hf_test" not in str(err)
    # Neither a 401 nor a 422 is retried or falls back: exactly the one recorded POST.
    assert [(r.method, r.path) for r in emulator.requests] == [("POST", post.path)]


async def test_401_is_authentication_error_without_retry(emulator: Any) -> None:
    cassette = load("TestInferenceClient.test_chat_completion_unprocessable_entity.yaml")
    (post,) = cassette.posts
    assert post.status == 401
    assert post.header("x-error-message") == "Invalid username or password."
    assert post.header("www-authenticate") is not None
    emulator.load_cassette(cassette.path)
    client = RouterClient(
        "hf_test",
        base_url=emulator.url + "/hf-inference/models/meta-llama/Meta-Llama-3-70B-Instruct/v1",
        max_retries=3,
    )
    with client, pytest.raises(AuthenticationError) as info:
        client.chat(
            "meta-llama/Meta-Llama-3-70B-Instruct",
            [{"role": "user", "content": "please output 'Observation'"}],
            max_tokens=200,
            stop=["Observation", "Final Answer"],
        )
    assert "Invalid username or password" in str(info.value)
    assert info.value.status_code == 401
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert len(posts) == 1
    assert posts[0].path == "/hf-inference/models/meta-llama/Meta-Llama-3-70B-Instruct/v1" + (
        CHAT_SUFFIX
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "InferenceClientVCRTest.test_chat_completion_unprocessable_entity.yaml",
            "Failed to deserialize the JSON body into the target type: messages: invalid type: "
            "string \"please output 'Observation'\", expected a sequence at line 1 column 58",
        ),
        (
            "test_unprocessable_entity_error.yaml",
            "Failed to deserialize the JSON body into the target type: inputs: invalid type: "
            "map, expected a string at line 1 column 11",
        ),
    ],
)
async def test_422_text_plain_is_bad_request(emulator: Any, name: str, text: str) -> None:
    cassette = load(name)
    (post,) = cassette.posts
    assert (post.status, post.content_type) == (422, "text/plain; charset=utf-8")
    assert post.body == text
    emulator.load_cassette(cassette.path)
    with pytest.raises(BadRequestError) as info:
        await replay_post(emulator, cassette, post, "async")
    assert text in str(info.value)
    assert info.value.server_message == text
    assert len(emulator.requests) == 1


# --------------------------------------------------------------------------------------------
# Hard-coded answers (checked against both the reference parser and the client)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Known:
    name: str
    text: str
    usage: tuple[int, int, int] | None
    finish_reason: str
    response_id: str | None
    system_fingerprint: str | None


KNOWN = [
    Known(
        "TestInferenceClient.test_chat_completion_with_stream[together,conversational].yaml",
        "Deep learning is a subfield of machine learning that involves the use of artificial "
        "neural networks to model and",
        (26, 20, 46),
        "length",
        "91158e6ad8a0ef60",
        None,
    ),
    Known(
        "TestInferenceClient.test_chat_completion_with_stream[hf-inference,conversational].yaml",
        "Deep learning is a subset of machine learning that involves the use of artificial "
        "neural networks (ANNs)",
        None,
        "length",
        None,  # TGI: "id": ""
        "3.2.1-native",
    ),
    Known(
        "InferenceClientVCRTest.test_chat_completion_with_stream.yaml",
        "Deep learning is a subfield of machine learning that is based on artificial neural "
        "networks with multiple layers to",
        None,
        "length",
        None,
        "1.4.3-sha-e6bb3ff",
    ),
    Known(
        "TestInferenceClient.test_chat_completion_with_stream[cohere,conversational].yaml",
        "Deep learning is a subfield of machine learning and artificial intelligence that "
        "focuses on training artificial neural networks",
        (11, 19, 30),
        "length",
        "2bb1b33e-53d9-4fae-8958-2e54c1e60f09",
        None,
    ),
    Known(
        "TestInferenceClient.test_chat_completion_with_stream[nebius,conversational].yaml",
        "Deep learning is a subset of machine learning that is inspired by the structure and "
        "function of the human brain",
        None,
        "length",
        "chatcmpl-f42aee3e144f465dae0cf33f04bf7c92",
        None,
    ),
    Known(
        "TestInferenceClient.test_chat_completion_with_stream[fireworks-ai,conversational].yaml",
        "**Deep Learning Overview**\n==========================\n\nDeep learning is a subset of "
        "machine learning that uses artificial neural",
        (46, 20, 66),
        "length",
        "495bd036-ee82-4009-b829-05738f002448",
        None,
    ),
    Known(
        "InferenceClientVCRTest.test_chat_completion_no_stream.yaml",
        "Deep learning is a subfield of machine learning that focuses on training artificial "
        "neural networks with multiple layers of",
        (47, 20, 67),
        "length",
        None,
        "1.4.3-sha-e6bb3ff",
    ),
    Known(
        "test_async_chat_completion_no_stream.yaml",
        "Deep learning is a subfield of machine learning that",
        (46, 10, 56),
        "length",
        None,
        "3.0.1-sha-bb9095a",
    ),
    Known(
        "test_async_chat_completion_not_tgi_no_stream.yaml",
        "Deep learning isn't even an algorithm though.",
        (13, 10, 23),
        "length",
        None,
        "3.0.1-sha-bb9095a",
    ),
    Known(
        "InferenceClientVCRTest.test_chat_completion_with_non_tgi.yaml",
        "What does deep learning have to do with anything?",
        (13, 11, 24),
        "stop",  # eos_token
        None,
        "2.1.1-sha-4dfdb48",
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("known", KNOWN, ids=[k.name.removesuffix(".yaml") for k in KNOWN])
async def test_known_answers(emulator: Any, known: Known, mode: str) -> None:
    cassette = load(known.name)
    (post,) = cassette.posts
    ref = reference(post)
    # The reference parser agrees with the hard-coded values...
    assert ref.text == known.text
    assert ref.usage == known.usage
    assert ref.finish_reason == known.finish_reason
    assert ref.response_id == known.response_id
    assert ref.system_fingerprint == known.system_fingerprint
    # ...and so does the client.
    emulator.load_cassette(cassette.path)
    outcome = await replay_post(emulator, cassette, post, mode)
    if post.is_stream:
        text = "".join(e.text for e in outcome if isinstance(e, TextDelta))
        usage = next((e for e in outcome if isinstance(e, Usage)), None)
        finish = outcome[-1]
        assert isinstance(finish, Finish)
        got = (text, usage_tuple(usage), finish.reason, finish.response_id)
        fingerprint = finish.system_fingerprint
    else:
        got = (outcome.text, usage_tuple(outcome.usage), outcome.finish_reason)
        got += (outcome.response_id,)
        fingerprint = outcome.system_fingerprint
    assert got == (known.text, known.usage, known.finish_reason, known.response_id)
    assert fingerprint == known.system_fingerprint


# --------------------------------------------------------------------------------------------
# Specific shapes
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
async def test_tgi_tool_calls_with_integer_id_and_object_arguments(
    emulator: Any, mode: str
) -> None:
    cassette = load("InferenceClientVCRTest.test_chat_completion_with_tool.yaml")
    first, second = cassette.posts
    raw = json.loads(first.body)["choices"][0]
    assert raw["message"]["tool_calls"][0]["id"] == 0
    assert isinstance(raw["message"]["tool_calls"][0]["function"]["arguments"], dict)
    assert raw["finish_reason"] == "eos_token"
    emulator.load_cassette(cassette.path)

    result = await replay_post(emulator, cassette, first, mode)
    assert result.tool_calls == [
        ToolCall(
            "0",
            "get_n_day_weather_forecast",
            {"format": "fahrenheit", "location": "San Francisco, CA", "num_days": 3},
        )
    ]
    assert result.invalid_tool_calls == []
    assert result.text == ""
    assert result.finish_reason == "tool_calls"  # recorded as eos_token
    assert usage_tuple(result.usage) == (246, 27, 273)
    assert result.response_id is None
    assert result.model == "hsramall/hsramall-70b-chat-placeholder"
    assert result.system_fingerprint == "1.4.5-native"

    result = await replay_post(emulator, cassette, second, mode)
    assert result.tool_calls == [
        ToolCall(
            "0", "get_current_weather", {"format": "fahrenheit", "location": "San Francisco, CA"}
        )
    ]
    assert result.finish_reason == "tool_calls"
    assert usage_tuple(result.usage) == (144, 16, 160)
    # The tools of the recording were sent along.
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert len(posts) == 2
    sent_names = {t["function"]["name"] for t in posts[0].json["tools"]}
    assert {"get_n_day_weather_forecast", "get_current_weather"} <= sent_names


@pytest.mark.parametrize("mode", MODES)
async def test_response_format_gives_parseable_json(emulator: Any, mode: str) -> None:
    cassette = load("InferenceClientVCRTest.test_chat_completion_with_response_format.yaml")
    (post,) = cassette.posts
    emulator.load_cassette(cassette.path)
    result = await replay_post(emulator, cassette, post, mode)
    assert json.loads(result.text) == {
        "activity": "bike ride",
        "animals": ["puppy", "cat", "raccoon"],
        "animals_seen": 3,
        "location": "park",
    }
    assert result.finish_reason == "stop"
    assert usage_tuple(result.usage) == (35, 45, 80)
    sent = next(r for r in emulator.requests if r.method == "POST").json
    assert sent["response_format"] == post.request_body["response_format"]


def test_recordings_cover_the_provider_quirks() -> None:
    """The quirks the replay tests above rely on are really in the recordings."""
    content_types = {p.content_type for n in CASSETTE_NAMES for p in load(n).posts}
    assert {
        "text/event-stream",
        "text/event-stream;charset=utf-8",
        "text/event-stream; charset=utf-8",
        "text/event-stream; charset=utf-8; charset=utf-8",
        "application/json",
        "application/json; charset=utf-8",
        "text/plain; charset=utf-8",
    } <= content_types
    tgi = load(
        "TestInferenceClient.test_chat_completion_with_stream[hf-inference,conversational].yaml"
    )
    chunks = [json.loads(p) for p in ref_sse_payloads(tgi.posts[0].body) if p != "[DONE]"]
    assert chunks and all(c["id"] == "" for c in chunks)
    legacy = load("InferenceClientVCRTest.test_chat_completion_with_stream.yaml").posts[0].body
    assert legacy.startswith("data:{") and "[DONE]" not in legacy  # no space, no [DONE]
    together = load(
        "TestInferenceClient.test_chat_completion_with_stream[together,conversational].yaml"
    ).posts[0]
    last = json.loads(ref_sse_payloads(together.body)[-2])
    assert last["usage"] and last["choices"][0]["delta"]["content"]  # usage on a content chunk
