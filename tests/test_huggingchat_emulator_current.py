"""The emulator's current chat-ui generation ("2026", the default) on the wire, with plain httpx
(no hf_router client): cookie coupling, the Origin check, the superjson conversation, the
model and MCP server lists, the NDJSON answer (tools, routerMetadata, padding, filler, late
title) and the replay endpoint."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from hf_router.testing import RouterEmulator

COOKIES = {"hf-chat": "session-secret", "token": "hf-login-token"}
MODEL = "Qwen/Qwen2.5-72B-Instruct"
FILLER = " " * 4096


def client(
    emu: RouterEmulator, cookies: dict[str, str] | None = None, **headers: str
) -> httpx.Client:
    return httpx.Client(
        base_url=emu.url + "/chat",
        cookies=COOKIES if cookies is None else cookies,
        headers={"Origin": emu.url, **headers},
    )


def create(chat: httpx.Client, model: str = "omni") -> dict[str, Any]:
    response = chat.post("/conversation", json={"model": model})
    assert response.status_code == 200, response.text
    return dict(response.json())


def ask(
    chat: httpx.Client,
    conversation: str,
    parent: str,
    inputs: str,
    **fields: Any,
) -> httpx.Response:
    data = {"inputs": inputs, "id": parent, "is_retry": False, "is_continue": False, **fields}
    return chat.post(f"/conversation/{conversation}", files={"data": (None, json.dumps(data))})


def split_body(text: str) -> list[dict[str, Any]]:
    """The updates of an answer body, read like chat-ui's client (trim, then JSON)."""
    return [json.loads(line.strip()) for line in text.split("\n") if line.strip()]


def started(chat: httpx.Client, model: str = "omni") -> tuple[str, str]:
    created = create(chat, model)
    conversation = json.loads(created["conversation"])
    return created["conversationId"], conversation["json"]["rootMessageId"]


# -- sessions ----------------------------------------------------------------------------------


def test_the_session_is_coupled_to_the_token_cookie(emulator: RouterEmulator) -> None:
    with client(emulator, {"hf-chat": "alone"}) as alone:
        refused = alone.post("/conversation", json={"model": "omni"})
        assert refused.status_code == 401
        assert refused.json() == {"error": "You have to be logged in."}  # JSON asked: JSON
        plain = alone.post("/conversation", content=b"{}", headers={"Content-Type": "text/x-json"})
        assert plain.status_code == 401 and plain.text == "You have to be logged in."
        assert plain.headers["content-type"].startswith("text/plain")
        assert alone.get("/api/models").status_code == 200  # GETs need no session
    with client(emulator) as chat:
        conversation, _ = started(chat)
    # the same hf-chat with another token is another (anonymous) session
    with client(emulator, {**COOKIES, "token": "another"}) as stranger:
        assert stranger.post("/conversation", json={"model": "omni"}).status_code == 401
        assert stranger.get(f"/api/conversation/{conversation}").status_code == 404
    with client(emulator) as chat:
        assert chat.get(f"/api/conversation/{conversation}").status_code == 200
    logged = [r.headers["cookie"] for r in emulator.requests if "cookie" in r.headers]
    assert "hf-chat=***; token=***" in logged and not any("secret" in c for c in logged)


