"""Tests of the emulator's HuggingChat routes (docs/huggingchat-protocol.md), with raw httpx."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

import httpx
import pytest

from hf_router.testing import RouterEmulator
from hf_router.testing.huggingchat.model import JsDate, devalue_flatten

COOKIES = {"hf-chat": "secret-session"}
MODEL = "Qwen/Qwen2.5-72B-Instruct"


@pytest.fixture
def emulator(router_emulator: RouterEmulator) -> RouterEmulator:
    """The session emulator, reset, speaking chat-ui's 2024 generation (what these tests
    describe; the current generation is tested in test_huggingchat_current.py)."""
    router_emulator.reset()
    router_emulator.configure_huggingchat("2024")
    return router_emulator


R1 = "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"


def client(emu: RouterEmulator, cookies: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=emu.url + "/chat",
        cookies=COOKIES if cookies is None else cookies,
        headers={"Origin": emu.url},  # form POSTs need an Origin of this host (chat-ui CSRF)
    )


def create(chat: httpx.Client, model: str = MODEL, **extra: Any) -> str:
    response = chat.post("/conversation", json={"model": model, **extra})
    assert response.status_code == 200, response.text
    return str(response.json()["conversationId"])


def message_id(chat: httpx.Client, conversation: str) -> str:
    return str(chat.get(f"/api/conversation/{conversation}").json()["messages"][-1]["id"])


def ask(
    chat: httpx.Client,
    conversation: str,
    inputs: str,
    parent: str | None = None,
    *,
    web_search: bool = False,
    files: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    data = {
        "inputs": inputs,
        "id": parent if parent is not None else message_id(chat, conversation),
        "is_retry": False,
        "is_continue": False,
        "web_search": web_search,
        "tools": [],
    }
    parts = [("files", (f"base64;{name}", content)) for name, content in files or []]
    return chat.post(
        f"/conversation/{conversation}",
        data={"data": json.dumps(data)},
        files=parts or None,
        headers=headers,
    )


def updates(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON updates (padding lines must be whitespace only)."""
    out = []
    for line in response.text.split("\n"):
        if line.strip():
            out.append(json.loads(line))
    return out


def text_of(items: list[dict[str, Any]]) -> str:
    return "".join(u["token"].replace("\u0000", "") for u in items if u["type"] == "stream")


def unflatten(data: list[Any], index: int = 0) -> Any:
    """A small devalue decoder, to check the encoding round-trips."""
    value = data[index]
    if isinstance(value, dict):
        return {k: unflatten(data, i) for k, i in value.items()}
    if isinstance(value, list):
        if value and value[0] == "Date":
            return ("Date", value[1])
        return [unflatten(data, i) for i in value]
    return value


# -- devalue and the message id ----------------------------------------------------------------
def test_devalue_flatten_shares_equal_primitives_and_encodes_dates() -> None:
    date = JsDate(0)
    flat = devalue_flatten({"a": "x", "b": ["x", 1, True, None], "c": date})
    assert flat[0] == {"a": 1, "b": 2, "c": 6}
    assert (
        flat[1] == "x"
        and flat[2] == [1, 3, 4, 5]
        and flat[6] == ["Date", "1970-01-01T00:00:00.000Z"]
    )
    assert unflatten(flat)["b"] == ["x", 1, True, None]


