"""HuggingChatClient and the HuggingChat facade against the emulator's current chat-ui
generation ("2026"): both cookies, the conversation set-up, MCP web search, tool events,
routerMetadata, inline <think>, elicitation, error status codes, the replay of a cut stream and
the server's model list; plus the same sources from both generations."""

from __future__ import annotations

import base64
import logging
import pickle
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hf_router import Conversation, HuggingChat, HuggingChatClient, ToolActivity
from hf_router.errors import (
    AuthenticationError,
    ConversationError,
    InputRequiredError,
    MissingAuthError,
    PaymentRequiredError,
)
from hf_router.events import (
    Finish,
    MediaResult,
    ProviderInfo,
    ReasoningDelta,
    Sources,
    Status,
    TextDelta,
    Title,
)
from hf_router.huggingchat._updates import UpdateParser
from hf_router.testing import RouterEmulator

HF_CHAT = "hfchat-CurrentSecret-0123456789"
TOKEN = "hf_login_CurrentToken_0123456789"
COOKIE = f"hf-chat={HF_CHAT}; token={TOKEN}"
MODEL = "meta-llama/Llama-3.3-70B-Instruct"
REASONER = "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def text_of(items: list[Any]) -> str:
    return "".join(i.text for i in items if isinstance(i, TextDelta))


def search_answer(query: str) -> str:
    slug = "-".join(query.lower().split())
    links = ", ".join(f"[{i}](https://source{i}.example.com/{slug})" for i in (1, 2, 3))
    return f"According to 3 sources: {query} ({links})"


def chat_requests(emulator: RouterEmulator, method: str, marker: str = "") -> list[Any]:
    return [
        r
        for r in emulator.requests
        if r.method == method and r.path.startswith("/chat") and marker in r.path
    ]


def asks(emulator: RouterEmulator) -> list[Any]:
    return [
        r for r in chat_requests(emulator, "POST", "/chat/conversation/") if r.path.count("/") == 3
    ]


@pytest.fixture
def chat_url(emulator: RouterEmulator) -> str:
    return emulator.url + "/chat"


@pytest.fixture
def client(chat_url: str) -> Iterator[HuggingChatClient]:
    with HuggingChatClient(cookie_header=COOKIE, base_url=chat_url) as chat:
        yield chat


class Blocking(httpx.BaseTransport):
    """A real transport to the emulator that answers some paths itself."""

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


# -- auth --------------------------------------------------------------------------------------


def test_both_cookies_are_sent_with_an_origin(client, emulator):
    list(client.ask(MODEL, user("hello")))
    sent = {r.headers.get("cookie") for r in emulator.requests}
    assert sent == {"hf-chat=***; token=***"}
    [ask] = asks(emulator)
    assert ask.headers["origin"] == emulator.url
    assert "HuggingChatClient" in repr(client) and "token=set" in repr(client)
    assert HF_CHAT not in repr(client) and TOKEN not in repr(client)