def test_form_posts_need_an_origin_of_this_host(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation, root = started(chat)
        data = {"data": (None, json.dumps({"inputs": "hi", "id": root}))}
        url = f"/conversation/{conversation}"
        missing = httpx.post(emulator.url + "/chat" + url, files=data, cookies=COOKIES)
        assert missing.status_code == 403
        assert missing.json() == {"message": "Non-JSON form requests need to have an origin"}
        foreign = chat.post(url, files=data, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403 and "Invalid referer" in foreign.json()["message"]
        assert chat.post(url, files=data).status_code == 200


# -- conversation data -------------------------------------------------------------------------


def test_create_answer_carries_the_superjson_conversation(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        created = create(chat)
        assert set(created) == {"conversationId", "conversation"}
        assert isinstance(created["conversation"], str)  # a string holding superjson
        conversation = json.loads(created["conversation"])
        data, meta = conversation["json"], conversation["meta"]
        [root] = data["messages"]
        assert root["from"] == "system" and root["id"] == data["rootMessageId"]
        assert data["id"] == created["conversationId"] and data["model"] == "omni"
        assert data["title"] == "New Chat" and data["deployedSpaces"] is None
        assert meta["v"] == 1
        assert meta["values"]["messages.0.createdAt"] == ["Date"]
        assert meta["values"]["deployedSpaces"] == ["undefined"]
        assert chat.get(f"/api/v2/conversations/{data['id']}").json() == conversation
        v1 = chat.get(f"/api/conversation/{data['id']}").json()
        assert set(v1) == {"id", "title", "updatedAt", "modelId", "messages"}
        assert v1["modelId"] == "omni" and v1["messages"][0]["id"] == root["id"]
        # no server loads since chat-ui affb8a005: __data.json holds no conversation
        svelte = chat.get(f"/conversation/{data['id']}/__data.json").text
        assert json.loads(svelte) == {"type": "data", "nodes": [None, None]}
        bad = chat.post("/conversation", json={"model": "org/nope"})
        assert bad.status_code == 400 and bad.json() == {"message": "Invalid request"}


def test_models_and_mcp_servers(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        models = chat.get("/api/models").json()
        assert models[0]["id"] == "omni" and models[0]["displayName"] == "Omni"
        assert models[0]["multimodal"] is True and models[0]["supportsTools"] is True
        assert MODEL in [m["id"] for m in models]
        servers = chat.get("/api/mcp/servers").json()
        assert [s["name"] for s in servers] == ["Web Search (Exa)", "Hugging Face"]
        assert all(set(s) == {"id", "name", "url", "type", "isLocked"} for s in servers)
        emulator.configure_huggingchat("2024")
        assert chat.get("/api/mcp/servers").status_code == 404
        assert chat.get("/api/models").json()[0] == {"id": MODEL, "name": MODEL}
    with pytest.raises(ValueError, match="generation"):
        emulator.configure_huggingchat("2025")


# -- the answer --------------------------------------------------------------------------------


def test_search_answer_shapes(emulator: RouterEmulator) -> None:
    generation = str(uuid.uuid4())
    with client(emulator) as chat:
        conversation, root = started(chat)
        response = ask(
            chat,
            conversation,
            root,
            "rust async",
            generationId=generation,
            selectedMcpServerNames=["Web Search (Exa)"],
        )
    assert response.headers["content-type"].startswith("application/jsonl")
    body = response.text
    final_at = body.index('{"type":"finalAnswer"')
    line_end = body.index("\n", final_at)
    assert body[line_end + 1 : line_end + 1 + 4096] == FILLER  # then the next JSON, no newline
    assert body[line_end + 1 + 4096] == "{"
    updates = split_body(body)
    kinds = [(u["type"], u.get("subtype") or u.get("status")) for u in updates]
    assert kinds[0] == ("status", "started") and kinds[-1] == ("status", "finished")
    assert ("status", "keepAlive") in kinds
    assert updates[1] == {
        "type": "routerMetadata",
        "route": "agentic",
        "model": "moonshotai/Kimi-K2.6",
    }
    assert {"type": "routerMetadata", "route": "", "model": "", "provider": "together"} in updates
    tools = [u for u in updates if u["type"] == "tool"]
    assert [t["subtype"] for t in tools] == ["call", "eta", "progress", "result"]
    assert len({t["uuid"] for t in tools}) == 1
    call = tools[0]
    assert call["call"] == {"name": "web_search_exa", "parameters": {"query": "rust async"}}
    assert json.loads(call["argumentsRaw"]) == {"query": "rust async"}
    [output] = tools[-1]["result"]["outputs"]
    assert output["text"] == output["content"][0]["text"] and "structured" not in output
    assert output["text"].startswith(
        "Title: Source 1: rust async\nURL: https://source1.example.com/"
    )
    assert output["text"].count("\n\n---\n\n") == 2
    streams = [u["token"] for u in updates if u["type"] == "stream"]
    assert all(len(t) >= 16 for t in streams)  # padEnd(16, "\0")
    assert any(t.endswith("\u0000") for t in streams)
    final = next(u for u in updates if u["type"] == "finalAnswer")
    preamble = "".join(streams[: streams.index(next(t for t in streams if "According" in t))])
    assert preamble.replace("\u0000", "") == "Let me look that up."
    assert final["text"].startswith("According to 3 sources: rust async ([1](https://source1")
    assert final["interrupted"] is False
    titles = [i for i, u in enumerate(updates) if u["type"] == "title"]
    assert titles and titles[0] > updates.index(final)  # the title comes after the answer


def test_without_selected_servers_no_tool_and_inline_think(emulator: RouterEmulator) -> None:
    emulator.add_chat_model("acme/R1-thinker")
    with client(emulator) as chat:
        conversation, root = started(chat, "acme/R1-thinker")
        updates = split_body(
            ask(chat, conversation, root, "hello there", selectedMcpServerNames=[]).text
        )
    assert not [u for u in updates if u["type"] in ("tool", "reasoning")]
    tokens = [u["token"].replace("\u0000", "") for u in updates if u["type"] == "stream"]
    assert tokens[0].startswith("<think>") and any(t.startswith("</think>") for t in tokens)
    final = next(u for u in updates if u["type"] == "finalAnswer")
    assert (
        final["text"] == "".join(tokens) == "<think>Thinking about: hello there</think>hello there"
    )
    assert not [u for u in updates if u["type"] == "routerMetadata" and u.get("route")]


def test_drawing_with_the_hub_server_links_a_served_image(emulator: RouterEmulator) -> None:
    with client(emulator) as chat:
        conversation, root = started(chat)
        updates = split_body(ask(chat, conversation, root, "draw a red boat").text)
        result = next(u for u in updates if u.get("subtype") == "result")
        text = result["result"]["outputs"][0]["text"]
        url = text[text.index("](") + 2 : -1]
        assert url.startswith(emulator.url + f"/chat/conversation/{conversation}/output/")
        image = chat.get(url)
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("payment_required", {"statusCode": 402}),
        ("token_revoked", {"statusCode": 401}),
        ("status_error", {}),
    ],
)
def test_error_statuses(emulator: RouterEmulator, fault: str, expected: dict[str, int]) -> None:
    emulator.set_fault(fault, provider="huggingchat")
    with client(emulator) as chat:
        conversation, root = started(chat)
        updates = split_body(ask(chat, conversation, root, "hi", selectedMcpServerNames=[]).text)
    error = updates[-1]
    assert error["type"] == "status" and error["status"] == "error" and error["message"]
    assert {k: v for k, v in error.items() if k == "statusCode"} == expected
    assert not [u for u in updates if u["type"] == "finalAnswer"]


def test_elicitation_parks_the_run(emulator: RouterEmulator) -> None:
    emulator.set_fault("elicitation", provider="huggingchat")
    with client(emulator) as chat:
        conversation, root = started(chat)
        updates = split_body(ask(chat, conversation, root, "weather").text)
    [request] = [u for u in updates if u["type"] == "elicitation"]
    assert request["subtype"] == "request" and request["request"]["mode"] == "form"
    assert request["request"]["fields"][0]["name"] == "region"
    assert not [u for u in updates if u["type"] == "finalAnswer" or u.get("subtype") == "result"]
    assert updates[-1] == {"type": "status", "status": "finished"}


# -- replay ------------------------------------------------------------------------------------


def frames(text: str) -> list[dict[str, str]]:
    out = []
    for block in text.split("\n\n"):
        if block.strip() and not block.startswith(":"):
            fields = dict(line.split(": ", 1) for line in block.split("\n"))
            out.append(fields)
    return out


def test_replay_endpoint_serves_the_generation_log(emulator: RouterEmulator) -> None:
    generation = str(uuid.uuid4())
    with client(emulator) as chat:
        conversation, root = started(chat)
        live = split_body(ask(chat, conversation, root, "replay me", generationId=generation).text)
        url = f"/conversation/{conversation}/stream"
        replay = chat.get(url, params={"generationId": generation, "fromSeq": 0})
        assert replay.headers["content-type"].startswith("text/event-stream")
        got = frames(replay.text)
        assert got[-1] == {"event": "end", "data": '{"status":"completed"}'}
        events = [json.loads(f["data"]) for f in got[:-1]]
        assert [int(f["id"]) for f in got[:-1]] == list(range(1, len(events) + 1))
        assert all(f["event"] == "update" for f in got[:-1])
        assert {"type": "status", "status": "keepAlive"} not in events
        streamed = [u for u in events if u["type"] == "stream"]
        assert all("\u0000" not in u["token"] for u in streamed)
        live_tokens = "".join(u["token"] for u in live if u["type"] == "stream")
        assert "".join(u["token"] for u in streamed) == live_tokens.replace("\u0000", "")
        assert len(streamed) < len([u for u in live if u["type"] == "stream"])  # coalesced
        later = frames(chat.get(url, params={"generationId": generation, "fromSeq": 3}).text)
        assert later[0]["id"] == "4"
        header = chat.get(url, params={"fromSeq": 1}, headers={"Last-Event-ID": "5"}).text
        assert frames(header)[0]["id"] == "6"  # Last-Event-ID wins; newest run without an id
        gone = frames(chat.get(url, params={"generationId": str(uuid.uuid4())}).text)
        assert gone == [{"event": "end", "data": '{"status":"gone"}'}]


def test_cut_stream_is_dropped_but_replayable(emulator: RouterEmulator) -> None:
    emulator.set_fault("cut_stream", provider="huggingchat")
    generation = str(uuid.uuid4())
    with client(emulator) as chat:
        conversation, root = started(chat)
        with pytest.raises(httpx.RemoteProtocolError):
            ask(chat, conversation, root, "cut me", generationId=generation)
        replay = chat.get(
            f"/conversation/{conversation}/stream", params={"generationId": generation}
        )
        events = [json.loads(f["data"]) for f in frames(replay.text) if f["event"] == "update"]
        assert any(u["type"] == "finalAnswer" for u in events)
