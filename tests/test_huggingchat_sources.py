"""Sources and images in HuggingChat answers, with no network: MCP tool outputs (``structured``,
``content`` blocks, Exa's ``Title:``/``URL:`` text), markdown links of the final answer, and the
2024 ``webSearch`` updates; plus the parser's 2026 updates (tools, routerMetadata, elicitation,
status codes) and a replay that repeats nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hf_router.errors import (
    AuthenticationError,
    ConversationError,
    InputRequiredError,
    PaymentRequiredError,
    RateLimitError,
)
from hf_router.events import (
    Finish,
    MediaResult,
    ProviderInfo,
    ReasoningDelta,
    Source,
    Sources,
    Status,
    TextDelta,
    ToolActivity,
)
from hf_router.huggingchat._sources import (
    markdown_images,
    markdown_sources,
    tool_output_sources,
)
from hf_router.huggingchat._updates import UpdateParser

CHAT = "http://chat.test/chat"
CID = "65f0c0ffee0123456789abcd"
EXA = (
    "Title: Rust async book\nURL: https://rust-lang.github.io/async-book/\n"
    "Published: 2026-01-02T00:00:00.000Z\nAuthor: N/A\nHighlights:\nAsync in Rust.\nFutures.\n"
    "\n---\n\n"
    "Title: N/A\nURL: https://tokio.rs/\nPublished: N/A\nAuthor: N/A\nText: Tokio runtime."
)


def body(*updates: Any) -> bytes:
    return "".join(json.dumps(u) + "\n" for u in updates).encode()


def run(*updates: Any) -> list[Any]:
    parser = UpdateParser(chat_url=CHAT, conversation_id=CID, model="omni")
    return parser.feed(body(*updates)) + parser.close()


def tool(subtype: str, **fields: Any) -> dict[str, Any]:
    return {"type": "tool", "subtype": subtype, "uuid": "u-1", **fields}


CALL = {"name": "web_search_exa", "parameters": {"query": "rust async"}}
FINAL = {
    "type": "finalAnswer",
    "text": "See [the book](https://rust-lang.github.io/async-book/).",
    "interrupted": False,
}


def test_exa_text_records_become_titled_sources_with_snippets():
    found = tool_output_sources([{"text": EXA, "content": [{"type": "text", "text": EXA}]}])
    unique = list({s.url: s for s in found}.values())
    assert unique == [
        Source(
            "https://rust-lang.github.io/async-book/",
            "Rust async book",
            "rust-lang.github.io",
            "Async in Rust. Futures.",
        ),
        Source("https://tokio.rs/", "", "tokio.rs", "Tokio runtime."),
    ]


def test_structured_results_and_resource_links():
    outputs = [
        {
            "text": "",
            "structured": {
                "results": [
                    {"url": "https://a.test/1", "title": "A", "highlights": ["x", "y"]},
                    {"title": "no url"},
                ]
            },
            "content": [
                {"type": "resource_link", "uri": "https://b.test/2", "name": "B"},
                {"type": "resource", "resource": {"uri": "https://c.test/3", "text": "C text"}},
                {"type": "resource_link", "uri": "file:///etc/passwd", "name": "local"},
                {"type": "image", "data": "AAAA", "mimeType": "image/png"},
            ],
        }
    ]
    assert [(s.url, s.title, s.snippet) for s in tool_output_sources(outputs)] == [
        ("https://a.test/1", "A", "x y"),
        ("https://b.test/2", "B", ""),
        ("https://c.test/3", "", "C text"),
    ]
    assert tool_output_sources("not a list") == [] and tool_output_sources([None, 3]) == []


def test_markdown_links_and_images():
    text = "Read [Docs](https://d.test/a_(b)) and ![chart](https://img.test/c.png) [x](ftp://no)"
    assert [(s.url, s.title) for s in markdown_sources(text)] == [("https://d.test/a_(b)", "Docs")]
    assert markdown_images(text) == ["https://img.test/c.png"]


def test_tool_round_events_sources_and_the_final_answer():
    result = {
        "status": "success",
        "call": CALL,
        "outputs": [{"text": EXA, "content": [{"type": "text", "text": EXA}]}],
        "display": True,
    }
    events = run(
        {"type": "routerMetadata", "route": "agentic", "model": "moonshotai/Kimi-K2.6"},
        {"type": "routerMetadata", "route": "", "model": "", "provider": "together"},
        {"type": "routerMetadata", "route": "", "model": "", "provider": "together"},
        {"type": "stream", "token": "Let me check.\u0000\u0000\u0000"},
        tool("call", call=CALL),
        tool("eta", eta=10),
        tool("progress", progress=1, total=2, message="Searching"),
        tool("result", result=result),
        {"type": "stream", "token": FINAL["text"]},
        FINAL,
        {"type": "status", "status": "finished"},
    )
    assert events[0] == ProviderInfo("moonshotai/Kimi-K2.6", None, None, 1)
    assert events[1] == ProviderInfo("moonshotai/Kimi-K2.6", "together", None, 1)
    assert ProviderInfo("omni", "together", None, 1) not in events  # no repeat
    activity = [e for e in events if isinstance(e, ToolActivity)]
    assert activity[0] == ToolActivity("web_search_exa", "call", {"query": "rust async"}, "u-1")
    assert [a.phase for a in activity] == ["call", "progress", "result"]
    assert activity[1].text == "web_search_exa: Searching (1/2)"
    assert activity[2].text.startswith("Title: Rust async book")
    [sources] = [e for e in events if isinstance(e, Sources)]
    assert [s.url for s in sources.sources] == [
        "https://rust-lang.github.io/async-book/",
        "https://tokio.rs/",
    ]
    assert sources.sources[0].title == "Rust async book"  # the tool's title, not the link text
    assert events[-1] == Finish("stop", model="omni")


def test_tool_error_and_error_results_are_statuses_not_failures():
    events = run(
        tool("call", call=CALL),
        tool("error", message="Aborted by user"),
        {"type": "finalAnswer", "text": "ok"},
    )
    assert Status("Web search error", "web_search_exa: Aborted by user") in [
        Status(e.label, e.text) for e in events if isinstance(e, Status)
    ]
    assert ToolActivity("web_search_exa", "error", {}, "u-1", "Aborted by user") in events


def test_markdown_image_in_a_tool_output_and_the_answer_is_one_media_result():
    url = "https://hf.space/out/cat.png"
    result = {
        "status": "success",
        "call": {"name": "flux", "parameters": {}},
        "outputs": [{"text": f"![cat]({url})"}],
    }
    events = run(
        tool("call", call={"name": "flux", "parameters": {"prompt": "cat"}}),
        tool("result", result=result),
        {"type": "finalAnswer", "text": f"Here: ![cat]({url})"},
    )
    [image] = [e for e in events if isinstance(e, MediaResult)]
    assert image.url == url and image.kind == "image" and image.provider == "huggingchat"
    assert not [e for e in events if isinstance(e, Sources)]  # an image is not a source


@pytest.mark.parametrize(
    ("code", "error"),
    [(402, PaymentRequiredError), (401, AuthenticationError), (429, RateLimitError)],
)
def test_status_codes(code, error):
    with pytest.raises(error) as info:
        run({"type": "status", "status": "error", "message": "nope", "statusCode": code})
    assert info.value.status_code == code and info.value.server_message == "nope"


def test_elicitation_without_an_answer_is_input_required():
    request = {
        "elicitationId": "e-1",
        "server": "Hugging Face",
        "mode": "url",
        "message": "Log in to continue",
        "url": "https://hf.co/login",
        "fields": [],
    }
    with pytest.raises(InputRequiredError) as info:
        run(
            {"type": "elicitation", "subtype": "request", "request": request},
            {"type": "status", "status": "finished"},
        )
    error = info.value
    assert (error.question, error.url, error.server) == (
        "Log in to continue",
        "https://hf.co/login",
        "Hugging Face",
    )
    assert error.conversation_id == CID and "https://hf.co/login" in str(error)
    # resolved, then answered: no error
    events = run(
        {"type": "elicitation", "subtype": "request", "request": request},
        {"type": "elicitation", "subtype": "resolved", "elicitationId": "e-1", "action": "accept"},
        {"type": "finalAnswer", "text": "done"},
    )
    assert events[-1] == Finish("stop", model="omni")
    # a request, then the body ends without an answer: still the pause, not a cut stream
    with pytest.raises(InputRequiredError):
        run({"type": "elicitation", "subtype": "request", "request": request})
    with pytest.raises(ConversationError):
        run({"type": "stream", "token": "cut"})


def test_a_replay_after_a_break_repeats_nothing():
    result = {"status": "success", "call": CALL, "outputs": [{"text": EXA}]}
    live = [
        {"type": "status", "status": "started"},
        {"type": "stream", "token": "<think>hm"},
        {"type": "stream", "token": "m</think>Let "},
        {"type": "stream", "token": "me check."},
        tool("call", call=CALL),
        tool("result", result=result),
        {"type": "stream", "token": "The "},
        {"type": "stream", "token": "answer."},
        {"type": "finalAnswer", "text": "The answer."},
        {"type": "title", "title": "T"},
        {"type": "status", "status": "finished"},
    ]
    whole_parser = UpdateParser(chat_url=CHAT, conversation_id=CID)
    whole = whole_parser.feed(body(*live)) + whole_parser.close()
    for cut in range(1, 8):
        parser = UpdateParser(chat_url=CHAT, conversation_id=CID)
        events = parser.feed(body(*live[:cut]))
        parser.rewind()
        coalesced = [
            live[0],
            {"type": "stream", "token": "<think>hmm</think>Let me check."},
            *live[4:6],
        ]
        coalesced += [{"type": "stream", "token": "The answer."}, *live[8:]]
        for update in coalesced:
            events += parser.apply(update)
        events += parser.close()
        assert (
            "".join(e.text for e in events if isinstance(e, TextDelta))
            == "Let me check.The answer."
        )
        assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "hmm"
        deltas = (TextDelta, ReasoningDelta)
        assert [e for e in events if not isinstance(e, deltas)] == [
            e for e in whole if not isinstance(e, deltas)
        ]
        assert parser.text == "The answer."