def test_a_session_without_the_token_cookie_names_it(chat_url, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    with (
        HuggingChatClient(cookies={"hf-chat": HF_CHAT}, base_url=chat_url) as chat,
        pytest.raises(MissingAuthError) as info,
    ):
        chat.search("anything")
    error = info.value
    assert error.status_code == 401 and "'token' cookie is missing" in str(error)
    assert "hf-chat=...; token=..." in str(error)
    assert error.server_message == "You have to be logged in."
    assert not asks(emulator)
    assert HF_CHAT not in caplog.text


def test_cookies_from_the_environment_as_a_full_cookie_string(chat_url, emulator, monkeypatch):
    monkeypatch.setenv("HF_CHAT_COOKIE", COOKIE)
    with HuggingChatClient(base_url=chat_url) as chat:
        assert chat.search("env cookies").answer == search_answer("env cookies")


# -- conversation set-up -----------------------------------------------------------------------


def test_root_message_id_comes_from_the_create_answer(client, emulator):
    conv = client.create_conversation(MODEL)
    [stored] = emulator.conversations
    assert conv.message_id == stored["messages"][0]["id"]
    assert not chat_requests(emulator, "GET", "/conversation/")  # no lookup needed
    items = list(client.ask(None, user("first"), conversation=conv))
    assert text_of(items) == "first" and conv.turns == 1
    assert not chat_requests(emulator, "GET", "/api/conversation/")
    list(client.ask(None, user("second"), conversation=conv))
    [lookup] = chat_requests(emulator, "GET", "/api/conversation/")
    assert asks(emulator)[-1].json["id"] == emulator.conversations[0]["messages"][2]["id"]
    assert lookup.path == f"/chat/api/conversation/{conv.conversation_id}"


def test_message_id_falls_back_to_v2_then_fails_on_data_json(chat_url, emulator):
    blocked = {"/api/conversation/": httpx.Response(500, content=b"{}")}
    transport = Blocking(blocked)
    with HuggingChatClient(
        cookie_header=COOKIE, base_url=chat_url, http_client=httpx.Client(transport=transport)
    ) as chat:
        conv = chat.create_conversation(MODEL)
        assert chat.fetch_message_id(conv.conversation_id) == conv.message_id  # from /api/v2
        blocked["/api/v2/"] = httpx.Response(404, content=b"{}")
        with pytest.raises(ConversationError) as info:  # 2026 __data.json carries no data
            chat.fetch_message_id(conv.conversation_id)
    assert info.value.conversation_id == conv.conversation_id
    paths = [r.path for r in chat_requests(emulator, "GET")]
    assert paths[-1].endswith("/__data.json")


def test_the_default_model_is_the_servers_first(client, emulator):
    assert client.list_models()[0] == "omni"
    assert client.get_default_model() == "omni"
    conv = client.create_conversation()
    assert conv.model == "omni"
    emulator.configure_huggingchat("2024")
    with HuggingChatClient(cookie_header=COOKIE, base_url=client.base_url) as old:
        assert old.create_conversation().model == "Qwen/Qwen2.5-72B-Instruct"
    fixed = HuggingChatClient(cookie_header=COOKIE, base_url=client.base_url, default_model=MODEL)
    assert fixed.get_default_model() == MODEL


# -- web search through MCP --------------------------------------------------------------------


def test_web_search_selects_the_search_server_and_reads_tool_results(client, emulator):
    items = list(client.ask(None, user("rust async"), web_search=True))
    [ask] = asks(emulator)
    assert ask.json["selectedMcpServerNames"] == ["Web Search (Exa)"]
    assert ask.json["web_search"] is True and ask.json["tools"] == []
    assert str(uuid.UUID(ask.json["generationId"])) == ask.json["generationId"]
    conv = items[0]
    assert isinstance(conv, Conversation) and conv.model == "omni" and conv.turns == 1
    infos = [i for i in items if isinstance(i, ProviderInfo)]
    assert infos[-1] == ProviderInfo("moonshotai/Kimi-K2.6", "together", None, 1)
    activity = [i for i in items if isinstance(i, ToolActivity)]
    assert [a.phase for a in activity] == ["call", "progress", "result"]
    assert activity[0].name == "web_search_exa"
    assert activity[0].parameters == {"query": "rust async"}
    assert len({a.call_id for a in activity}) == 1
    statuses = [i for i in items if isinstance(i, Status)]
    assert statuses[0].label == "Web search" and statuses[0].text == "web_search_exa: rust async"
    assert statuses[-1].text == "web_search_exa: done, 3 source(s)"
    # the preamble is streamed, the answer is the final answer's text
    assert text_of(items) == "Let me look that up." + search_answer("rust async")
    [sources] = [i for i in items if isinstance(i, Sources)]
    assert [s.url for s in sources.sources] == [
        f"https://source{i}.example.com/rust-async" for i in (1, 2, 3)
    ]
    assert sources.sources[0].title == "Source 1: rust async"
    assert sources.sources[0].snippet == "Snippet 1 about rust async."
    assert items[-3:] == [Title("rust async"), sources, Finish("stop", model="omni")]
    assert conv.title == "rust async"


def test_search_result_is_the_final_answer(client):
    result = client.search("python news")
    assert result.answer == search_answer("python news")  # no preamble
    assert [s.hostname for s in result.sources] == [f"source{i}.example.com" for i in (1, 2, 3)]
    follow = client.search("and go", conversation=result.conversation)
    assert follow.conversation.turns == 2 and follow.title == "python news"


def test_both_generations_give_the_same_sources(client, emulator):
    current = client.search("same sources")
    emulator.configure_huggingchat("2024")
    with HuggingChatClient(cookie_header=COOKIE, base_url=client.base_url) as old:
        before = old.search("same sources")
    assert current.sources == before.sources and len(current.sources) == 3
    assert current.answer == before.answer


# -- reasoning, errors, pauses -----------------------------------------------------------------


def test_inline_think_becomes_reasoning_and_leaves_the_answer(client):
    items = list(client.ask(REASONER, user("why is the sky blue")))
    reasoning = "".join(i.text for i in items if isinstance(i, ReasoningDelta))
    assert reasoning == "Thinking about: why is the sky blue"
    assert text_of(items) == "why is the sky blue"
    assert not any("<think>" in i.text for i in items if isinstance(i, TextDelta))


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [("payment_required", PaymentRequiredError, 402), ("token_revoked", AuthenticationError, 401)],
)
def test_status_codes_in_the_stream_are_typed(client, emulator, fault, error, status):
    emulator.set_fault(fault, provider="huggingchat")
    with pytest.raises(error) as info:
        list(client.ask(MODEL, user("hello")))
    assert info.value.status_code == status and info.value.server_message


