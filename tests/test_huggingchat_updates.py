"""UpdateParser (HuggingChat's newline-delimited message updates → typed events) and the two
message-id readers, with no network."""

from __future__ import annotations

import json
import logging
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_router.errors import ConversationError, ProviderError, RateLimitError
from hf_router.events import (
    Event,
    Finish,
    MediaResult,
    ReasoningDelta,
    Source,
    Sources,
    Status,
    TextDelta,
    Title,
)
from hf_router.huggingchat._updates import (
    UpdateParser,
    message_id_from_api,
    message_id_from_data,
)

CHAT = "http://chat.test/chat"
CID = "65f0c0ffee0123456789abcd"


def lines(*updates: Any, padding: str = "") -> bytes:
    out = "".join((u if isinstance(u, str) else json.dumps(u)) + "\n" for u in updates)
    return (out + padding).encode()


def parse(body: bytes, chunks: list[int] | None = None, **kwargs: Any) -> list[Event]:
    parser = UpdateParser(chat_url=CHAT, conversation_id=CID, model="m/x", **kwargs)
    events: list[Event] = []
    pos = 0
    for size in chunks or []:
        events += parser.feed(body[pos : pos + size])
        pos += size
    events += parser.feed(body[pos:])
    events += parser.close()
    return events


FINAL = {"type": "finalAnswer", "text": "Hello world", "interrupted": False}
STARTED = {"type": "status", "status": "started"}


def test_stream_tokens_strip_nul_padding_and_end_with_finish():
    body = lines(
        STARTED,
        {"type": "stream", "token": "Hello\u0000\u0000"},
        {"type": "stream", "token": "\u0000\u0000\u0000"},
        {"type": "status", "status": "keepAlive"},
        {"type": "stream", "token": " world\u0000"},
        FINAL,
        padding=" " * 2048,
    )
    assert parse(body) == [TextDelta("Hello"), TextDelta(" world"), Finish("stop", model="m/x")]


def test_sources_2023_message_type_shape():
    body = lines(
        {
            "type": "webSearch",
            "messageType": "update",
            "message": "Searching Google",
            "args": ["q"],
        },
        {
            "type": "webSearch",
            "messageType": "sources",
            "message": "sources",
            "sources": [
                {
                    "link": "https://a.example/x",
                    "title": "A",
                    "hostname": "a.example",
                    "text": "aa",
                },
                {"link": "https://b.example/y", "title": "B"},
            ],
        },
        {"type": "stream", "token": "Hi"},
        {"type": "finalAnswer", "text": "Hi"},
    )
    events = parse(body)
    assert events == [
        Status("Web search", "Searching Google q"),
        TextDelta("Hi"),
        Sources(
            (
                Source("https://a.example/x", "A", "a.example", "aa"),
                Source("https://b.example/y", "B", "b.example", ""),
            )
        ),
        Finish("stop", model="m/x"),
    ]


def test_sources_2024_subtype_shape_and_final_web_sources_deduplicated():
    body = lines(
        {"type": "webSearch", "subtype": "update", "message": "Browsing"},
        {
            "type": "webSearch",
            "subtype": "sources",
            "message": "sources",
            "sources": [
                {"link": "https://a.example/x", "title": "A", "hostname": "", "context": "ctx"},
                {"link": "https://a.example/x", "title": "A again"},
                {"title": "no url"},
            ],
        },
        {"type": "webSearch", "subtype": "finished", "message": "done"},
        {"type": "stream", "token": "Hi"},
        {
            "type": "finalAnswer",
            "text": "Hi",
            "webSources": [
                {"uri": "https://a.example/x", "title": "dup"},
                {"uri": "https://c.example/z", "title": "C"},
            ],
        },
    )
    events = parse(body)
    sources = next(e for e in events if isinstance(e, Sources)).sources
    assert sources == (
        Source("https://a.example/x", "A", "a.example", "ctx"),
        Source("https://c.example/z", "C", "c.example", ""),
    )
    assert isinstance(events[-2], Sources) and events[-1] == Finish("stop", model="m/x")


def test_web_search_error_is_a_status_not_fatal():
    body = lines({"type": "webSearch", "subtype": "error", "message": "No results"}, FINAL)
    assert parse(body)[0] == Status("Web search error", "No results")