def test_create_and_message_id_in_both_forms(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation = create(chat, preprompt="Be brief.")
        api = chat.get(f"/api/conversation/{conversation}").json()
        assert api["model"] == MODEL and api["title"] == "New Chat"
        [root] = api["messages"]
        assert root["from"] == "system" and root["content"] == "Be brief."
        ask(chat, conversation, "User: hello\nAssistant:").raise_for_status()
        api = chat.get(f"/api/conversation/{conversation}").json()
        assert [m["from"] for m in api["messages"]] == ["system", "user", "assistant"]
        assert len({m["id"] for m in api["messages"]}) == 3
        response = chat.get(
            f"/conversation/{conversation}/__data.json", params={"x-sveltekit-invalidated": "11"}
        )
        assert response.status_code == 200
        [line] = [ln for ln in response.text.split("\n") if '"nodes"' in ln]
        data = json.loads(line)["nodes"][1]["data"]
        indices = data[data[0]["messages"]]
        last = data[indices[-1]]
        assert data[last["id"]] == api["messages"][-1]["id"]
        page = unflatten(data)
        assert [m["content"] for m in page["messages"]] == [
            "Be brief.",
            "User: hello\nAssistant:",
            "hello",
        ]
        assert page["messages"][2]["ancestors"] == [m["id"] for m in api["messages"][:2]]
        assert page["messages"][0]["createdAt"][0] == "Date"
        assert page["title"] == "hello" and page["model"] == MODEL


def test_client_parser_reads_both_forms(emulator: RouterEmulator) -> None:
    from hf_router.huggingchat._updates import message_id_from_api, message_id_from_data

    with client(emulator) as chat:
        conversation = create(chat)
        expected = message_id(chat, conversation)
        assert message_id_from_api(chat.get(f"/api/conversation/{conversation}").json()) == expected
        text = chat.get(f"/conversation/{conversation}/__data.json").text
        assert message_id_from_data(text) == expected


def test_cookie_required_everywhere(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation = create(chat)
    for cookies in ({}, {"hf-chat": ""}, {"other": "x"}):
        with client(emulator, cookies) as anonymous:
            for response in (
                anonymous.post("/conversation", json={"model": MODEL}),
                anonymous.get(f"/api/conversation/{conversation}"),
                anonymous.get(f"/conversation/{conversation}/__data.json"),
                anonymous.post(f"/conversation/{conversation}", data={"data": "{}"}),
                anonymous.get(f"/conversation/{conversation}/output/abc"),
            ):
                assert response.status_code == 401
                assert "hf-chat" in response.json()["message"]


def test_unknown_model_and_configured_models(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        response = chat.post("/conversation", json={"model": "org/nope"})
        assert response.status_code == 400 and response.json() == {"message": "Model not found"}
        emulator.add_chat_model("org/nope")
        create(chat, "org/nope")
        assert "org/nope" in [m["id"] for m in chat.get("/api/models").json()]
        assert chat.get("/api/conversation/missing").status_code == 404
    with pytest.raises(ValueError, match="web_search_form"):
        emulator.add_chat_model("org/x", web_search_form="2022")


# -- asking ------------------------------------------------------------------------------------
def test_first_turn_echo_title_final_answer_and_padding(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation = create(chat)
        response = ask(
            chat, conversation, "System: be nice\nUser: What is deep learning?\nAssistant:"
        )
        assert response.status_code == 200
        items = updates(response)
        assert items[0] == {"type": "status", "status": "started"}
        streams = [u for u in items if u["type"] == "stream"]
        assert all(len(u["token"]) >= 16 for u in streams)  # padEnd(16, "\0")
        assert all(
            u["token"].endswith("\u0000") for u in streams if len(u["token"].strip("\0")) < 16
        )
        assert text_of(items) == "What is deep learning?"
        assert {"type": "title", "title": "What is deep learning?"} in items
        assert items[-1] == {
            "type": "finalAnswer",
            "text": "What is deep learning?",
            "interrupted": False,
        }
        assert response.text.endswith('"interrupted":false}\n' + " " * 4096)  # chat-ui's filler
        assert not any(u["type"] in ("reasoning", "webSearch", "file") for u in items)
        # second turn: only the last user message, parent = the answer's id; no new title
        second = updates(ask(chat, conversation, "and now?"))
        assert text_of(second) == "and now?" and all(u["type"] != "title" for u in second)
        [state] = emulator.conversations
        assert state["title"] == "What is deep learning?" and len(state["messages"]) == 5


def test_continuity_check(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation = create(chat)
        root = message_id(chat, conversation)
        ask(chat, conversation, "one", root).raise_for_status()
        stale = ask(chat, conversation, "two", root)
        assert stale.status_code == 400 and "Invalid message id" in stale.json()["message"]
        assert ask(chat, conversation, "two").status_code == 200
        bad = chat.post(f"/conversation/{conversation}", json={"inputs": "x"})
        assert bad.status_code == 400


@pytest.mark.parametrize(
    ("form", "snippet", "kind"), [("2024", "context", "subtype"), ("2023", "text", "messageType")]
)
def test_web_search_source_shapes_per_model(
    emulator: RouterEmulator, form: str, snippet: str, kind: str
) -> None:
    emulator.add_chat_model("org/searcher", web_search_form=form)
    with client(emulator) as chat:
        conversation = create(chat, "org/searcher")
        items = updates(ask(chat, conversation, "User: rust async\nAssistant:", web_search=True))
    searches = [u for u in items if u["type"] == "webSearch"]
    assert all(kind in u for u in searches)
    [sources] = [u for u in searches if u[kind] == "sources"]
    assert len(sources["sources"]) == 3
    first = sources["sources"][0]
    assert first == {
        "link": "https://source1.example.com/rust-async",
        "title": "Source 1: rust async",
        "hostname": "source1.example.com",
        snippet: "Snippet 1 about rust async.",
    }
    # the answer cites its sources with markdown links (as chat-ui's grounding prompt asks)
    links = ", ".join(f"[{i}](https://source{i}.example.com/rust-async)" for i in (1, 2, 3))
    assert text_of(items) == f"According to 3 sources: rust async ({links})"
    final = items[-1]
    assert final["type"] == "finalAnswer" and final["text"] == text_of(items)
    assert final["webSources"][0] == {"uri": first["link"], "title": first["title"]}
    order = [u["type"] for u in items]
    assert order.index("webSearch") < order.index("stream")


def test_source_shape_from_the_scenario_header(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation = create(chat)
        header = {"X-Emulator-Scenario": "sources_2023"}
        items = updates(ask(chat, conversation, "q", web_search=True, headers=header))
    assert all("messageType" in u for u in items if u["type"] == "webSearch")


def test_reasoning_models(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation = create(chat, R1)
        items = updates(ask(chat, conversation, "why"))
    reasoning = [u for u in items if u["type"] == "reasoning"]
    assert reasoning[0]["subtype"] == "status" and reasoning[-1]["subtype"] == "status"
    tokens = "".join(u["token"] for u in reasoning if u["subtype"] == "stream")
    assert tokens == "Thinking about: why"
    emulator.add_chat_model(MODEL, reasoning=True)
    with client(emulator) as chat:
        conversation = create(chat)
        assert any(u["type"] == "reasoning" for u in updates(ask(chat, conversation, "x")))


def test_generated_file_is_a_served_png(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation = create(chat)
        items = updates(ask(chat, conversation, "Please draw a red fox"))
        [file] = [u for u in items if u["type"] == "file"]
        assert file["name"] == "image.png" and file["mime"] == "image/png"
        download = chat.get(f"/conversation/{conversation}/output/{file['sha']}")
        assert download.status_code == 200 and download.headers["content-type"] == "image/png"
        data = download.content
        assert (
            data[:8] == b"\x89PNG\r\n\x1a\n"
            and data[12:16] == b"IHDR"
            and data.endswith(b"IEND\xaeB`\x82")
        )
        width, height = struct.unpack(">II", data[16:24])
        idat_at = data.index(b"IDAT")
        (length,) = struct.unpack(">I", data[idat_at - 4 : idat_at])
        assert len(zlib.decompress(data[idat_at + 4 : idat_at + 4 + length])) == height * (
            1 + 3 * width
        )
        assert chat.get(f"/conversation/{conversation}/output/nope").status_code == 404
        assert [u["type"] for u in items].index("file") < [u["type"] for u in items].index(
            "finalAnswer"
        )


def test_multipart_files_and_the_request_log(emulator: RouterEmulator) -> None:
    content = base64.b64encode(b"\x89PNG fake").decode()
    with client(emulator) as chat:
        conversation = create(chat)
        parent = message_id(chat, conversation)
        files = [("cat.png", content), ("dog.jpg", content)]
        ask(chat, conversation, "look", parent, files=files).raise_for_status()
    entry = emulator.requests[-1]
    assert entry.path == f"/chat/conversation/{conversation}"
    assert entry.json == {
        "inputs": "look",
        "id": parent,
        "is_retry": False,
        "is_continue": False,
        "web_search": False,
        "tools": [],
    }
    assert entry.files == ["base64;cat.png", "base64;dog.jpg"]
    assert entry.headers["cookie"] == "hf-chat=***"
    assert emulator.conversations[0]["messages"][1]["files"] == ["base64;cat.png", "base64;dog.jpg"]


# -- faults ------------------------------------------------------------------------------------
def test_no_final_answer_and_times(emulator: RouterEmulator) -> None:
    emulator.set_fault("no_final_answer", model=MODEL, times=1)
    with client(emulator) as chat:
        conversation = create(chat)  # does not use up the fault
        response = ask(chat, conversation, "one two three four")
        items = updates(response)
        assert all(u["type"] != "finalAnswer" for u in items)
        assert text_of(items) == "one two"
        assert not response.text.endswith(" \n")  # no padding either
        assert updates(ask(chat, conversation, "again"))[-1]["type"] == "finalAnswer"


def test_garbage_lines(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation = create(chat)
        response = ask(chat, conversation, "hi", headers={"X-Emulator-Scenario": "garbage_lines"})
    lines = [ln for ln in response.text.split("\n") if ln.strip()]
    garbage = [ln for ln in lines if not ln.startswith("{")]
    assert garbage and len(garbage) == len(lines) - len(garbage) - 1
    assert json.loads(lines[-1])["type"] == "finalAnswer"


def test_status_error(emulator: RouterEmulator) -> None:
    emulator.set_fault("status_error", provider="huggingchat")
    with client(emulator) as chat:
        conversation = create(chat)
        items = updates(ask(chat, conversation, "hi"))
    assert items == [
        {"type": "status", "status": "started"},
        {"type": "status", "status": "error", "message": items[-1]["message"]},
    ]
    assert "error" in items[-1]["message"]


def test_auth_and_unknown_model_faults(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        emulator.set_fault("unknown_model", model=MODEL, times=1)
        assert chat.post("/conversation", json={"model": MODEL}).json() == {
            "message": "Model not found"
        }
        conversation = create(chat)
        parent = message_id(chat, conversation)
        emulator.set_fault("chat_401", times=1)
        assert ask(chat, conversation, "x", parent).status_code == 401
        assert ask(chat, conversation, "x", parent).status_code == 200
        emulator.set_fault("401", provider="huggingchat", times=1)
        assert chat.get(f"/api/conversation/{conversation}").status_code == 401
        header = {"X-Emulator-Scenario": "429:retry_after=3"}
        limited = ask(chat, conversation, "x", headers=header)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
        assert "message" in limited.json()
        broken = ask(chat, conversation, "x", headers={"X-Emulator-Scenario": "bogus"})
        assert broken.status_code == 400
