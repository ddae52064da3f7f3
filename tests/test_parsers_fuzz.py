"""Property tests: every parser of server data (SSE decoder, chat chunk decoder, NDJSON line
splitter and HuggingChat update parser, media provider parsers, the error reader) given random
bytes or randomly nested JSON either succeeds or raises a typed :class:`HFRouterError`: never a
``RecursionError``, ``KeyError``, ``TypeError`` or any other untyped error."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hf_router._shared.bodies import loads
from hf_router._shared.ndjson import LineSplitter
from hf_router._shared.responses import error_from_response, parse_retry_after, server_message
from hf_router._shared.sse import SSEDecoder
from hf_router.chat import _decoder
from hf_router.chat._decoder import ChatStreamDecoder
from hf_router.errors import HFRouterError
from hf_router.huggingchat._updates import UpdateParser, message_id_from_api, message_id_from_data
from hf_router.media._engine import _decode
from hf_router.media.providers import PROVIDERS
from hf_router.media.providers._base import Pending, RequestSpec

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# JSON-ish values, including the keys the parsers look for, so that shapes get close to real.
_KEYS = st.sampled_from(
    [
        "choices",
        "delta",
        "content",
        "error",
        "message",
        "type",
        "token",
        "images",
        "url",
        "data",
        "status",
        "request_id",
        "response_url",
        "video",
        "output",
        "id",
        "finish_reason",
        "tool_calls",
        "function",
        "arguments",
        "usage",
        "estimated_time",
        "detail",
        "messages",
        "nodes",
        "b64_json",
        "sources",
        "text",
        "x",
    ]
)
_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=30,
)


@st.composite
def nested(draw: st.DrawFn) -> str:
    """JSON nested ``depth`` deep (arrays or objects), up to far past any parser's limit."""
    depth = draw(st.integers(0, 20_000) | st.sampled_from([999, 1000, 1024, 1025, 100_000]))
    if draw(st.booleans()):
        return "[" * depth + "]" * depth
    return '{"error":' * depth + "1" + "}" * depth


PAYLOADS = (
    st.binary(max_size=300)
    | VALUES.map(lambda v: json.dumps(v).encode())
    | nested().map(str.encode)
)


def _typed(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except HFRouterError:
        return None


@SETTINGS
@given(chunks=st.lists(PAYLOADS, max_size=6))
def test_sse_decoder(chunks: list[bytes]) -> None:
    dec = SSEDecoder()
    for chunk in chunks:
        _typed(dec.feed, chunk)
    _typed(dec.close)


@SETTINGS
@given(payload=PAYLOADS, framed=st.booleans())
def test_chat_chunk_decoder(payload: bytes, framed: bool) -> None:
    for loads_ in (_decoder.json_loads, json.JSONDecoder().decode):
        original = _decoder.json_loads
        _decoder.json_loads = loads_
        try:
            dec = ChatStreamDecoder(model="m", provider="p")
            text = payload.decode("utf-8", "replace")
            _typed(dec.feed_data, text)
            _typed(dec.finish)
            try:
                body = loads(payload)
            except ValueError:
                continue
            dec2 = ChatStreamDecoder(model="m", provider="p")
            _typed(dec2.feed_completion, body)
            _typed(dec2.finish)
        finally:
            _decoder.json_loads = original


@SETTINGS
@given(chunks=st.lists(PAYLOADS, max_size=6), newline=st.booleans())
def test_ndjson_lines_and_huggingchat_updates(chunks: list[bytes], newline: bool) -> None:
    parser = UpdateParser(chat_url="https://hc.example/chat", conversation_id="c1")
    splitter = LineSplitter(max_line=4096)
    for chunk in chunks:
        data = chunk + (b"\n" if newline else b"")
        _typed(parser.feed, data)
        _typed(splitter.feed, data)
    _typed(parser.close)
    splitter.close()
    for chunk in chunks:
        text = chunk.decode("utf-8", "replace")
        message_id_from_data(text)
        with contextlib.suppress(ValueError):
            message_id_from_api(loads(chunk))


@SETTINGS
@given(payload=PAYLOADS, ctype=st.sampled_from(["application/json", "image/png", ""]))
def test_media_provider_parsers(payload: bytes, ctype: str) -> None:
    body = _typed(_decode, payload, ctype, "p", "m")
    if body is None:
        return
    parsed, ctype = body
    job = Pending("job-1", RequestSpec("GET", "/status"), result=RequestSpec("GET", "/result"))
    for provider in PROVIDERS.values():
        _typed(provider.parse, parsed, ctype)
        _typed(provider.poll_result, parsed, job)


@SETTINGS
@given(
    status=st.sampled_from([400, 401, 402, 403, 404, 413, 422, 429, 500, 502, 503, 504]),
    payload=PAYLOADS,
    retry_after=st.text(max_size=30) | st.sampled_from(["-5", "nan", "inf", "1e400", "-1e9"]),
)
def test_error_reader(status: int, payload: bytes, retry_after: str) -> None:
    headers = {"content-type": "application/json", "retry-after": retry_after}
    body = payload.decode("utf-8", "replace")
    error = error_from_response(status, headers, body, model="m", provider="p")
    assert isinstance(error, HFRouterError)
    server_message(headers, body)
    wait = parse_retry_after(headers)
    assert wait is None or wait >= 0
    for value in (getattr(error, "retry_after", None), getattr(error, "estimated_time", None)):
        assert value is None or value >= 0
