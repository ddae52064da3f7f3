"""Context windows of OpenAI-compatible servers other than the router, with a small HTTP server
of our own: vLLM lists ``max_model_len`` in ``/v1/models`` (fitted client-side, before
sending); a server without ``/v1/models`` is asked once, not on every call."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from _long_text import prose

from hf_router import RouterClient


class _Server(ThreadingHTTPServer):
    models: dict[str, Any] | None
    log: list[tuple[str, str, Any]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.log.append(("GET", self.path, None))
        if self.path == "/v1/models" and self.server.models is not None:
            self._send(200, self.server.models)
        else:
            self._send(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.log.append(("POST", self.path, body))
        text = body["messages"][-1]["content"]
        message = {"role": "assistant", "content": text}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        self._send(200, {"id": "x", "object": "chat.completion", "choices": [choice]})


def _serve(models: dict[str, Any] | None) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.models, server.log = models, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def vllm() -> Iterator[_Server]:
    listing = {
        "object": "list",
        "data": [
            {"id": "org/served", "object": "model", "owned_by": "vllm", "max_model_len": 4096}
        ],
    }
    yield from _serve(listing)


@pytest.fixture
def bare() -> Iterator[_Server]:
    yield from _serve(None)


def history() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": "Be brief."}]
    for i in range(30):
        out += [
            {"role": "user", "content": prose(1200, f"q{i}-")},
            {"role": "assistant", "content": prose(1200, f"a{i}-")},
        ]
    return [*out, {"role": "user", "content": "Which lamp is green?"}]


def base(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_vllm_max_model_len_is_the_window(vllm: _Server) -> None:
    client = RouterClient(base_url=base(vllm))
    assert client.context_window("org/served") == 4096
    result = client.chat("org/served", history(), max_tokens=256)
    assert result.text == "Which lamp is green?"
    assert result.trimmed is not None and result.trimmed.reason == "window"
    (post,) = [body for method, _, body in vllm.log if method == "POST"]
    sent = post["messages"]
    assert sent[0]["content"] == "Be brief." and sent[-1]["content"] == "Which lamp is green?"
    assert sum(len(m["content"]) for m in sent) < (4096 - 256) * 3.3


def test_a_server_without_a_model_list_is_asked_once(bare: _Server) -> None:
    client = RouterClient(base_url=base(bare))
    for _ in range(3):
        assert client.chat("org/any", history(), max_tokens=64).text == "Which lamp is green?"
    gets = [path for method, path, _ in bare.log if method == "GET"]
    assert gets == ["/v1/models"]
    posts = [body for method, _, body in bare.log if method == "POST"]
    assert len(posts) == 3 and all(len(p["messages"]) == 62 for p in posts)  # nothing cut
