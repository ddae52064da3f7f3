"""HuggingChatClient, Conversation and the HuggingChat facade end to end against the emulator's
HuggingChat routes (docs/huggingchat-protocol.md), sync and async."""

from __future__ import annotations

import logging
import pickle
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hf_router import Conversation, HuggingChat, HuggingChatClient, SearchResult
from hf_router.errors import (
    BadRequestError,
    ConversationError,
    HFRouterError,
    InvalidInputError,
    MissingAuthError,
    ProviderError,
    RateLimitError,
)
from hf_router.events import (
    Finish,
    MediaResult,
    ReasoningDelta,
    Source,
    Sources,
    Status,
    TextDelta,
    Title,
)
from hf_router.testing import RouterEmulator

COOKIE = "hfchat-SuperSecretCookie-0123456789abcdef"
MODEL = "meta-llama/Llama-3.3-70B-Instruct"
REASONER = "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"
SERVER_MODELS = ["Qwen/Qwen2.5-72B-Instruct", MODEL]  # the 2024 emulator's first models
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 16


@pytest.fixture
def emulator(router_emulator: RouterEmulator) -> RouterEmulator:
    """The session emulator, reset, speaking chat-ui's 2024 generation (what these tests
    describe; the current generation is tested in test_huggingchat_current.py)."""
    router_emulator.reset()
    router_emulator.configure_huggingchat("2024")
    return router_emulator


def search_answer(query: str) -> str:
    """The emulator's web-search answer: it cites its three sources with markdown links."""
    slug = "-".join(query.lower().split())
    links = ", ".join(f"[{i}](https://source{i}.example.com/{slug})" for i in (1, 2, 3))
    return f"According to 3 sources: {query} ({links})"


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def text_of(items: list[Any]) -> str:
    return "".join(i.text for i in items if isinstance(i, TextDelta))


def chat_requests(emulator: RouterEmulator, method: str | None = None) -> list[Any]:
    return [
        r
        for r in emulator.requests
        if r.path.startswith("/chat") and (method is None or r.method == method)
    ]


def asks(emulator: RouterEmulator) -> list[Any]:
    return [r for r in chat_requests(emulator, "POST") if r.path.startswith("/chat/conversation/")]


@pytest.fixture
def chat_url(emulator: RouterEmulator) -> str:
    return emulator.env()["HF_CHAT_BASE_URL"]


@pytest.fixture
def client(chat_url: str) -> Iterator[HuggingChatClient]:
    with HuggingChatClient(cookies={"hf-chat": COOKIE}, base_url=chat_url) as chat:
        yield chat


@pytest.fixture
async def aclient(chat_url: str) -> AsyncIterator[HuggingChatClient]:
    async with HuggingChatClient(cookies={"hf-chat": COOKIE}, base_url=chat_url) as chat:
        yield chat


class Blocking(httpx.BaseTransport):
    """A real transport to the emulator that answers some paths itself (to break one form)."""

    def __init__(self, answers: dict[str, httpx.Response]) -> None:
        self.inner = httpx.HTTPTransport()
        self.answers = answers

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for marker, response in self.answers.items():
            if marker in request.url.path:
                return httpx.Response(response.status_code, content=response.content)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def blocked_client(chat_url: str, answers: dict[str, httpx.Response]) -> HuggingChatClient:
    return HuggingChatClient(
        cookies={"hf-chat": COOKIE},
        base_url=chat_url,
        http_client=httpx.Client(transport=Blocking(answers)),
    )


# -- conversations and message ids -------------------------------------------------------------
def test_create_conversation_and_message_id_from_the_json_api(client, emulator):
    conv = client.create_conversation(MODEL)
    [stored] = emulator.conversations
    assert conv.conversation_id == stored["id"] and conv.model == MODEL
    assert conv.message_id == stored["messages"][0]["id"] and conv.turns == 0
    create, api = chat_requests(emulator)
    assert (create.method, create.path, create.json) == (
        "POST",
        "/chat/conversation",
        {"model": MODEL},
    )
    assert api.path == f"/chat/api/conversation/{conv.conversation_id}"
    assert create.headers["cookie"] == "hf-chat=***"  # sent, and masked in the log
    assert client.fetch_message_id(conv.conversation_id) == conv.message_id


