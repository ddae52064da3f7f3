"""ChatStreamDecoder / AnswerStream / ResultBuilder: chunks in, typed events and results out."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hf_router._shared.models import parse_model
from hf_router.chat._answer import AnswerStream
from hf_router.chat._attempts import Attempt
from hf_router.chat._decoder import ChatStreamDecoder, normalize_finish_reason, parse_usage
from hf_router.chat._result import ResultBuilder
from hf_router.errors import (
    AuthenticationError,
    HFRouterError,
    MalformedResponseError,
    ModelLoadingError,
    ProviderError,
    RateLimitError,
    StreamInterruptedError,
)
from hf_router.events import (
    ChatResult,
    Event,
    Finish,
    ProviderInfo,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

# -- helpers -----------------------------------------------------------------------------------


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
    choices: bool = True,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` object."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "org/m",
    }
    if choices:
        body["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    else:
        body["choices"] = []
    if usage is not None:
        body["usage"] = usage
    return body


def content(text: str, **kw: Any) -> dict[str, Any]:
    return chunk({"content": text}, **kw)


def decode(payloads: Sequence[dict[str, Any] | str]) -> list[Event]:
    """Feed payloads (dicts are JSON-encoded) to one decoder, then finish()."""
    decoder = ChatStreamDecoder(model="org/m")
    out: list[Event] = []
    for payload in payloads:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        out.extend(decoder.feed_data(data))
    out.extend(decoder.finish())
    return out


def aggregate(events: Sequence[Event]) -> ChatResult:
    builder = ResultBuilder()
    for ev in events:
        builder.add(ev)
    return builder.result()


def sse(payloads: Sequence[dict[str, Any] | str], *, eol: str = "\n") -> bytes:
    parts = []
    for payload in payloads:
        data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        parts.append(f"data: {data}{eol}{eol}")
    return "".join(parts).encode()


def new_answer(content_type: str = "text/event-stream") -> AnswerStream:
    return AnswerStream(Attempt(1, parse_model("org/m"), None), None, content_type)


def run_answer(chunks: Sequence[bytes], content_type: str = "text/event-stream") -> list[Event]:
    answer = new_answer(content_type)
    out: list[Event] = []
    for piece in chunks:
        out.extend(answer.feed(piece))
    out.extend(answer.end())
    return out


def merge(events: Sequence[Event]) -> list[Event]:
    """Merge adjacent TextDelta texts and adjacent ReasoningDelta texts."""
    out: list[Event] = []
    for ev in events:
        if out and type(ev) is type(out[-1]) and isinstance(ev, TextDelta | ReasoningDelta):
            out[-1] = type(ev)(out[-1].text + ev.text)  # type: ignore[union-attr]
        else:
            out.append(ev)
    return out


def text_of(events: Sequence[Event]) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, TextDelta))


def reasoning_of(events: Sequence[Event]) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, ReasoningDelta))


def tool_call(
    index: int | None = None,
    id: Any = None,
    name: Any = None,
    arguments: Any = None,
    *,
    with_type: bool = False,
) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if index is not None:
        raw["index"] = index
    if id is not None:
        raw["id"] = id
    if with_type:
        raw["type"] = "function"
    function: dict[str, Any] = {}
    if name is not None or with_type:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    raw["function"] = function
    return raw


def tools_chunk(*calls: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return chunk({"tool_calls": list(calls)}, finish=finish)


# -- plain content -----------------------------------------------------------------------------


def test_plain_content_deltas() -> None:
    events = decode(
        [
            chunk({"role": "assistant", "content": ""}),
            content("Hel"),
            content("lo, "),
            content("wörld"),
            content("", finish="stop"),
            "[DONE]",
        ]
    )
    assert events == [
        TextDelta("Hel"),
        TextDelta("lo, "),
        TextDelta("wörld"),
        Finish("stop", "chatcmpl-1", "org/m", None),
    ]


def test_role_only_chunk_emits_nothing() -> None:
    decoder = ChatStreamDecoder()
    assert decoder.feed_data(json.dumps(chunk({"role": "assistant"}))) == []


def test_finish_carries_response_metadata() -> None:
    first = content("hi")
    first["system_fingerprint"] = "fp_1"
    events = decode([first, content("", finish="stop")])
    assert events[-1] == Finish("stop", "chatcmpl-1", "org/m", "fp_1")


def test_content_given_as_list_of_parts() -> None:
    events = decode([chunk({"content": [{"type": "text", "text": "a"}, {"text": "b"}]})])
    assert text_of(events) == "ab"


def test_less_than_sign_in_content_is_plain_text() -> None:
    events = decode(
        [content("1 < 2 and 3 <"), content(" 4 <b>bold</b>"), content("", finish="stop")]
    )
    assert merge(events)[0] == TextDelta("1 < 2 and 3 < 4 <b>bold</b>")


def test_trailing_less_than_sign_is_flushed_at_the_end() -> None:
    events = decode([content("x <"), "[DONE]"])
    assert text_of(events) == "x <"


# -- usage -------------------------------------------------------------------------------------


def test_usage_on_last_content_chunk_together_style() -> None:
    events = decode(
        [
            content("Hi"),
            content(
                "!",
                finish="stop",
                usage={"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
            ),
            "[DONE]",
        ]
    )
    assert events == [
        TextDelta("Hi"),
        TextDelta("!"),
        Usage(10, 2, 12),
        Finish("stop", "chatcmpl-1", "org/m", None),
    ]


def test_usage_on_final_chunk_without_choices() -> None:
    events = decode(
        [
            content("Hi"),
            content("", finish="length"),
            chunk(
                choices=False,
                usage={
                    "prompt_tokens": 5,
                    "completion_tokens": 7,
                    "total_tokens": 12,
                    "completion_tokens_details": {"reasoning_tokens": 3},
                    "prompt_tokens_details": {"cached_tokens": 4},
                },
            ),
            "[DONE]",
        ]
    )
    assert events[-2:] == [
        Usage(5, 7, 12, {"reasoning_tokens": 3, "cached_tokens": 4}),
        Finish("length", "chatcmpl-1", "org/m", None),
    ]
    assert aggregate(events).usage == Usage(5, 7, 12, {"reasoning_tokens": 3, "cached_tokens": 4})


def test_null_usage_on_intermediate_chunks_is_ignored() -> None:
    events = decode(
        [
            content("a", usage=None),
            chunk(choices=False, usage={"prompt_tokens": 1, "completion_tokens": 1}),
            {**content("b"), "usage": None},
        ]
    )
    assert Usage(1, 1, 2) in events


def test_parse_usage_total_defaults_to_sum() -> None:
    assert parse_usage({"prompt_tokens": 3, "completion_tokens": 4}) == Usage(3, 4, 7)
    assert parse_usage({"input_tokens": 3, "output_tokens": 4}) == Usage(3, 4, 7)
    assert parse_usage(None) is None


def test_no_usage_event_when_server_sends_none() -> None:
    events = decode([content("a", finish="stop")])
    assert not any(isinstance(ev, Usage) for ev in events)


# -- reasoning ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning", "reasoning_text"])
def test_reasoning_fields(key: str) -> None:
    events = decode(
        [
            chunk({key: "Let me "}),
            chunk({key: "think."}),
            content("Answer"),
            content("", finish="stop"),
        ]
    )
    assert events[:3] == [ReasoningDelta("Let me "), ReasoningDelta("think."), TextDelta("Answer")]
    result = aggregate(events)
    assert result.reasoning == "Let me think."
    assert result.text == "Answer"


def test_null_reasoning_next_to_content() -> None:
    events = decode([chunk({"content": "x", "reasoning_content": None, "reasoning": None})])
    assert events[0] == TextDelta("x")


def test_think_tags_split_across_chunks_example() -> None:
    events = decode([content("<thi"), content("nk>abc</th"), content("ink>def"), "[DONE]"])
    assert events == [
        ReasoningDelta("abc"),
        TextDelta("def"),
        Finish("stop", "chatcmpl-1", "org/m", None),
    ]


@pytest.mark.parametrize(
    ("whole", "reasoning", "text"),
    [
        ("<think>abc</think>def", "abc", "def"),
        # whitespace right after </think> is not part of the answer
        ("Hi <think>r1 < r2</think> bye", "r1 < r2", "Hi bye"),
        ("<think>\nstep 1\n</think>\n\nДа", "\nstep 1\n", "Да"),
    ],
)
def test_think_tags_split_at_every_position(whole: str, reasoning: str, text: str) -> None:
    n = len(whole)
    for i in range(n + 1):
        for j in range(i, n + 1):
            parts = [whole[:i], whole[i:j], whole[j:]]
            events = decode([content(p) for p in parts if p] + ["[DONE]"])
            merged = merge(events)
            assert reasoning_of(events) == reasoning, parts
            assert text_of(events) == text, parts
            # reasoning comes first when the answer starts with <think>
            if whole.startswith("<think>"):
                assert merged[0] == ReasoningDelta(reasoning), parts
                assert merged[1] == TextDelta(text), parts


def test_blank_lines_after_think_dropped_also_when_close_tag_ends_a_chunk() -> None:
    # Reasoning models typically stream "</think>" and the "\n\n" after it as separate tokens;
    # the answer text must not depend on where the chunks were cut.
    same_chunk = decode([content("<think>r</think>\n\nAnswer"), "[DONE]"])
    split = decode([content("<think>r</think>"), content("\n\n"), content("Answer"), "[DONE]"])
    assert text_of(same_chunk) == "Answer"
    assert text_of(split) == text_of(same_chunk)


def test_unclosed_think_is_reasoning() -> None:
    events = decode([content("<think>still thinking"), "[DONE]"])
    assert reasoning_of(events) == "still thinking"
    assert text_of(events) == ""


# -- tool calls --------------------------------------------------------------------------------


def test_tool_call_openai_style() -> None:
    events = decode(
        [
            chunk(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [tool_call(0, "call_1", "get_weather", "", with_type=True)],
                }
            ),
            tools_chunk(tool_call(0, arguments='{"city"')),
            tools_chunk(tool_call(0, arguments=': "Paris"}')),
            chunk({}, finish="tool_calls"),
            "[DONE]",
        ]
    )
    assert events == [
        ToolCallDelta(0, "call_1", "get_weather", ""),
        ToolCallDelta(0, None, None, '{"city"'),
        ToolCallDelta(0, None, None, ': "Paris"}'),
        Finish("tool_calls", "chatcmpl-1", "org/m", None),
    ]
    result = aggregate(events)
    assert result.tool_calls == [ToolCall("call_1", "get_weather", {"city": "Paris"})]
    assert result.invalid_tool_calls == []
    assert result.finish_reason == "tool_calls"


def test_two_parallel_tool_calls_keep_their_order() -> None:
    events = decode(
        [
            tools_chunk(tool_call(0, "a", "first", "")),
            tools_chunk(tool_call(1, "b", "second", "")),
            tools_chunk(tool_call(0, arguments='{"x": 1}')),
            tools_chunk(tool_call(1, arguments='{"y": 2}')),
            chunk({}, finish="tool_calls"),
        ]
    )
    result = aggregate(events)
    assert result.tool_calls == [
        ToolCall("a", "first", {"x": 1}),
        ToolCall("b", "second", {"y": 2}),
    ]


@pytest.mark.parametrize("with_index", [True, False])
def test_tool_call_llama_cpp_style_repeats_id_and_name(with_index: bool) -> None:
    index = 0 if with_index else None
    fragments = ['{"ci', 'ty": "Par', 'is"}']
    events = decode(
        [
            tools_chunk(tool_call(index, "call_7", "get_weather", frag, with_type=True))
            for frag in fragments
        ]
        + [chunk({}, finish="tool_calls"), "[DONE]"]
    )
    deltas = [ev for ev in events if isinstance(ev, ToolCallDelta)]
    assert [d.name for d in deltas] == ["get_weather", None, None]
    assert [d.id for d in deltas] == ["call_7", None, None]
    assert "".join(d.arguments_fragment for d in deltas) == '{"city": "Paris"}'
    result = aggregate(events)
    assert result.tool_calls == [ToolCall("call_7", "get_weather", {"city": "Paris"})]


def test_tool_call_tgi_style_empty_id_and_null_name() -> None:
    events = decode(
        [
            tools_chunk(tool_call(0, "", "get_weather", '{"city": ', with_type=True)),
            tools_chunk(tool_call(0, "", None, '"Paris"}', with_type=True)),
            chunk({}, finish="eos_token"),
            "[DONE]",
        ]
    )
    deltas = [ev for ev in events if isinstance(ev, ToolCallDelta)]
    assert deltas[0].name == "get_weather"
    assert deltas[1].name is None
    assert all(d.id is None for d in deltas)  # "" is no id
    result = aggregate(events)
    assert len(result.tool_calls) == 1
    call = result.tool_calls[0]
    assert call.name == "get_weather"
    assert call.arguments == {"city": "Paris"}
    assert call.id  # an id is made up when the server gave none
    assert result.finish_reason == "tool_calls"  # TGI ends tool calls with eos_token


def test_tool_call_tgi_style_without_index() -> None:
    events = decode(
        [
            tools_chunk(tool_call(None, "", "lookup", '{"q": ')),
            tools_chunk(tool_call(None, "", None, '"x"}')),
            "[DONE]",
        ]
    )
    result = aggregate(events)
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("lookup", {"q": "x"})]
    assert result.finish_reason == "tool_calls"


def test_tool_call_arguments_as_object_and_integer_id() -> None:
    events = decode(
        [
            tools_chunk(tool_call(0, 0, "get_weather", {"city": "Paris", "days": 2})),
            "[DONE]",
        ]
    )
    result = aggregate(events)
    assert result.tool_calls == [ToolCall("0", "get_weather", {"city": "Paris", "days": 2})]


def test_tool_call_invalid_json_arguments_become_invalid_tool_call() -> None:
    events = decode(
        [
            tools_chunk(tool_call(0, "call_1", "get_weather", '{"city": "Par')),
            chunk({}, finish="tool_calls"),
        ]
    )
    result = aggregate(events)  # no exception
    assert result.tool_calls == []
    assert len(result.invalid_tool_calls) == 1
    bad = result.invalid_tool_calls[0]
    assert bad.id == "call_1"
    assert bad.name == "get_weather"
    assert bad.arguments == '{"city": "Par'
    assert "JSON" in bad.error


def test_tool_call_arguments_not_an_object_is_invalid() -> None:
    events = decode([tools_chunk(tool_call(0, "c", "f", "[1, 2]"))])
    result = aggregate(events)
    assert result.tool_calls == []
    assert result.invalid_tool_calls[0].arguments == "[1, 2]"


def test_tool_call_without_arguments_gets_empty_object() -> None:
    events = decode([tools_chunk(tool_call(0, "c", "now", "")), "[DONE]"])
    assert aggregate(events).tool_calls == [ToolCall("c", "now", {})]


def test_text_and_tool_call_in_one_answer() -> None:
    events = decode(
        [
            content("Let me check. "),
            tools_chunk(tool_call(0, "c1", "search", '{"q": "hf"}')),
            chunk({}, finish="tool_calls"),
        ]
    )
    result = aggregate(events)
    assert result.text == "Let me check. "
    assert result.tool_calls == [ToolCall("c1", "search", {"q": "hf"})]


# -- finish reasons ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("stop", "stop"),
        ("eos_token", "stop"),
        ("length", "length"),
        ("max_tokens", "length"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("content_filter", "content_filter"),
        ("something_new", "something_new"),
    ],
)
def test_finish_reason_normalised(raw: str, expected: str) -> None:
    assert normalize_finish_reason(raw) == expected
    events = decode([content("x", finish=raw)])
    assert events[-1].reason == expected  # type: ignore[union-attr]


def test_finish_reason_defaults_to_stop_after_done() -> None:
    assert decode([content("x"), "[DONE]"])[-1] == Finish("stop", "chatcmpl-1", "org/m", None)


# -- errors in the stream ----------------------------------------------------------------------


def test_error_object_mid_stream_is_provider_error() -> None:
    decoder = ChatStreamDecoder(model="org/m", provider="together")
    assert decoder.feed_data(json.dumps(content("partial"))) == [TextDelta("partial")]
    with pytest.raises(ProviderError) as info:
        decoder.feed_data(json.dumps({"error": {"message": "CUDA out of memory"}}))
    err = info.value
    assert err.server_message == "CUDA out of memory"
    assert err.provider == "together"
    assert "CUDA out of memory" in str(err)


def test_error_string_mid_stream() -> None:
    decoder = ChatStreamDecoder()
    with pytest.raises(ProviderError) as info:
        decoder.feed_data('{"error": "Input validation error: too long"}')
    assert info.value.server_message == "Input validation error: too long"


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        ({"message": "slow down", "code": 429}, RateLimitError),
        ({"message": "bad token", "status": 401}, AuthenticationError),
        ({"message": "Model is loading", "status_code": 503}, ModelLoadingError),
    ],
)
def test_error_object_with_status_maps_to_class(error: dict[str, Any], cls: type) -> None:
    decoder = ChatStreamDecoder()
    with pytest.raises(cls) as info:
        decoder.feed_data(json.dumps({"error": error}))
    assert info.value.status_code == error.get(
        "code", error.get("status", error.get("status_code"))
    )
    assert info.value.server_message == error["message"]


def test_event_error_is_raised() -> None:
    decoder = ChatStreamDecoder()
    with pytest.raises(HFRouterError) as info:
        decoder.feed_data('{"message": "upstream died"}', "error")
    assert "upstream died" in str(info.value)


def test_answer_stream_delivers_text_before_an_error_in_the_same_network_chunk() -> None:
    answer = new_answer()
    events = answer.feed(sse([content("Hello"), {"error": {"message": "boom"}}]))
    assert events[0] == ProviderInfo("org/m", None, None, 1)
    assert events[1:] == [TextDelta("Hello")]
    with pytest.raises(ProviderError) as info:
        answer.end()
    interrupted = answer.interrupted(info.value)
    assert isinstance(interrupted, StreamInterruptedError)
    assert interrupted.partial_text == "Hello"


def test_answer_stream_error_before_any_text_is_raised_as_is() -> None:
    answer = new_answer()
    with pytest.raises(RateLimitError) as info:
        answer.feed(sse([{"error": {"message": "slow", "code": 429}}]))
    assert answer.interrupted(info.value) is info.value


def test_done_marker() -> None:
    decoder = ChatStreamDecoder()
    assert not decoder.complete
    assert decoder.feed_data("[DONE]") == []
    assert decoder.done and decoder.complete


def test_data_after_done_is_ignored_by_answer_stream() -> None:
    events = run_answer([sse([content("a"), "[DONE]", content("IGNORED")])])
    assert text_of(events) == "a"


def test_stream_ending_without_finish_or_done_is_an_error() -> None:
    answer = new_answer()
    answer.feed(sse([content("cut off")]))
    with pytest.raises(MalformedResponseError):
        answer.end()


def test_done_without_trailing_blank_line_completes() -> None:
    events = run_answer([b'data: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: [DONE]'])
    assert text_of(events) == "x"
    assert isinstance(events[-1], Finish)


@pytest.mark.parametrize(
    "data", ["not json", "{'single': 'quotes'}", "{", '"just a string"', "[1]"]
)
def test_non_json_or_non_object_data_raises_malformed(data: str) -> None:
    with pytest.raises(MalformedResponseError):
        ChatStreamDecoder().feed_data(data)


@pytest.mark.parametrize(
    "data",
    [
        '{"choices": ["x"]}',
        '{"choices": [null]}',
        '{"choices": {"0": {}}}',
        '{"choices": [{"delta": "x"}]}',
        '{"choices": [{"delta": {"tool_calls": 5}}]}',
        '{"choices": [{"delta": {"content": 5}}]}',
        '{"usage": {"prompt_tokens": "many"}}',
    ],
)
def test_json_of_the_wrong_shape_never_escapes_as_untyped_error(data: str) -> None:
    # Lenient about content: either ignored or a typed error, never AttributeError & co.
    decoder = ChatStreamDecoder()
    try:
        decoder.feed_data(data)
        decoder.finish()
    except HFRouterError:
        pass


# -- whole completions -------------------------------------------------------------------------

COMPLETION: dict[str, Any] = {
    "id": "cmpl-9",
    "object": "chat.completion",
    "model": "org/m",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "<think>hmm</think>It is sunny.",
                "tool_calls": [
                    {
                        "id": "call_w",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
                    },
                    {
                        "id": "call_t",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": '{"tz": "CET"}'},
                    },
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29},
}


def test_feed_completion() -> None:
    decoder = ChatStreamDecoder()
    events = decoder.feed_completion(COMPLETION) + decoder.finish()
    result = aggregate(events)
    assert result.text == "It is sunny."
    assert result.reasoning == "hmm"
    assert result.tool_calls == [
        ToolCall("call_w", "get_weather", {"city": "Paris"}),
        ToolCall("call_t", "get_time", {"tz": "CET"}),
    ]
    assert result.usage == Usage(20, 9, 29)
    assert result.finish_reason == "tool_calls"
    assert result.response_id == "cmpl-9"
    assert decoder.complete


def test_feed_completion_reasoning_content_field() -> None:
    body = {
        "choices": [
            {
                "message": {"content": "4", "reasoning_content": "2+2"},
                "finish_reason": "eos_token",
            }
        ]
    }
    decoder = ChatStreamDecoder()
    events = decoder.feed_completion(body) + decoder.finish()
    assert events == [ReasoningDelta("2+2"), TextDelta("4"), Finish("stop")]


@pytest.mark.parametrize("body", [[], "x", {"choices": []}, {"choices": "x"}, {"object": "x"}])
def test_feed_completion_without_choices_raises_malformed(body: Any) -> None:
    with pytest.raises(MalformedResponseError):
        ChatStreamDecoder().feed_completion(body)


def test_feed_completion_error_body_raises_typed() -> None:
    with pytest.raises(HFRouterError) as info:
        ChatStreamDecoder().feed_completion({"error": {"message": "nope", "code": 402}})
    assert info.value.status_code == 402


def test_answer_stream_json_answer_to_streaming_request() -> None:
    raw = json.dumps(COMPLETION, ensure_ascii=False).encode()
    events = run_answer([raw[:7], raw[7:50], raw[50:]], "application/json; charset=utf-8")
    assert events[0] == ProviderInfo("org/m", None, None, 1)
    result = aggregate(events)
    assert result.text == "It is sunny."
    assert len(result.tool_calls) == 2
    assert result.provider_info == ProviderInfo("org/m", None, None, 1)


def test_answer_stream_invalid_json_answer_is_malformed() -> None:
    with pytest.raises(MalformedResponseError):
        run_answer([b"<html><title>oops</title></html>"], "application/json")


# -- property: chunking never changes the events ------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)
_NONEMPTY = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10)


@st.composite
def chat_streams(draw: st.DrawFn) -> dict[str, Any]:
    """A valid SSE stream of a chat answer and what it should decode to."""
    contents = draw(st.lists(_TEXT, max_size=8))
    assume("<think>" not in "".join(contents))
    reasonings = draw(st.lists(_NONEMPTY, max_size=4))
    reasoning_key = draw(st.sampled_from(["reasoning_content", "reasoning", "reasoning_text"]))
    tool = draw(
        st.none()
        | st.tuples(
            st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
            st.dictionaries(st.text(max_size=5), st.integers() | _TEXT, max_size=3),
        )
    )
    with_usage = draw(st.booleans())
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    space = draw(st.sampled_from(["", " "]))
    ascii_json = draw(st.booleans())

    payloads: list[dict[str, Any] | str] = [chunk({"role": "assistant", "content": ""})]
    payloads += [chunk({reasoning_key: r}) for r in reasonings]
    payloads += [content(c) for c in contents]
    if tool is not None:
        name, args = tool
        args_text = json.dumps(args, ensure_ascii=False)
        cut = draw(st.integers(0, len(args_text)))
        payloads.append(tools_chunk(tool_call(0, "call_1", name, args_text[:cut], with_type=True)))
        payloads.append(tools_chunk(tool_call(0, arguments=args_text[cut:])))
    payloads.append(chunk({}, finish="tool_calls" if tool else "stop"))
    if with_usage:
        payloads.append(
            chunk(
                choices=False, usage={"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
            )
        )
    payloads.append("[DONE]")

    pieces: list[str] = []
    for payload in payloads:
        if draw(st.booleans()):
            pieces.append(f": keep-alive{eol}")
        if isinstance(payload, str):
            lines = [payload]
        else:  # indented JSON goes out as several data: lines, joined again with "\n"
            indent = 1 if draw(st.booleans()) else None
            lines = json.dumps(payload, ensure_ascii=ascii_json, indent=indent).split("\n")
        pieces.extend(f"data:{space}{line}{eol}" for line in lines)
        pieces.append(eol)
    raw = "".join(pieces).encode()
    return {
        "raw": raw,
        "text": "".join(contents),
        "reasoning": "".join(reasonings),
        "tool": tool,
        "usage": Usage(3, 5, 8) if with_usage else None,
    }


def split_at(raw: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(set(cuts)), len(raw)]
    return [raw[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=chat_streams(), data=st.data())
def test_property_chunking_does_not_change_events(
    stream: dict[str, Any], data: st.DataObject
) -> None:
    raw: bytes = stream["raw"]
    whole = merge(run_answer([raw]))
    cuts = data.draw(st.lists(st.integers(1, max(1, len(raw) - 1)), max_size=40), label="cuts")
    pieces = split_at(raw, cuts)
    assert b"".join(pieces) == raw
    chunked = merge(run_answer(pieces))

    assert chunked == whole
    assert whole[0] == ProviderInfo("org/m", None, None, 1)
    assert isinstance(whole[-1], Finish)
    assert text_of(whole) == stream["text"]
    assert reasoning_of(whole) == stream["reasoning"]

    result = aggregate(whole)
    assert result.text == stream["text"]
    assert result.reasoning == stream["reasoning"]
    assert result.usage == stream["usage"]
    if stream["tool"] is None:
        assert result.tool_calls == []
        assert result.finish_reason == "stop"
    else:
        name, args = stream["tool"]
        assert result.tool_calls == [ToolCall("call_1", name, args)]
        assert result.finish_reason == "tool_calls"
    assert result.invalid_tool_calls == []


# -- property: garbage in, typed error or well-formed events out --------------------------------


def check_garbage(raw: bytes, cuts: list[int]) -> None:
    answer = new_answer()
    events: list[Event] = []
    try:
        for piece in split_at(raw, cuts):
            events.extend(answer.feed(piece))
        events.extend(answer.end())
    except HFRouterError:
        return
    assert events, "end() must return at least ProviderInfo and Finish"
    assert isinstance(events[0], ProviderInfo)
    assert isinstance(events[-1], Finish)
    assert sum(isinstance(ev, Finish) for ev in events) == 1


@settings(deadline=None, max_examples=200)
@given(raw=st.binary(max_size=400), data=st.data())
def test_property_random_bytes_give_typed_error_or_events(raw: bytes, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=20), label="cuts")
    check_garbage(raw, cuts)


_FRAGMENTS = [
    b"data: ",
    b"data:",
    b"\n",
    b"\r\n",
    b"\r",
    b": ping",
    b"event: error",
    b"id: 1",
    b"[DONE]",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b'"choices"',
    b'"delta"',
    b'"content"',
    b'"x<think>"',
    b'"</think>"',
    b'"finish_reason"',
    b'"stop"',
    b'"error"',
    b'"message"',
    b"null",
    b"1",
    b"\xd0",
    b"\x9f",
]


@settings(deadline=None, max_examples=200)
@given(
    parts=st.lists(st.sampled_from(_FRAGMENTS), max_size=60),
    data=st.data(),
)
def test_property_sse_like_garbage_gives_typed_error_or_events(
    parts: list[bytes], data: st.DataObject
) -> None:
    raw = b"".join(parts)
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=20), label="cuts")
    check_garbage(raw, cuts)


_KEYS = st.sampled_from(
    [
        "choices",
        "delta",
        "message",
        "content",
        "reasoning_content",
        "tool_calls",
        "function",
        "name",
        "arguments",
        "index",
        "id",
        "finish_reason",
        "usage",
        "prompt_tokens",
        "completion_tokens",
        "error",
    ]
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "x", "<think>", "stop"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(deadline=None, max_examples=200)
@given(chunks=st.lists(st.dictionaries(_KEYS, _JSON, max_size=4), max_size=4))
def test_property_wrongly_shaped_json_chunks_give_typed_error_or_events(
    chunks: list[dict[str, Any]],
) -> None:
    check_garbage(sse([*chunks, "[DONE]"]), [])


# -- the JSON decoder: orjson (hf-router[fast]) and the standard library agree -------------------


@pytest.mark.parametrize("loader", ["orjson", "stdlib"])
def test_both_json_decoders_give_the_same_events(
    loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hf_router.chat import _decoder

    if loader == "orjson":
        orjson = pytest.importorskip("orjson")
        monkeypatch.setattr(_decoder, "json_loads", orjson.loads)
    else:
        monkeypatch.setattr(_decoder, "json_loads", json.JSONDecoder().decode)
    stream = [
        chunk({"role": "assistant", "content": ""}),
        content("naïve "),
        content("日本 \U0001f600", finish="stop"),
        {"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}},
        "[DONE]",
    ]
    events = decode(stream)
    assert text_of(events) == "naïve 日本 \U0001f600"
    assert Usage(3, 2, 5) in events
    with pytest.raises(MalformedResponseError, match="not JSON"):
        ChatStreamDecoder().feed_data('{"choices": [')