def test_title_reasoning_and_status_title():
    body = lines(
        {"type": "reasoning", "subtype": "status", "status": "Thinking..."},
        {"type": "reasoning", "subtype": "stream", "token": "Let me\u0000"},
        {"type": "reasoning", "subtype": "stream", "token": " see"},
        {"type": "title", "title": "Greetings\u0000"},
        {"type": "status", "status": "title", "message": "Old title"},
        FINAL,
    )
    events = parse(body)
    assert events[:5] == [
        Status("Reasoning", "Thinking...", 0.0),
        ReasoningDelta("Let me"),
        ReasoningDelta(" see"),
        Title("Greetings"),
        Title("Old title"),
    ]


def test_reasoning_status_elapsed_uses_the_clock():
    ticks = iter([10.0, 12.5])
    events = parse(
        lines({"type": "reasoning", "subtype": "status", "status": "x"}, FINAL),
        clock=lambda: next(ticks),
    )
    assert events[0] == Status("Reasoning", "x", 2.5)


def test_file_becomes_media_result_with_output_url():
    parser = UpdateParser(chat_url=CHAT + "/", conversation_id=CID, prompt="a cat")
    events = parser.feed(
        lines(
            {"type": "file", "name": "cat.png", "sha": "abc123", "mime": "image/png"},
            {"type": "file", "name": "v.mp4", "sha": "def", "mime": "video/mp4"},
            FINAL,
        )
    )
    image, video = events[0], events[1]
    assert isinstance(image, MediaResult)
    assert image.kind == "image" and image.mime_type == "image/png"
    assert image.url == f"{CHAT}/conversation/{CID}/output/abc123"
    assert image.prompt == "a cat" and image.provider == "huggingchat"
    assert isinstance(video, MediaResult) and video.kind == "video"
    assert parser.media == [image, video]


def test_file_without_sha_is_a_conversation_error():
    with pytest.raises(ConversationError):
        parse(lines({"type": "file", "name": "x.png", "mime": "image/png"}, FINAL))


def test_status_error_raises_a_typed_error_with_the_message():
    body = lines(STARTED, {"type": "status", "status": "error", "message": "Model overloaded"})
    with pytest.raises(ProviderError) as info:
        parse(body)
    assert info.value.server_message == "Model overloaded"
    assert info.value.provider == "huggingchat" and info.value.model == "m/x"
    with pytest.raises(RateLimitError):
        parse(lines({"type": "status", "status": "error", "message": "Too many messages"}))


def test_update_without_type_carrying_a_message_is_a_server_error():
    with pytest.raises(ProviderError, match="boom"):
        parse(lines({"message": "boom"}))
    with pytest.raises(ConversationError):
        parse(lines({"foo": 1}))


@pytest.mark.parametrize("bad", ["not json at all", "{broken", "[1, 2]", "42"])
def test_garbage_line_is_logged_and_skipped(bad, caplog):
    # Changed on purpose (issue #14): like the seed, a stray non-JSON line is logged, skipped.
    caplog.set_level(logging.WARNING, logger="hf_router")
    events = parse(lines({"type": "stream", "token": "a"}, bad, FINAL))
    assert events == [TextDelta("a"), Finish("stop", model="m/x")]
    assert len(caplog.records) == 1 and "skipped" in caplog.records[0].getMessage()


def test_garbage_without_final_answer_is_a_conversation_error_with_the_id():
    with pytest.raises(ConversationError) as info:
        parse(lines({"type": "stream", "token": "a"}, "not json"))
    assert info.value.conversation_id == CID
    restored = pickle.loads(pickle.dumps(info.value))
    assert restored.conversation_id == CID and str(restored) == str(info.value)


def test_blank_and_whitespace_lines_and_crlf_are_tolerated():
    body = b"\n   \n\t\r\n" + lines({"type": "stream", "token": "a"}).replace(b"\n", b"\r\n")
    body += b"\n\n" + json.dumps(FINAL).encode() + b"\r\n   \n \t "
    events = parse(body)
    assert events[0] == TextDelta("a") and events[-1] == Finish("stop", model="m/x")


def test_missing_final_answer_is_a_conversation_error_with_the_id():
    with pytest.raises(ConversationError) as info:
        parse(lines(STARTED, {"type": "stream", "token": "partial"}))
    assert info.value.conversation_id == CID
    assert "final answer" in str(info.value)


def test_last_line_without_newline_still_counts():
    events = parse(lines({"type": "stream", "token": "Hi"}) + json.dumps(FINAL).encode())
    assert events[-1] == Finish("stop", model="m/x")