@pytest.mark.parametrize(
    "broken",
    [
        httpx.Response(404, json={"message": "Not found"}),
        httpx.Response(200, text="<!doctype html><title>Chat</title>"),
        httpx.Response(200, json={"messages": []}),
    ],
)
def test_message_id_falls_back_to_sveltekit_data(chat_url, emulator, broken):
    with blocked_client(chat_url, {"/api/conversation/": broken}) as chat:
        conv = chat.create_conversation(MODEL)
        assert conv.message_id == emulator.conversations[0]["messages"][0]["id"]
        [fallback] = [r for r in chat_requests(emulator) if r.path.endswith("__data.json")]
        assert fallback.query == "x-sveltekit-invalidated=11"
        # ...and it keeps working for later turns
        items = list(chat.ask(MODEL, user("one"), conversation=conv))
        items = list(chat.ask(MODEL, user("two"), conversation=conv))
        assert text_of(items) == "two"


def test_unreadable_message_id_is_a_conversation_error_with_the_id(chat_url, emulator):
    garbage = httpx.Response(200, text="not json\n")
    answers = {"/api/conversation/": garbage, "__data.json": garbage}
    normal = HuggingChatClient(cookies={"hf-chat": COOKIE}, base_url=chat_url)
    with normal, blocked_client(chat_url, answers) as chat:
        real = normal.create_conversation(MODEL)
        with pytest.raises(ConversationError) as info:
            chat.fetch_message_id(real.conversation_id)
    assert info.value.conversation_id == real.conversation_id
    assert real.conversation_id in str(info.value)


def test_unknown_conversation_is_a_conversation_error(client):
    with pytest.raises(ConversationError) as info:
        client.fetch_message_id("0123456789abcdef01234567")
    assert info.value.conversation_id == "0123456789abcdef01234567"


# -- turns ----------------------------------------------------------------------------------------
def test_three_turns_send_history_then_last_message_with_the_right_parent(client, emulator):
    history = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello there"},
    ]
    items = list(client.ask(MODEL, history))
    conv = items[0]
    assert isinstance(conv, Conversation) and conv.turns == 1
    assert text_of(items) == "Hello there"
    assert items[-1] == Finish("stop", model=MODEL)
    history += [{"role": "assistant", "content": "Hello there"}, *user("Second question")]
    second = list(client.ask(MODEL, history, conversation=conv))
    assert second[0] is conv and text_of(second) == "Second question"
    history += [{"role": "assistant", "content": "Second question"}, *user("Third one")]
    third = list(client.ask(None, history, conversation=conv))
    assert text_of(third) == "Third one" and conv.turns == 3

    [stored] = emulator.conversations
    ids = [m["id"] for m in stored["messages"]]
    assert [m["from"] for m in stored["messages"]] == ["system", *["user", "assistant"] * 3]
    first, later, last = (r.json for r in asks(emulator))
    generation = first.pop("generationId")  # a fresh uuid per message (chat-ui db3ee93b5)
    assert str(uuid.UUID(generation)) == generation != later["generationId"]
    assert first == {
        "inputs": "System: Be brief.\nUser: Hello there\nAssistant:",
        "id": ids[0],
        "is_retry": False,
        "is_continue": False,
        "selectedMcpServerNames": [],  # no web search: no MCP server (2026 servers)
        "web_search": False,  # what 2024 servers read
        "tools": [],
    }
    assert (later["inputs"], later["id"]) == ("Second question", ids[2])
    assert (last["inputs"], last["id"]) == ("Third one", ids[4])
    assert conv.message_id == ids[4]


def test_single_message_first_turn_is_sent_as_is(client, emulator):
    list(client.ask(MODEL, user("Just this")))
    assert asks(emulator)[0].json["inputs"] == "Just this"