def test_a_paused_run_is_input_required(client, emulator):
    emulator.set_fault("elicitation", provider="huggingchat")
    items: list[Any] = []
    with pytest.raises(InputRequiredError) as info:
        items.extend(client.ask(None, user("weather today"), web_search=True))
    error = info.value
    assert error.question == "Which region should the search cover?"
    assert error.fields == ("region",) and error.server == "Web Search (Exa)"
    assert "Which region" in str(error) and "region" in str(error)
    assert error.conversation_id and error.elicitation_id


# -- a cut stream ------------------------------------------------------------------------------


def test_a_cut_stream_is_resumed_through_the_replay_endpoint(client, emulator):
    whole = list(client.ask(None, user("resume me"), web_search=True))
    emulator.set_fault("cut_stream", provider="huggingchat")
    resumed = list(client.ask(None, user("resume me"), web_search=True))
    [replay] = chat_requests(emulator, "GET", "/stream")
    assert f"generationId={asks(emulator)[-1].json['generationId']}" in replay.query
    assert text_of(resumed) == text_of(whole)  # nothing repeated, nothing lost

    def kinds(items: list[Any]) -> list[Any]:
        return [i for i in items[1:] if not isinstance(i, (TextDelta, Status))]

    assert [type(i) for i in kinds(resumed)] == [type(i) for i in kinds(whole)]
    assert [i for i in resumed if isinstance(i, Sources)] == [
        i for i in whole if isinstance(i, Sources)
    ]
    assert resumed[0].turns == 1 and isinstance(resumed[-1], Finish)


async def test_a_cut_stream_is_resumed_async(chat_url, emulator):
    emulator.set_fault("cut_stream", provider="huggingchat")
    async with HuggingChatClient(cookie_header=COOKIE, base_url=chat_url) as chat:
        result = await chat.asearch("async resume")
    assert result.answer == search_answer("async resume") and len(result.sources) == 3


def test_without_a_replay_a_cut_stream_is_a_conversation_error(chat_url, emulator):
    emulator.set_fault("cut_stream", provider="huggingchat")
    transport = Blocking({"/stream": httpx.Response(404, content=b'{"message":"Not found"}')})
    with (
        HuggingChatClient(
            cookie_header=COOKIE, base_url=chat_url, http_client=httpx.Client(transport=transport)
        ) as chat,
        pytest.raises(ConversationError, match="broke"),
    ):
        list(chat.ask(MODEL, user("no replay here")))


# -- markdown images ---------------------------------------------------------------------------


def test_markdown_images_in_tool_outputs_are_media_results(emulator):
    """The emulator draws through the Hub MCP server when every server is enabled (the field
    left out, as old clients do); the parser turns the linked image into a MediaResult."""
    cookies = {"hf-chat": HF_CHAT, "token": TOKEN}
    with httpx.Client(base_url=emulator.url + "/chat", cookies=cookies) as chat:
        created = chat.post("/conversation", json={"model": "omni"}).json()
        cid = created["conversationId"]
        root = chat.get(f"/api/conversation/{cid}").json()["messages"][0]["id"]
        body = chat.post(
            f"/conversation/{cid}",
            files={"data": (None, f'{{"inputs": "draw a fox", "id": "{root}"}}')},
            headers={"Origin": emulator.url},
        ).content
        parser = UpdateParser(chat_url=emulator.url + "/chat", conversation_id=cid)
        events = parser.feed(body) + parser.close()
        [image] = [e for e in events if isinstance(e, MediaResult)]  # tool result + answer
        assert image.kind == "image" and image.url and image.url.startswith(emulator.url)
        assert chat.get(image.url).content.startswith(b"\x89PNG")


