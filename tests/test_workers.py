"""Worker processes: what pickles (without its secrets) and works after unpickling in a spawned
process, what refuses with a TypeError saying how to build it there; and one client used from
many event loops and threads (issue #13 items 5 and 7)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _workers import provide_token, use_pickled

from hf_router import HuggingChat, HuggingFaceAPI, HuggingFaceMedia, RouterClient
from hf_router.errors import MissingTokenError

SECRET = "hf_pickle_SECRET_9f8e7d6c5b4a"
COOKIE = "cookie_SECRET_0a1b2c3d4e5f"
ROUTER = "https://router.huggingface.co/v1"  # requires a token; nothing is sent without one


@pytest.fixture
def worker_env(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment spawned workers inherit: the emulator's URLs, no token file."""
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty token file location
    monkeypatch.delenv("HF_TOKEN_PATH", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    return


def _in_worker(kind: str, obj: Any, prompt: str, model: str = "test/workers") -> dict[str, Any]:
    payload = pickle.dumps(obj)
    assert SECRET.encode() not in payload and COOKIE.encode() not in payload
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(use_pickled, kind, payload, model, prompt).result(timeout=120)


def _langchain(**kwargs: Any) -> Any:
    from langchain_hf_router import ChatHFRouter

    return ChatHFRouter(model="test/workers", **kwargs)


def _llama_index(**kwargs: Any) -> Any:
    from llama_index_hf_router import HFRouter

    return HFRouter("test/workers", **kwargs)


def _core(**kwargs: Any) -> Any:
    return RouterClient(**kwargs)


BUILDERS: dict[str, Callable[..., Any]] = {
    "RouterClient": _core,
    "ChatHFRouter": _langchain,
    "HFRouter": _llama_index,
}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_pickled_without_the_token_and_works_with_the_workers_env(
    kind: str, worker_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    obj = BUILDERS[kind](api_key=SECRET)
    monkeypatch.setenv("HF_TOKEN", "hf_worker_env_token")
    prompt = f"Summarise the {kind} worker report in one line."
    assert _in_worker(kind, obj, prompt) == {"text": prompt, "token_env": True}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_token_provider_travels_and_is_called_in_the_worker(
    kind: str, worker_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("WORKER_SECRET_STORE_TOKEN", SECRET)  # the provider's source, not pickled
    obj = BUILDERS[kind](token_provider=provide_token)
    prompt = "A provider-supplied token."
    assert _in_worker(kind, obj, prompt) == {"text": prompt, "token_env": False}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_no_token_in_the_worker_says_so(
    kind: str, worker_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    obj = BUILDERS[kind](api_key=SECRET, base_url=ROUTER)
    got = _in_worker(kind, obj, "hello")
    assert got["error"] == "MissingTokenError"
    assert "worker" in got["message"] and "token_provider" in got["message"]
    with pytest.raises(MissingTokenError, match="worker"):
        pickle.loads(pickle.dumps(RouterClient(SECRET, base_url=ROUTER))).chat("a/b", "hi")


def test_a_token_file_in_the_worker_is_enough(
    worker_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    (tmp_path / "token").write_text("hf_from_the_token_file\n", encoding="utf-8")
    got = _in_worker("RouterClient", RouterClient(SECRET), "Token file.")
    assert got == {"text": "Token file.", "token_env": False}


def test_the_chat_facade_pickles_and_works(
    worker_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_worker_env_token")
    got = _in_worker("HuggingFaceAPI", HuggingFaceAPI(), "")
    assert got.get("text"), got
    for facade in (HuggingFaceMedia(), HuggingChat()):
        assert type(pickle.loads(pickle.dumps(facade))) is type(facade)


def _refusers() -> dict[str, Callable[[], Any]]:
    from hf_router import HuggingChatClient, MediaClient
    from langchain_hf_router import HFMediaTool, HuggingChatSearchRetriever
    from llama_index_hf_router import HFMediaToolSpec, HuggingChatRetriever

    return {
        "MediaClient": lambda: MediaClient(SECRET),
        "HuggingChatClient": lambda: HuggingChatClient(cookies={"hf-chat": COOKIE}),
        "HFMediaTool": lambda: HFMediaTool(api_key=SECRET),
        "HFMediaToolSpec": lambda: HFMediaToolSpec(api_key=SECRET),
        "HuggingChatSearchRetriever": lambda: HuggingChatSearchRetriever(cookie=COOKIE),
        "HuggingChatRetriever": lambda: HuggingChatRetriever(cookie=COOKIE),
    }


@pytest.mark.parametrize("name", list(_refusers()))
def test_objects_that_hold_a_secret_refuse_with_a_how_to(name: str) -> None:
    obj = _refusers()[name]()
    with pytest.raises(TypeError, match="inside the worker") as info:
        pickle.dumps(obj)
    assert SECRET not in str(info.value) and COOKIE not in str(info.value)


def test_a_client_with_an_injected_httpx_client_refuses() -> None:
    import httpx

    with httpx.Client() as http:
        client = RouterClient(SECRET, http_client=http)
        with pytest.raises(TypeError, match="inside the worker"):
            pickle.dumps(client)


def test_pickles_keep_the_configuration(worker_env: None) -> None:
    client = RouterClient(
        SECRET,
        provider="together",
        fallback_models=["org/other"],
        headers={"X-Team": "search", "X-Api-Key": "key_SECRET"},
        max_tokens=77,
        bill_to="my-org",
    )
    payload = pickle.dumps(client)
    assert b"key_SECRET" not in payload and SECRET.encode() not in payload
    copy = pickle.loads(payload)
    assert (copy.provider, copy.fallback_models, copy.max_tokens) == (
        "together",
        ("org/other",),
        77,
    )
    assert copy.http.headers(auth=False)["X-Team"] == "search"
    assert "X-Api-Key" not in copy.http.headers(auth=False)
    assert copy.http.bill_to == "my-org"


LOOPS_SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, sys, threading, warnings
    from hf_router import RouterClient

    client = RouterClient("hf_loops_token", base_url=sys.argv[1], hub_url=sys.argv[2])
    messages = [{"role": "user", "content": "one of many loops"}]

    async def ask():
        return (await client.achat("test/loops", messages)).text

    texts = [asyncio.run(ask()) for _ in range(20)]
    gc.collect()
    sequential = client.http.async_clients_created

    def thread():
        async def five():
            return [await ask() for _ in range(5)]
        texts.extend(asyncio.run(five()))

    threads = [threading.Thread(target=thread) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gc.collect()
    assert texts == ["one of many loops"] * 60, texts
    print(sequential, client.http.async_clients_created - sequential)
    """
)


def test_many_event_loops_and_threads_close_what_they_open(emulator: Any, tmp_path: Path) -> None:
    script = tmp_path / "loops.py"
    script.write_text(LOOPS_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::ResourceWarning",
            "-X",
            "dev",
            str(script),
            emulator.base_url,
            emulator.hub_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ResourceWarning" not in done.stderr and "unclosed" not in done.stderr, done.stderr
    sequential, threaded = map(int, done.stdout.split())
    assert sequential == 20  # one pool per loop (connections cannot cross loops), each closed
    assert threaded == 8  # one pool per thread's loop, reused by its five calls