def test_title_comes_once_and_is_kept(client):
    items = list(client.ask(MODEL, user("What is the capital of France today")))
    titles = [i for i in items if isinstance(i, Title)]
    assert titles == [Title("What is the capital of")]
    conv = items[0]
    assert conv.title == "What is the capital of"
    again = list(client.ask(MODEL, user("And Spain?"), conversation=conv))
    assert not [i for i in again if isinstance(i, Title)] and conv.title == titles[0].text


def test_reasoning_model_streams_reasoning_and_statuses(client):
    items = list(client.ask(REASONER, user("Why is the sky blue")))
    reasoning = "".join(i.text for i in items if isinstance(i, ReasoningDelta))
    assert reasoning == "Thinking about: Why is the sky blue"
    statuses = [i for i in items if isinstance(i, Status) and i.label == "Reasoning"]
    assert [s.text for s in statuses] == ["Thinking...", "Done thinking."]
    assert all(s.elapsed_s >= 0 for s in statuses)
    assert text_of(items) == "Why is the sky blue"
    first_text = next(i for i, e in enumerate(items) if isinstance(e, TextDelta))
    assert all(not isinstance(e, ReasoningDelta) for e in items[first_text:])


def test_generated_file_is_a_media_result_with_the_output_url(client, chat_url, emulator):
    items = list(client.ask(MODEL, user("Draw a red cat")))
    [media] = [i for i in items if isinstance(i, MediaResult)]
    conv = items[0]
    [sha] = emulator.conversations[0]["files"]
    assert media.url == f"{chat_url}/conversation/{conv.conversation_id}/output/{sha}"
    assert (media.kind, media.mime_type, media.provider) == ("image", "image/png", "huggingchat")
    assert media.prompt == "Draw a red cat"
    image = httpx.get(media.url, cookies={"hf-chat": COOKIE})
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_media_are_uploaded_as_base64_file_parts(client, emulator, tmp_path: Path):
    photo = tmp_path / "holiday photo.png"
    photo.write_bytes(PNG)
    media = [PNG, (GIF, "../anim;1.gif"), photo, "data:image/png;base64,iVBORw0KGgo="]
    items = list(client.ask(MODEL, user("Describe these"), media=media))
    assert text_of(items) == "Describe these"
    [ask] = asks(emulator)
    assert ask.files == [
        "base64;file0.png",
        "base64;anim_1.gif",
        "base64;holiday photo.png",
        "base64;file3.png",
    ]
    assert ask.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert emulator.conversations[0]["messages"][1]["files"] == ask.files


def test_bad_media_is_refused_before_sending(client, emulator):
    for bad in (["https://example.com/x.png"], [b""], ["/no/such/file.png"], [object()]):
        with pytest.raises(InvalidInputError):
            list(client.ask(MODEL, user("x"), media=bad))
    assert chat_requests(emulator) == []


# -- web search -----------------------------------------------------------------------------------
def _expected_sources(query: str) -> tuple[Source, ...]:
    slug = "-".join(query.lower().split())
    return tuple(
        Source(
            url=f"https://source{i}.example.com/{slug}",
            title=f"Source {i}: {query}",
            hostname=f"source{i}.example.com",
            snippet=f"Snippet {i} about {query}.",
        )
        for i in (1, 2, 3)
    )


@pytest.mark.parametrize("form", ["2023", "2024"])
def test_web_search_sources_in_both_shapes(client, emulator, form):
    model = f"acme/search-{form}"
    emulator.add_chat_model(model, web_search_form=form)
    items = list(client.ask(model, user("python news"), web_search=True))
    assert asks(emulator)[0].json["web_search"] is True
    [sources] = [i for i in items if isinstance(i, Sources)]
    assert sources.sources == _expected_sources("python news")  # deduplicated with webSources
    assert items[-2] is sources and isinstance(items[-1], Finish)
    assert Status("Web search", "Searching the web python news") in items
    assert text_of(items) == search_answer("python news")


@pytest.mark.parametrize("form", ["sources_2023", "sources_2024"])
def test_search_result_with_scenario_forms(client, emulator, form):
    emulator.set_fault(form)
    result = client.search("rust release")
    assert isinstance(result, SearchResult)
    assert result.answer == search_answer("rust release")
    assert tuple(result.sources) == _expected_sources("rust release")
    assert result.title == "rust release" and result.conversation.turns == 1
    follow = client.search("and go", conversation=result.conversation)
    assert follow.conversation is result.conversation and follow.title == "rust release"