# -- the seed facade ---------------------------------------------------------------------------


@pytest.fixture
def chat_env(emulator, monkeypatch):
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HF_CHAT_COOKIE", COOKIE)
    HuggingChat._clients.clear()
    monkeypatch.setattr(HuggingChat, "models", [])
    yield emulator
    HuggingChat._clients.clear()


async def test_facade_on_the_current_generation(chat_env):
    assert HuggingChat.get_models()[0] == HuggingChat.default_model == "omni"
    items = [
        item
        async for item in HuggingChat.create_async_generator(
            None, user("facade search"), web_search=True, return_conversation=True
        )
    ]
    conv = items[0]
    assert isinstance(conv, Conversation) and conv.model == "omni"
    text = "".join(i for i in items if isinstance(i, str))
    assert text == "Let me look that up." + search_answer("facade search")
    assert any(isinstance(i, Sources) for i in items)
    assert any(isinstance(i, ToolActivity) for i in items) and isinstance(items[-1], Finish)
    # another model in the same Conversation object, then back (the seed's models dict)
    other = list(HuggingChat.create_completion(MODEL, user("second model"), conversation=conv))
    assert "".join(i for i in other if isinstance(i, str)) == "second model"
    assert other[0] == ProviderInfo(MODEL, "together", None, 1)
    assert other[-1] == Finish("stop", model=MODEL)
    assert set(conv.models) == {"omni", MODEL} and conv.model == MODEL
    back = list(
        HuggingChat.create_completion("omni", user("back again"), conversation=conv.to_json())
    )
    assert "".join(i for i in back if isinstance(i, str)) == "back again"
    assert asks(chat_env)[-1].json["inputs"] == "back again"  # a later turn of omni's chat
    assert len(chat_env.conversations) == 2


def test_facade_uploads_images_inside_messages(chat_env):
    data_uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is in this picture"},
                {"type": "image_url", "image_url": {"url": data_uri}},
            ],
        }
    ]
    items = list(HuggingChat.create_completion(None, messages))
    assert "".join(i for i in items if isinstance(i, str)) == "what is in this picture"
    [ask] = asks(chat_env)
    assert ask.files == ["base64;file0.png"]


def test_facade_on_the_2024_generation(chat_env):
    chat_env.configure_huggingchat("2024")
    items = list(
        HuggingChat.create_completion(
            None, user("old search"), web_search=True, return_conversation=True
        )
    )
    assert items[0].model == "Qwen/Qwen2.5-72B-Instruct"  # the 2024 server's default
    assert "".join(i for i in items if isinstance(i, str)) == search_answer("old search")
    [sources] = [i for i in items if isinstance(i, Sources)]
    assert len(sources.sources) == 3


def test_model_list_needs_no_cookie_but_asking_sends_nothing_without_one(
    chat_url, emulator, monkeypatch
):
    monkeypatch.delenv("HF_CHAT_COOKIE", raising=False)
    with HuggingChatClient(base_url=chat_url) as anonymous:
        assert anonymous.list_models()[0] == "omni"
        emulator.clear_requests()
        with pytest.raises(MissingAuthError):
            anonymous.search("no cookie")
        with pytest.raises(MissingAuthError):
            anonymous.create_conversation()
    assert not emulator.requests


def test_cookies_never_leak(client, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    list(client.ask(None, user("leak check"), web_search=True))
    emulator.set_fault("payment_required", provider="huggingchat")
    with pytest.raises(PaymentRequiredError) as info:
        list(client.ask(MODEL, user("pay")))
    texts = [caplog.text, str(info.value), repr(info.value), repr(client)]
    texts += [repr(emulator.requests), emulator.conversations[0]["id"]]
    texts.append(pickle.dumps(info.value).decode("latin-1"))
    conv_json = Conversation.from_json(Conversation("omni", "abc").to_json()).to_json()
    for text in [*texts, conv_json]:
        assert HF_CHAT not in text and TOKEN not in text
    with pytest.raises(TypeError):
        pickle.dumps(client)
