"""The token never appears in reprs, logs, exception texts, pickles or the emulator's log."""

from __future__ import annotations

import logging
import pickle

import httpx
import pytest

from hf_router import HuggingFaceAPI, RetryPolicy, RouterClient, Secret, find_token
from hf_router.errors import HFRouterError, StreamInterruptedError
from hf_router.testing import RouterEmulator

TOKEN = "hf_SuperSecretToken0123456789abcdef"
MODEL = "acme/chat-7b"
HI = [{"role": "user", "content": "hello"}]


def assert_clean(text: str) -> None:
    assert TOKEN not in text
    assert TOKEN[3:] not in text  # not even without the prefix


@pytest.fixture
def client(emulator: RouterEmulator) -> RouterClient:
    return RouterClient(
        TOKEN,
        base_url=emulator.base_url,
        hub_url=emulator.hub_url,
        retry_policy=RetryPolicy(max_retries=1, initial_backoff=0.01),
    )


def test_reprs_do_not_show_the_token(client):
    for obj in (client, client.http, client.http.token, client.catalog):
        assert_clean(repr(obj))
        assert_clean(str(obj))
    assert_clean(repr(find_token(TOKEN)))
    assert_clean(repr(vars(client)))


def test_secret_refuses_to_pickle():
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(TOKEN))


def test_logs_and_errors_of_every_failure_are_clean(client, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    for fault in ["402", "500", "html_error", "cut_after=2", "malformed_sse", "401", "404"]:
        emulator.reset()
        emulator.set_fault(fault)
        try:
            list(client.stream_chat(MODEL, HI, fallback_models=["acme/other"]))
        except HFRouterError as exc:
            errors.append(exc)
    assert len(errors) == 7
    assert any(isinstance(e, StreamInterruptedError) for e in errors)
    for exc in errors:
        assert_clean(str(exc))
        assert_clean(repr(exc))
        assert_clean(repr(vars(exc)))
        restored = pickle.loads(pickle.dumps(exc))
        assert_clean(str(restored))
    assert_clean(caplog.text)
    assert "Attempt 1" in caplog.text  # the log did capture the failures


def test_emulator_log_masks_the_token(client, emulator):
    client.chat(MODEL, HI)
    logged = emulator.requests[-1].headers["authorization"]
    assert logged == "Bearer hf_***"


def test_a_server_echoing_the_token_is_redacted():
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": f"bad header {request.headers['authorization']}"})

    client = RouterClient(
        TOKEN,
        base_url="http://127.0.0.1:1/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(echo)),
    )
    with pytest.raises(HFRouterError) as info:
        client.chat(MODEL, HI)
    assert_clean(str(info.value))
    assert "***" in str(info.value)


async def test_facade_and_results_are_clean(emulator, monkeypatch):
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    HuggingFaceAPI._clients.clear()
    chunks = [c async for c in HuggingFaceAPI.create_async_generator(MODEL, HI, api_key=TOKEN)]
    assert_clean(repr(chunks))
    assert_clean(repr(HuggingFaceAPI._clients))
    HuggingFaceAPI._clients.clear()