# -- errors ---------------------------------------------------------------------------------------
def test_missing_cookie_explains_the_browser_steps(chat_url, emulator, monkeypatch):
    monkeypatch.delenv("HF_CHAT_COOKIE", raising=False)
    chat = HuggingChatClient(base_url=chat_url)  # construction works
    assert "missing" in repr(chat)
    with pytest.raises(MissingAuthError) as info:
        list(chat.ask(MODEL, user("hi")))
    text = str(info.value)
    assert "hf-chat" in text and "browser" in text and "HF_CHAT_COOKIE" in text
    assert chat_requests(emulator) == []  # nothing was sent


def test_cookie_from_env_bare_or_header(chat_url, emulator, monkeypatch):
    for value in (COOKIE, f"other=1; hf-chat={COOKIE}", f"Cookie: hf-chat={COOKIE}"):
        monkeypatch.setenv("HF_CHAT_COOKIE", value)
        with HuggingChatClient(base_url=chat_url) as chat:
            assert chat.create_conversation(MODEL).conversation_id
    with HuggingChatClient(cookie_header=f"hf-chat={COOKIE}", base_url=chat_url) as chat:
        assert chat.create_conversation(MODEL).message_id


def test_rejected_cookie_is_missing_auth(client, emulator):
    emulator.set_fault("chat_401")
    with pytest.raises(MissingAuthError) as info:
        client.create_conversation(MODEL)
    assert info.value.status_code == 401 and "browser" in str(info.value)


def test_unknown_model_is_a_bad_request_naming_the_model(client):
    with pytest.raises(BadRequestError) as info:
        client.create_conversation("acme/no-such-model")
    assert "acme/no-such-model" in str(info.value) and info.value.status_code == 400
    assert info.value.server_message == "Model not found"


def test_stream_without_final_answer_is_a_conversation_error(client, emulator):
    conv = client.create_conversation(MODEL)
    emulator.set_fault("no_final_answer")
    received: list[Any] = []
    with pytest.raises(ConversationError) as info:
        for item in client.ask(MODEL, user("one two three four"), conversation=conv):
            received.append(item)
    assert info.value.conversation_id == conv.conversation_id
    assert text_of(received) == "one two" and conv.turns == 0


def test_garbage_lines_are_logged_and_skipped(client, emulator, caplog):
    # Changed on purpose (issue #14): the seed logs a stray non-JSON line and goes on.
    emulator.set_fault("garbage_lines")
    caplog.set_level(logging.WARNING, logger="hf_router")
    items = list(client.ask(MODEL, user("hello world")))
    assert text_of(items) == "hello world" and items[-1] == Finish("stop", model=MODEL)
    assert any("not JSON (skipped)" in r.getMessage() for r in caplog.records)
    emulator.set_fault("garbage_lines,no_final_answer")
    with pytest.raises(ConversationError, match="without a final answer"):
        list(client.ask(MODEL, user("hello again")))


def test_status_error_is_a_provider_error_with_the_message(client, emulator):
    emulator.set_fault("status_error")
    with pytest.raises(ProviderError) as info:
        list(client.ask(MODEL, user("hello")))
    assert "emulated" in (info.value.server_message or "")


def test_ask_status_faults_are_typed(client, emulator):
    conv = client.create_conversation(MODEL)
    emulator.set_fault("429", times=1)
    with pytest.raises(RateLimitError):
        list(client.ask(MODEL, user("x"), conversation=conv))
    emulator.set_fault("500", times=1)
    with pytest.raises(ProviderError):
        list(client.ask(MODEL, user("x"), conversation=conv))
    assert text_of(list(client.ask(MODEL, user("fine"), conversation=conv))) == "fine"


def test_conversation_of_another_model_is_refused(client, emulator):
    conv = client.create_conversation(MODEL)
    with pytest.raises(InvalidInputError, match="conversation is with"):
        list(client.ask(REASONER, user("x"), conversation=conv))


