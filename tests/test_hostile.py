"""Hostile servers (issue #13): a raw-socket server of our own (tests/_hostile.py, not the
emulator) that echoes the token and cookie back, hangs, trickles, floods and nests JSON
100,000 deep. For each case: the typed error, no secret in str/repr/pickle/logs or a
``capture_locals`` traceback, bounded time, and (in a subprocess) bounded memory."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import subprocess
import sys
import textwrap
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _hostile import HostileServer, Request, flood, head, never, respond, sse, trickle

from hf_router import HuggingChatClient, MediaClient, RetryPolicy, RouterClient
from hf_router.chat import _decoder
from hf_router.errors import (
    AllProvidersFailedError,
    BadRequestError,
    ConversationError,
    DownloadError,
    GenerationFailedError,
    HFRouterError,
    InvalidInputError,
    MalformedResponseError,
    ModelLoadingError,
    ProviderError,
    RateLimitError,
    StreamInterruptedError,
    TimeoutError,
    UnsafeURLError,
)

TOKEN = "hf_HostileSecret0123456789abcdefXYZ"
COOKIE = "hostile-session-cookie-0123456789"
MODEL = "acme/chat-7b"
HI = [{"role": "user", "content": "hello"}]
DEEP = b"[" * 100_000 + b"]" * 100_000
FAST = RetryPolicy(max_retries=2, initial_backoff=0.01, max_backoff=0.02, jitter=0.0)
CHUNK = {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}


def assert_clean(exc: BaseException, logs: str = "") -> None:
    """No secret (not even without the ``hf_`` prefix) anywhere a user could see it."""
    restored = pickle.loads(pickle.dumps(exc))
    shown = [
        str(exc),
        repr(exc),
        repr(vars(exc)),
        str(restored),
        repr(restored),
        pickle.dumps(exc).decode("latin-1"),
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format()),
        logs,
    ]
    for text in shown:
        for secret in (TOKEN, TOKEN[3:], COOKIE):
            assert secret not in text, text[:2000]


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        yield srv


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="hf_router")
    return caplog


def router(server: HostileServer, **kwargs: Any) -> RouterClient:
    options: dict[str, Any] = {"retry_policy": FAST, "use_hub_mapping": False}
    options.update(kwargs)
    return RouterClient(TOKEN, base_url=server.url + "/v1", hub_url=server.url, **options)


def chat_route(server: HostileServer, answer: Any) -> None:
    """``answer(request, conn, server)`` serves /v1/chat/completions."""
    server.route("POST", "/v1/chat/completions", answer)


def mapping(*providers: str, task: str = "conversational") -> dict[str, Any]:
    return {
        "inferenceProviderMapping": {
            p: {"status": "live", "providerId": f"acme/{p}-model", "task": task} for p in providers
        }
    }


def run_sync_or_async(client: RouterClient, mode: str, *, stream: bool = True) -> None:
    if mode == "sync":
        list(client.stream_chat(MODEL, HI, stream=stream))
        return

    async def go() -> None:
        async for _ in client.astream_chat(MODEL, HI, stream=stream):
            pass

    asyncio.run(go())


# -- 1. the echoed token never shows ---------------------------------------------------------
def _sse_error(r: Request, conn: Any, s: HostileServer) -> None:
    respond(conn, 200, sse({"error": {"message": r.echo()}}), "text/event-stream")


def _sse_not_json(r: Request, conn: Any, s: HostileServer) -> None:
    respond(conn, 200, sse(r.echo()), "text/event-stream")


def _html_200(r: Request, conn: Any, s: HostileServer) -> None:
    page = f"<html><head><title>{r.echo()}</title></head><body>{r.echo()}</body></html>\n"
    respond(conn, 200, page, "text/html")


def _bad_json(r: Request, conn: Any, s: HostileServer) -> None:
    respond(conn, 200, '{"choices": "' + r.echo(), "application/json")


def _status_500(r: Request, conn: Any, s: HostileServer) -> None:
    respond(conn, 500, {"error": r.echo()}, headers=[("X-Echo", r.echo())])


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("answer", "stream", "expected"),
    [
        (_sse_error, True, ProviderError),
        (_sse_not_json, True, MalformedResponseError),
        (_html_200, True, MalformedResponseError),
        (_bad_json, False, MalformedResponseError),
        (_status_500, True, ProviderError),
    ],
    ids=["sse-error-object", "sse-not-json", "html-200", "invalid-json", "500-echo"],
)
def test_echoed_token_never_shows(server, logs, mode, answer, stream, expected):
    chat_route(server, answer)
    client = router(server, fallback_models=["acme/other-7b"])
    with pytest.raises(AllProvidersFailedError) as info:
        run_sync_or_async(client, mode, stream=stream)
    assert [type(a.error) for a in info.value.attempts] == [expected, expected]
    assert "Attempt 1 (acme/chat-7b) failed" in logs.text  # the WARNING line was emitted...
    assert_clean(info.value, logs.text)  # ...and it, like everything else, is clean
    assert "***" in str(info.value.attempts[0].error)  # the echo was there, masked


def test_lookalike_tokens_and_bearer_values_are_masked_too(server, logs):
    """A token hf_router never saw (another client's, a server's) is masked by its shape."""
    other = "hf_SomebodyElsesToken9876543210abcd"

    def answer(r: Request, conn: Any, s: HostileServer) -> None:
        respond(conn, 400, {"error": f"token {other} / Authorization: Bearer sk-live-123"})

    chat_route(server, answer)
    with pytest.raises(BadRequestError) as info:
        router(server).chat(MODEL, HI)
    assert other not in str(info.value) and "sk-live-123" not in str(info.value)
    assert "Bearer ***" in str(info.value)


def test_media_errors_are_clean(server, logs, tmp_path):
    server.route("GET", "/api/models/acme/img", lambda r, c, s: respond(c, 200, IMG_MAPPING))
    server.route("GET", "/api/models/acme/slow", lambda r, c, s: respond(c, 200, SLOW))
    server.route("POST", "/fal-ai/acme/odd", lambda r, c, s: respond(c, 200, {"weird": r.echo()}))

    def submit(r: Request, conn: Any, s: HostileServer) -> None:
        url = "https://queue.fal.run/acme/slow/requests/r1"
        respond(conn, 200, {"request_id": "r1", "response_url": url, "status": "IN_QUEUE"})

    server.route("POST", "/fal-ai/acme/slow", submit)
    failed = {"status": "FAILED"}
    server.route(
        "GET",
        "/fal-ai/acme/slow/requests/r1/status",
        lambda r, c, s: respond(c, 200, {**failed, "error": r.echo()}),
    )
    client = media(server, tmp_path)
    with pytest.raises(MalformedResponseError) as odd:
        client.generate_image("acme/img:fal-ai", "a fox")
    assert_clean(odd.value, logs.text)
    with pytest.raises(GenerationFailedError) as job:
        client.generate_image("acme/slow:fal-ai", "a fox")
    assert "***" in str(job.value)
    assert_clean(job.value, logs.text)


def test_huggingchat_errors_are_clean(server, logs):
    server.route(
        "POST", "/chat/conversation", lambda r, c, s: respond(c, 500, r.echo(), "text/plain")
    )
    client = hchat(server)
    with pytest.raises(ProviderError) as info:
        client.create_conversation()
    assert_clean(info.value, logs.text)
    _huggingchat_routes(server, lambda r, c, s: respond(c, 200, r.echo() + "\n", "text/plain"))
    with pytest.raises(ConversationError) as bad_line:
        list(client.ask(None, HI))
    # the echoed line is not JSON: skipped and logged (as the seed does), masked in the log;
    # the stream then ends without a final answer
    assert "not JSON" in logs.text and "***" in logs.text
    assert_clean(bad_line.value, logs.text)


@pytest.mark.parametrize("client_class", [RouterClient, MediaClient])
def test_a_rejected_constructor_argument_shows_no_token_in_locals(client_class) -> None:
    """The token is wrapped before any argument is checked: a traceback with its frames'
    locals (capture_locals) shows the rejected argument, never the token beside it."""
    with pytest.raises(InvalidInputError) as info:
        client_class(TOKEN, deadline=-1)
    assert_clean(info.value)


def test_a_rejected_huggingchat_argument_shows_no_cookie_in_locals() -> None:
    with pytest.raises(InvalidInputError) as info:
        HuggingChatClient(cookie_header=f"hf-chat={COOKIE}; token={TOKEN}", deadline=-1)
    assert_clean(info.value)


def test_headers_and_secrets_hide_in_tracebacks(server):
    """Every frame of a failed call shows masked headers and hidden secrets."""
    chat_route(server, lambda r, c, s: respond(c, 401, {"error": "no"}))
    with pytest.raises(HFRouterError) as info:
        router(server).chat(MODEL, HI)
    text = "".join(
        traceback.TracebackException.from_exception(info.value, capture_locals=True).format()
    )
    assert TOKEN not in text


# -- 2. hangs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_trickling_stream_ends_at_the_stall_guard(server, mode):
    def answer(r: Request, conn: Any, s: HostileServer) -> None:
        head(conn)
        conn.sendall(sse(CHUNK))
        trickle(conn, s, b"data: {", every=0.1)  # one byte at a time, never a whole event

    chat_route(server, answer)
    client = router(server, stall_timeout=1.5)
    start = time.monotonic()
    with pytest.raises(StreamInterruptedError) as info:
        run_sync_or_async(client, mode)
    elapsed = time.monotonic() - start
    assert info.value.partial_text == "Hi"  # what arrived is kept
    assert "stall_timeout" in str(info.value)
    assert elapsed < 8, elapsed


def test_the_deadline_ends_a_stream_that_keeps_sending_events(server):
    def answer(r: Request, conn: Any, s: HostileServer) -> None:
        head(conn)
        while not s.stopping.is_set():
            conn.sendall(sse(CHUNK))
            s.wait(0.1)

    chat_route(server, answer)
    start = time.monotonic()
    with pytest.raises(StreamInterruptedError) as info:
        list(router(server, deadline=2).stream_chat(MODEL, HI))
    assert "deadline of 2s" in str(info.value)
    assert info.value.partial_text.startswith("HiHi")
    assert time.monotonic() - start < 8


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_server_that_never_answers_ends_at_the_deadline(server, mode):
    chat_route(server, lambda r, c, s: never(c, s))
    client = router(server, deadline=2, timeout=60)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        run_sync_or_async(client, mode)
    assert time.monotonic() - start < 8


def test_a_hub_that_never_answers_ends_at_the_deadline(server):
    """The router fails, then the Hub lookup of the fallback path hangs: the deadline ends it."""
    server.route("GET", "/api/models/acme/chat-7b", lambda r, c, s: never(c, s))
    chat_route(server, lambda r, c, s: respond(c, 500, {"error": "down"}))
    client = router(server, use_hub_mapping=True, deadline=2, timeout=60)
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="deadline of 2s; 1 attempt"):
        client.chat(MODEL, HI)
    assert time.monotonic() - start < 8


def test_long_retry_after_skips_each_provider_at_once(server):
    """Five live providers all answering 429 Retry-After: 60, with 20 s left: skipped at once."""
    providers = ["p1", "p2", "p3", "p4", "p5"]
    server.route(
        "GET", "/api/models/acme/chat-7b", lambda r, c, s: respond(c, 200, mapping(*providers))
    )
    chat_route(
        server,
        lambda r, c, s: respond(c, 429, {"error": "slow down"}, headers=[("Retry-After", "60")]),
    )
    client = router(server, use_hub_mapping=True, deadline=20)
    start = time.monotonic()
    with pytest.raises(AllProvidersFailedError) as info:
        client.chat(MODEL, HI)
    assert time.monotonic() - start < 5
    assert len(info.value.attempts) == 6  # the router's choice, then the five providers
    assert all(isinstance(a.error, RateLimitError) for a in info.value.attempts)
    assert len(server.paths("POST")) == 6  # none of them retried


def test_retry_after_waits_stop_at_the_deadline(server):
    chat_route(
        server, lambda r, c, s: respond(c, 429, {"error": "wait"}, headers=[("Retry-After", "1.5")])
    )
    client = router(server, deadline=2.5, retry_policy=RetryPolicy(max_retries=5))
    start = time.monotonic()
    with pytest.raises(RateLimitError):
        client.chat(MODEL, HI)
    assert time.monotonic() - start < 5
    assert len(server.paths("POST")) == 2  # the second wait would outlast the deadline


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (503, {"error": "loading", "estimated_time": -5}, [], ModelLoadingError),
        (429, {"error": "busy"}, [("Retry-After", "-5")], RateLimitError),
        (503, {"error": "loading", "estimated_time": "nan"}, [], ModelLoadingError),
    ],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_negative_waits_are_zero(server, status, body, headers, expected, mode):
    chat_route(server, lambda r, c, s: respond(c, status, body, headers=headers))
    start = time.monotonic()
    with pytest.raises(expected) as info:
        run_sync_or_async(router(server), mode)
    assert time.monotonic() - start < 5
    assert len(server.paths("POST")) == 3  # retried (without waiting), not a ValueError
    if isinstance(info.value, ModelLoadingError) and info.value.estimated_time is not None:
        assert info.value.estimated_time == 0.0


# -- 3. caps -----------------------------------------------------------------------------------
def test_a_huge_ndjson_line_is_refused_quickly(server):
    """100 MB without a newline: refused at 16 MiB, in well under 2 s."""

    def answer(r: Request, conn: Any, s: HostileServer) -> None:
        head(conn, 200, "text/plain")
        flood(conn, 100 * 1024 * 1024, b'{"type":"stream","token":"' + b"a" * 64)

    _huggingchat_routes(server, answer)
    client = hchat(server)
    conv = client.create_conversation()
    start = time.monotonic()
    with pytest.raises(ConversationError, match="exceeded 16 MiB"):
        list(client.ask(None, HI, conversation=conv))
    elapsed = time.monotonic() - start
    print(f"\n100 MB NDJSON line refused in {elapsed:.3f}s")
    assert elapsed < 2, elapsed


def test_a_huge_hub_answer_is_refused(server):
    server.route(
        "GET",
        "/api/models/acme/chat-7b",
        lambda r, c, s: (head(c, 200, "application/json"), flood(c, 40 * 1024 * 1024, b"[1,")),
    )
    client = router(server, use_hub_mapping=True, max_response_bytes=4 * 1024 * 1024)
    with pytest.raises(MalformedResponseError, match="larger than the limit of 4194304"):
        client.get_mapping(MODEL)
    assert client.list_models() == []  # documented as never raising: the (empty) fallback list


_MEMORY_PROBE = textwrap.dedent(
    """
    import json, sys, time
    from hf_router import HuggingChatClient, RouterClient
    from hf_router.errors import HFRouterError
    url, what = sys.argv[1], sys.argv[2]
    start = time.monotonic()
    try:
        if what == "chat":
            client = RouterClient("hf_x" * 10, base_url=url + "/v1", use_hub_mapping=False)
            client.chat("acme/chat-7b", [{"role": "user", "content": "hi"}])
        else:
            client = HuggingChatClient(cookies={"hf-chat": "c" * 20}, base_url=url + "/chat")
            list(client.ask(None, [{"role": "user", "content": "hi"}]))
        error = "none"
    except HFRouterError as exc:
        error = type(exc).__name__ + ": " + str(exc)[:120]
    elapsed = time.monotonic() - start
    status = open("/proc/self/status").read()
    peak = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1])
    print(json.dumps({"error": error, "elapsed": elapsed, "peak_mb": peak / 1024}))
    """
)


def _probe(url: str, what: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, url, what],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_a_300_mb_json_answer_is_refused_in_bounded_memory(server):
    def answer(r: Request, conn: Any, s: HostileServer) -> None:
        head(conn, 200, "application/json")  # no Content-Length: the cap must hold while reading
        conn.sendall(b'{"choices": [{"message": {"content": "')
        flood(conn, 300 * 1024 * 1024, b"a" * 1024)

    chat_route(server, answer)
    found = _probe(server.url, "chat")
    print(f"\n300 MB JSON answer: {found}")
    assert found["error"].startswith("MalformedResponseError: The answer is larger than")
    assert found["peak_mb"] < 100, found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_a_300_mb_ndjson_line_is_refused_in_bounded_memory(server):
    def answer(r: Request, conn: Any, s: HostileServer) -> None:
        head(conn, 200, "text/plain")
        flood(conn, 300 * 1024 * 1024, b"a" * 1024)

    _huggingchat_routes(server, answer)
    found = _probe(server.url, "huggingchat")
    print(f"\n300 MB NDJSON line: {found}")
    assert found["error"].startswith("ConversationError"), found
    assert found["peak_mb"] < 100 and found["elapsed"] < 10, found


# -- 3b. deep nesting --------------------------------------------------------------------------
def _deep(r: Request, conn: Any, s: HostileServer) -> None:
    respond(conn, 200, DEEP)


def test_deep_json_in_a_whole_answer(server):
    chat_route(server, _deep)
    with pytest.raises(MalformedResponseError, match="invalid JSON"):
        router(server).chat(MODEL, HI)


def test_deep_json_in_an_error_body(server):
    chat_route(server, lambda r, c, s: respond(c, 400, DEEP))
    with pytest.raises(BadRequestError):
        router(server).chat(MODEL, HI)


@pytest.mark.parametrize("orjson", [True, False], ids=["orjson", "stdlib-json"])
def test_deep_json_in_a_stream(server, monkeypatch, orjson):
    if not orjson:
        monkeypatch.setattr(_decoder, "json_loads", json.JSONDecoder().decode)
    chat_route(
        server, lambda r, c, s: respond(c, 200, b"data: " + DEEP + b"\n\n", "text/event-stream")
    )
    with pytest.raises(MalformedResponseError, match="not JSON"):
        list(router(server).stream_chat(MODEL, HI))


def test_deep_json_from_the_hub_and_the_model_list(server, logs):
    server.route("GET", "/api/models/acme/chat-7b", _deep)
    server.route("GET", "/v1/models", _deep)
    chat_route(server, lambda r, c, s: respond(c, 500, {"error": "down"}))
    client = router(server, use_hub_mapping=True, fallback_models=["acme/other-7b"])
    # never raises: the fallback list instead
    assert [m.id for m in client.list_models()] == ["acme/other-7b"]
    assert client.context_window(MODEL) is None
    with pytest.raises(MalformedResponseError, match="not usable JSON"):
        client.get_mapping(MODEL)
    # the fallback path of stream_chat: the mapping cannot be read, the plan goes on
    with pytest.raises(AllProvidersFailedError) as info:
        list(client.stream_chat(MODEL, HI))
    assert [type(a.error) for a in info.value.attempts] == [ProviderError, ProviderError]
    assert "No provider mapping for acme/chat-7b" in logs.text


def test_deep_json_in_llama_index_metadata(server):
    llms = pytest.importorskip("llama_index_hf_router")
    server.route("GET", "/v1/models", _deep)
    llm = llms.HFRouter(MODEL, api_key=TOKEN, base_url=server.url + "/v1")
    assert llm.metadata.context_window > 0  # the default window, not a RecursionError


def test_deep_json_to_media_and_huggingchat(server, tmp_path):
    server.route("GET", "/api/models/acme/img", _deep)
    with pytest.raises(MalformedResponseError):
        media(server, tmp_path).generate_image("acme/img", "a fox")
    server.route("POST", "/chat/conversation", _deep)
    with pytest.raises(ConversationError):
        hchat(server).create_conversation()


def test_deep_json_in_media_answers_and_ndjson_lines(server, tmp_path):
    server.route("GET", "/api/models/acme/img", lambda r, c, s: respond(c, 200, IMG_MAPPING))
    server.route("POST", "/fal-ai/acme/odd", _deep)
    with pytest.raises(MalformedResponseError):
        media(server, tmp_path).generate_image("acme/img:fal-ai", "a fox")
    _huggingchat_routes(server, lambda r, c, s: respond(c, 200, DEEP + b"\n", "text/plain"))
    with pytest.raises(ConversationError):
        list(hchat(server).ask(None, HI))


# -- 6. media URL policy -----------------------------------------------------------------------
IMG_MAPPING = mapping("fal-ai", task="text-to-image")
IMG_MAPPING["inferenceProviderMapping"]["fal-ai"]["providerId"] = "acme/odd"
SLOW = mapping("fal-ai", task="text-to-image")
SLOW["inferenceProviderMapping"]["fal-ai"]["providerId"] = "acme/slow"


def media(server: HostileServer, tmp_path: Path, **kwargs: Any) -> MediaClient:
    return MediaClient(
        TOKEN,
        base_url=server.url,
        hub_url=server.url,
        output_dir=tmp_path,
        poll_interval=0.05,
        retry_policy=FAST,
        **kwargs,
    )


def _media_answering(server: HostileServer, url: str) -> None:
    server.route("GET", "/api/models/acme/img", lambda r, c, s: respond(c, 200, IMG_MAPPING))
    server.route(
        "POST", "/fal-ai/acme/odd", lambda r, c, s: respond(c, 200, {"images": [{"url": url}]})
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://127.0.0.1:{port}/files/x.png",
        "https://localhost:{port}/files/x.png",
        "https://[::1]:{port}/files/x.png",
        "https://169.254.169.254/latest/meta-data/x.png",
        "https://10.1.2.3/x.png",
        "https://[::ffff:127.0.0.1]:{port}/x.png",
        "http://169.254.169.254/latest/meta-data/x.png",
    ],
)
def test_result_urls_on_non_public_hosts_are_refused(server, tmp_path, target):
    url = target.format(port=server.port)
    _media_answering(server, url)
    with pytest.raises(UnsafeURLError):
        media(server, tmp_path).generate_image("acme/img:fal-ai", "a fox")
    assert "/files/x.png" not in server.paths("GET")  # nothing was fetched
    assert list(tmp_path.iterdir()) == []


def test_html_declared_as_png_is_refused(server, tmp_path):
    page = b"<html><body>Not an image</body></html>"
    server.route("GET", "/files/x.png", lambda r, c, s: respond(c, 200, page, "image/png"))
    _media_answering(server, server.url + "/files/x.png")  # the router's own origin: allowed
    with pytest.raises(DownloadError, match="HTML page"):
        media(server, tmp_path).generate_image("acme/img:fal-ai", "a fox")
    assert "/files/x.png" in server.paths("GET")
    assert list(tmp_path.iterdir()) == []  # no file, not even a partial one


def test_media_deadline_covers_polling(server, tmp_path):
    server.route("GET", "/api/models/acme/slow", lambda r, c, s: respond(c, 200, SLOW))

    def submit(r: Request, conn: Any, s: HostileServer) -> None:
        url = "https://queue.fal.run/acme/slow/requests/r1"
        respond(conn, 200, {"request_id": "r1", "response_url": url, "status": "IN_QUEUE"})

    server.route("POST", "/fal-ai/acme/slow", submit)
    server.route(
        "GET",
        "/fal-ai/acme/slow/requests/r1/status",
        lambda r, c, s: respond(c, 200, {"status": "IN_QUEUE"}),
    )
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"deadline of 1\.5s"):
        media(server, tmp_path, deadline=1.5).generate_image("acme/slow:fal-ai", "a fox")
    assert time.monotonic() - start < 6


# -- HuggingChat helpers -----------------------------------------------------------------------
def hchat(server: HostileServer, **kwargs: Any) -> HuggingChatClient:
    return HuggingChatClient(cookies={"hf-chat": COOKIE}, base_url=server.url + "/chat", **kwargs)


def _huggingchat_routes(server: HostileServer, answer: Any) -> None:
    """A conversation that exists, whose answer is ``answer``."""
    cid = "6650f0c2a1b2c3d4e5f60718"
    server.routes = [r for r in server.routes if r[1] != "/chat/conversation"]
    server.route("POST", f"/chat/conversation/{cid}", answer)
    server.route(
        "POST", "/chat/conversation", lambda r, c, s: respond(c, 200, {"conversationId": cid})
    )
    messages = {"messages": [{"id": "0d4b1a2c-1111-2222-3333-444455556666"}]}
    server.route("GET", f"/chat/api/conversation/{cid}", lambda r, c, s: respond(c, 200, messages))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_huggingchat_stall_guard(server, mode):
    def answer(r: Request, conn: Any, s: HostileServer) -> None:
        head(conn, 200, "text/plain")
        conn.sendall(b'{"type":"stream","token":"Hel"}\n')
        trickle(conn, s, b'{"type":', every=0.1)

    _huggingchat_routes(server, answer)
    client = hchat(server, stall_timeout=1.5)
    start = time.monotonic()
    with pytest.raises(StreamInterruptedError) as info:
        if mode == "sync":
            list(client.ask(None, HI))
        else:

            async def go() -> None:
                async for _ in client.aask(None, HI):
                    pass

            asyncio.run(go())
    assert info.value.partial_text == "Hel"
    assert time.monotonic() - start < 8