def test_reading_goes_past_final_answer_until_finished():
    # Changed on purpose (issue #17): a title may come after finalAnswer (chat-ui 5.4), so the
    # turn ends at `status: finished` (or the end of the body), not at finalAnswer.
    parser = UpdateParser(chat_url=CHAT, conversation_id=CID)
    events = parser.feed(lines(FINAL, " " * 4096 + json.dumps({"type": "title", "title": "Late"})))
    assert events == [TextDelta("Hello world"), Title("Late")] and not parser.done
    events = parser.feed(lines({"type": "status", "status": "finished"}, "x", {"type": "title"}))
    assert events == [Finish("stop")] and parser.done and parser.title == "Late"
    assert parser.feed(b"more garbage\n") == []
    assert parser.close() == []


def test_final_text_not_streamed_is_delivered_and_text_is_the_final_one():
    parser = UpdateParser(chat_url=CHAT, conversation_id=CID)
    events = parser.feed(lines({"type": "stream", "token": "Hel"}, FINAL)) + parser.close()
    assert events == [TextDelta("Hel"), TextDelta("lo world"), Finish("stop")]
    assert parser.text == "Hello world"
    parser = UpdateParser(chat_url=CHAT, conversation_id=CID)
    events = parser.feed(lines({"type": "stream", "token": "Other"}, FINAL)) + parser.close()
    assert events == [TextDelta("Other"), Finish("stop")]
    assert parser.text == "Hello world"  # the final answer is the answer


def test_interrupted_final_answer():
    events = parse(lines({"type": "finalAnswer", "text": "", "interrupted": True}))
    assert events == [Finish("interrupted", model="m/x")]


def test_unknown_update_types_are_ignored():
    assert parse(lines({"type": "tool", "subtype": "call"}, {"type": "routerMetadata"}, FINAL))[
        -1
    ] == Finish("stop", model="m/x")


def test_utf8_split_inside_a_character():
    body = lines({"type": "stream", "token": "héllo 🌍"}, {"type": "finalAnswer", "text": ""})
    raw = body.replace(b"\\u00e9", "é".encode()).replace(b"\\ud83c\\udf0d", "🌍".encode())
    assert "🌍".encode() in raw
    cut = raw.index("🌍".encode()) + 2
    assert parse(raw, [cut])[0] == TextDelta("héllo 🌍")


def _update_strategy() -> st.SearchStrategy[dict[str, Any]]:
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
    source = st.fixed_dictionaries(
        {"link": st.sampled_from(["https://a.test/1", "https://b.test/2", "https://a.test/3"])},
        optional={"title": text, "hostname": text, "context": text, "text": text},
    )
    return st.one_of(
        st.builds(lambda t: {"type": "stream", "token": t + "\u0000" * 3}, text),
        st.builds(lambda t: {"type": "reasoning", "subtype": "stream", "token": t}, text),
        st.builds(lambda t: {"type": "reasoning", "subtype": "status", "status": t}, text),
        st.builds(lambda t: {"type": "title", "title": t}, text),
        st.builds(lambda t: {"type": "status", "status": "keepAlive", "message": t}, text),
        st.builds(
            lambda k, s: {"type": "webSearch", k: "sources", "message": "", "sources": s},
            st.sampled_from(["messageType", "subtype"]),
            st.lists(source, max_size=3),
        ),
        st.builds(
            lambda sha: {"type": "file", "name": "f.png", "sha": sha, "mime": "image/png"},
            st.text(alphabet="0123456789abcdef", min_size=1, max_size=8),
        ),
    )


@settings(max_examples=150, deadline=None)
@given(
    updates=st.lists(_update_strategy(), max_size=12),
    padding=st.sampled_from(["", "\n", "   \n  ", " " * 40]),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
)
def test_any_chunking_gives_the_same_events(updates, padding, cuts):
    body = b"".join(
        json.dumps(u, ensure_ascii=False).encode() + b"\n" + padding.encode() for u in updates
    )
    body += json.dumps({"type": "finalAnswer", "text": ""}).encode() + b"\n" + b" " * 64
    whole = parse(body)
    positions = sorted({c % (len(body) + 1) for c in cuts})
    sizes = [b - a for a, b in zip([0, *positions], positions, strict=False)]
    assert parse(body, sizes) == whole
    assert parse(body, [1] * len(body)) == whole  # byte by byte
    assert isinstance(whole[-1], Finish)