# -- persistence ---------------------------------------------------------------------------------
def test_conversation_json_round_trip_continues_with_a_new_client(chat_url, emulator):
    with HuggingChatClient(cookies={"hf-chat": COOKIE}, base_url=chat_url) as first:
        first_turn = list(first.ask(MODEL, user("Remember the number 7")))
        conv = first_turn[0]
        list(first.ask(MODEL, user("ignored"), conversation=conv))  # a second turn
    saved = conv.to_json()
    restored = Conversation.from_json(saved)
    assert restored == conv and COOKIE not in saved
    with HuggingChatClient(cookies={"hf-chat": COOKIE}, base_url=chat_url) as second:
        items = list(second.ask(None, user("What number?"), conversation=restored))
    assert text_of(items) == "What number?" and restored.turns == 3
    ids = [m["id"] for m in emulator.conversations[0]["messages"]]
    assert asks(emulator)[-1].json["id"] == ids[-3]
    with pytest.raises(InvalidInputError):
        Conversation.from_json("{}")
    with pytest.raises(InvalidInputError):
        Conversation.from_json('{"model": "m", "conversation_id": "../../etc"}')


# -- async ---------------------------------------------------------------------------------------
async def test_async_turns_search_and_errors(aclient, emulator):
    conv = await aclient.acreate_conversation(MODEL)
    assert await aclient.afetch_message_id(conv.conversation_id) == conv.message_id
    items = [i async for i in aclient.aask(MODEL, user("first async"), conversation=conv)]
    assert items[0] is conv and text_of(items) == "first async"
    result = await aclient.asearch("async search", conversation=conv)
    assert result.answer == search_answer("async search")
    assert len(result.sources) == 3 and conv.turns == 2
    assert asks(emulator)[-1].json["id"] == emulator.conversations[0]["messages"][-3]["id"]
    emulator.set_fault("no_final_answer")
    with pytest.raises(ConversationError):
        [i async for i in aclient.aask(MODEL, user("a b c"), conversation=conv)]
    with pytest.raises(BadRequestError, match="acme/unknown"):
        await aclient.acreate_conversation("acme/unknown")


async def test_async_new_conversation_and_media(aclient, emulator):
    items = [i async for i in aclient.aask(REASONER, user("paint a tree"), media=[PNG])]
    assert isinstance(items[0], Conversation) and items[0].model == REASONER
    assert any(isinstance(i, MediaResult) for i in items)
    assert any(isinstance(i, ReasoningDelta) for i in items)
    assert asks(emulator)[0].files == ["base64;file0.png"]


# -- facade --------------------------------------------------------------------------------------
@pytest.fixture
def chat_env(emulator, monkeypatch):
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HF_CHAT_COOKIE", COOKIE)
    HuggingChat._clients.clear()
    monkeypatch.setattr(HuggingChat, "models", [])
    yield emulator
    HuggingChat._clients.clear()


async def test_facade_yields_seed_items_and_continues(chat_env):
    assert HuggingChat.needs_auth and HuggingChat.working and HuggingChat.label == "HuggingChat"
    # the list comes from the server (GET /api/models), its default model first
    assert HuggingChat.get_models()[: len(SERVER_MODELS)] == SERVER_MODELS
    assert HuggingChat.get_model("llama-3.3-70b") == MODEL
    items = [
        item
        async for item in HuggingChat.create_async_generator(
            "llama-3.3-70b", user("facade search"), web_search=True, return_conversation=True
        )
    ]
    conv = items[0]
    assert isinstance(conv, Conversation) and conv.model == MODEL
    assert "".join(i for i in items if isinstance(i, str)) == search_answer("facade search")
    assert any(isinstance(i, Sources) for i in items) and any(isinstance(i, Title) for i in items)
    assert isinstance(items[-1], Finish)
    again = [
        item
        async for item in HuggingChat.create_async_generator(
            MODEL, user("more"), conversation=conv.to_json(), api_key=COOKIE
        )
    ]
    assert again == ["more", Finish("stop", model=MODEL)]  # no Conversation unless asked
    assert asks(chat_env)[-1].json["inputs"] == "more"
    assert (
        HuggingChat.fetch_message_id(conv.conversation_id)
        == chat_env.conversations[0]["messages"][-1]["id"]
    )


async def test_facade_other_model_starts_a_new_conversation_and_image_tool(chat_env):
    first = [
        i
        async for i in HuggingChat.create_async_generator(
            REASONER, user("hi"), return_conversation=True
        )
    ]
    first_id = first[0].conversation_id
    other = [
        i
        async for i in HuggingChat.create_async_generator(
            "flux", user("draw a boat"), conversation=first[0], return_conversation=True
        )
    ]
    # one Conversation holds several models, as the seed's models dict (issue #14)
    assert other[0] is first[0] and other[0].model == SERVER_MODELS[0]
    assert other[0].conversation_id != first_id
    assert other[0].models[REASONER]["conversationId"] == first_id
    assert any(isinstance(i, MediaResult) for i in other)
    assert asks(chat_env)[-1].json["tools"] == ["000000000000000000000001"]
    assert isinstance(HuggingChat.create_conversation(MODEL), str)


async def test_facade_without_cookie_raises_missing_auth(chat_env, monkeypatch):
    monkeypatch.delenv("HF_CHAT_COOKIE")
    with pytest.raises(MissingAuthError):
        [i async for i in HuggingChat.create_async_generator(MODEL, user("hi"))]
    # a Hub token is not a cookie
    with pytest.raises(MissingAuthError):
        [i async for i in HuggingChat.create_async_generator(MODEL, user("hi"), api_key="hf_x")]


# -- secrets --------------------------------------------------------------------------------------
def assert_clean(text: str) -> None:
    assert COOKIE not in text
    assert COOKIE[7:] not in text


def test_cookie_never_leaks(client, chat_url, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[HFRouterError] = []
    conv = client.create_conversation(MODEL)
    items = list(client.ask(MODEL, user("hello"), conversation=conv))
    result = client.search("leak check")
    for fault in ("chat_401", "no_final_answer", "garbage_lines", "status_error", "429", "500"):
        emulator.reset()
        emulator.set_fault(fault)
        try:
            list(client.ask(MODEL, user("hello")))
        except HFRouterError as exc:
            errors.append(exc)
    emulator.reset()
    try:
        client.create_conversation("acme/unknown")
    except HFRouterError as exc:
        errors.append(exc)
    assert len(errors) == 7
    for exc in errors:
        for text in (str(exc), repr(exc), repr(vars(exc))):
            assert_clean(text)
        assert_clean(str(pickle.loads(pickle.dumps(exc))))
    for obj in (client, client.http, conv, result, items):
        assert_clean(repr(obj))
    assert_clean(repr(vars(client)))
    assert_clean(conv.to_json())
    with pytest.raises(TypeError):
        pickle.dumps(client)
    assert_clean(caplog.text)
    assert "HuggingChat" in caplog.text  # the debug log did record the traffic
    for request in emulator.requests:
        assert_clean(repr(request))


def test_a_server_echoing_the_cookie_is_redacted():
    def echo(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/conversation"):
            return httpx.Response(200, json={"conversationId": "abc123"})
        if "/api/conversation/" in request.url.path:
            return httpx.Response(200, json={"messages": [{"id": "root"}]})
        cookie = request.headers["cookie"]
        return httpx.Response(
            200, text=f'{{"type":"status","status":"error","message":"bad {cookie}"}}\n'
        )

    chat = HuggingChatClient(
        cookies={"hf-chat": COOKIE},
        base_url="http://chat.invalid/chat",
        http_client=httpx.Client(transport=httpx.MockTransport(echo)),
    )
    with pytest.raises(ProviderError) as info:
        list(chat.ask(MODEL, user("x")))
    assert_clean(str(info.value))
    assert "***" in str(info.value)

    def echo_garbage(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("abc123"):
            return httpx.Response(200, text=f"oops {request.headers['cookie']}\n")
        return echo(request)

    chat.http._client = httpx.Client(transport=httpx.MockTransport(echo_garbage))
    with pytest.raises(ConversationError) as garbage:
        list(chat.ask(MODEL, user("x")))
    assert_clean(str(garbage.value))