def test_message_id_from_api_shapes():
    body = {"id": CID, "messages": [{"id": "root", "from": "system"}, {"id": "m2"}]}
    assert message_id_from_api(body) == "m2"
    assert message_id_from_api({"json": body}) == "m2"
    assert message_id_from_api({"messages": []}) is None
    assert message_id_from_api({"message": "not found"}) is None
    assert message_id_from_api(["x"]) is None


def _devalue(ids: list[str]) -> str:
    data: list[Any] = [{"messages": 1, "title": 2}, [], "A title"]
    for message_id in ids:
        data[1].append(len(data))
        data.append({"id": len(data) + 1, "from": len(data) + 2})
        data.extend([message_id, "assistant"])
    nodes = [{"type": "data", "data": [{}]}, {"type": "data", "data": data, "uses": {}}]
    return json.dumps({"type": "data", "nodes": nodes})


def test_message_id_from_sveltekit_data():
    text = '{"type":"chunk","id":1}\n' + _devalue(["root", "u1", "a1"]) + "\n"
    assert message_id_from_data(text) == "a1"
    assert message_id_from_data("not json\n" + _devalue(["only"])) == "only"
    assert message_id_from_data('{"nodes": []}') is None
    assert message_id_from_data("garbage") is None
    assert message_id_from_data(_devalue([])) is None
    bad = json.loads(_devalue(["x"]))
    bad["nodes"][1]["data"][0]["messages"] = -1
    assert message_id_from_data(json.dumps(bad)) is None


# -- inline <think> (chat-ui 2026 folds reasoning into the stream) ------------------------------
THINK_TEXT = "<think>Why is é 🌍 round?</think>\n\nBecause <b> gravity."


def _split_text(events: list[Event]) -> tuple[str, str]:
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    return answer, reasoning


def test_think_split_at_every_position_between_two_tokens():
    final = {"type": "finalAnswer", "text": THINK_TEXT}
    for cut in range(len(THINK_TEXT) + 1):
        tokens = [t for t in (THINK_TEXT[:cut], THINK_TEXT[cut:]) if t]
        body = lines(*({"type": "stream", "token": t.ljust(16, "\u0000")} for t in tokens), final)
        parser = UpdateParser(chat_url=CHAT, conversation_id=CID)
        events = parser.feed(body) + parser.close()
        assert _split_text(events) == ("Because <b> gravity.", "Why is é 🌍 round?"), cut
        assert parser.text == "Because <b> gravity."  # the final answer, <think> stripped


def test_think_body_split_at_every_byte_gives_the_same_events():
    tokens = ["<thi", "nk>Why is é", " 🌍 round?</", "think>\n\nBecause <b>", " gravity."]
    body = lines(
        *({"type": "stream", "token": t.ljust(16, "\u0000")} for t in tokens),
        {"type": "finalAnswer", "text": THINK_TEXT},
    )
    body += b" " * 4096 + lines({"type": "status", "status": "finished"})
    whole = parse(body)
    assert _split_text(whole) == ("Because <b> gravity.", "Why is é 🌍 round?")
    for cut in range(len(body) + 1):
        assert parse(body, [cut]) == whole, cut


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(["<", ">", "/", "t", "h", "i", "n", "k", "a", " ", "é", "\n"]),
        max_size=30,
    ),
    token_cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=8),
    byte_cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=8),
)
def test_any_tokenisation_and_chunking_of_a_think_stream(text, token_cuts, byte_cuts):
    full = f"<think>{text}</think>answer {text}"
    points = sorted({c % (len(full) + 1) for c in token_cuts})
    tokens = [full[a:b] for a, b in zip([0, *points], [*points, len(full)], strict=False)]
    updates = [{"type": "stream", "token": t} for t in tokens if t]
    body = lines(*updates, {"type": "finalAnswer", "text": full})
    whole = parse(body)
    positions = sorted({c % (len(body) + 1) for c in byte_cuts})
    sizes = [b - a for a, b in zip([0, *positions], positions, strict=False)]
    assert parse(body, sizes) == whole
    # the same answer and reasoning as the whole text split at once
    one = parse(lines({"type": "stream", "token": full}, {"type": "finalAnswer", "text": full}))
    assert _split_text(whole) == _split_text(one)
