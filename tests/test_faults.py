"""One end-to-end test per fault scenario of SPEC 6: real client, real emulator, real sockets."""

from __future__ import annotations

import time

import pytest

from hf_router import (
    Fallback,
    Finish,
    ProviderInfo,
    RetryPolicy,
    RouterClient,
    TextDelta,
)
from hf_router.errors import (
    AllProvidersFailedError,
    AuthenticationError,
    BadRequestError,
    HFRouterError,
    MalformedResponseError,
    ModelLoadingError,
    ModelNotSupportedError,
    PaymentRequiredError,
    PermissionDeniedError,
    ProviderError,
    StreamInterruptedError,
    TimeoutError,
)
from hf_router.testing import RouterEmulator

MODEL = "acme/chat-7b"
HELLO = [{"role": "user", "content": "one two three four five six"}]
FAST_RETRY = RetryPolicy(max_retries=2, initial_backoff=0.01, max_backoff=0.05, jitter=0.0)


@pytest.fixture
def client(emulator: RouterEmulator) -> RouterClient:
    return RouterClient(
        "hf_test", base_url=emulator.base_url, hub_url=emulator.hub_url, retry_policy=FAST_RETRY
    )


def chat_posts(emulator: RouterEmulator) -> list[dict]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


def text_of(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


# -- 402: fall back to the next provider ----------------------------------------------------


def test_402_on_first_provider_falls_back_and_says_who_served(emulator, client):
    emulator.set_fault("402", model=MODEL, provider="together")
    events = list(client.stream_chat(MODEL, HELLO))
    info = [e for e in events if isinstance(e, ProviderInfo)]
    assert len(info) == 1
    assert info[0].provider == "cerebras"
    assert info[0].attempt == 2
    fallbacks = [e for e in events if isinstance(e, Fallback)]
    assert [(f.provider, f.status_code, f.error_type) for f in fallbacks] == [
        ("together", 402, "PaymentRequiredError")
    ]
    assert text_of(events) == "one two three four five six"
    assert [p["model"] for p in chat_posts(emulator)] == [MODEL, f"{MODEL}:cerebras"]


async def test_402_fallback_async_aggregated(emulator, client):
    emulator.set_fault("402", model=MODEL, provider="together")
    result = await client.achat(MODEL, HELLO)
    assert result.text == "one two three four five six"
    assert result.provider == "cerebras"
    assert result.provider_info.attempt == 2
    assert result.fallbacks[0].provider == "together"


def test_fallback_models_after_every_provider_failed(emulator, client):
    emulator.set_fault("402", model=MODEL)
    result = client.chat(MODEL, HELLO, fallback_models=["acme/backup-1b"])
    assert result.text == "one two three four five six"
    assert result.provider_info.model == "acme/backup-1b"
    # router's choice, then cerebras from the mapping (together already failed), then backup
    assert [p["model"] for p in chat_posts(emulator)] == [
        MODEL,
        f"{MODEL}:cerebras",
        "acme/backup-1b",
    ]


def test_all_providers_failed_lists_every_attempt(emulator, client):
    emulator.set_fault("402")
    with pytest.raises(AllProvidersFailedError) as info:
        client.chat(MODEL, HELLO, fallback_models=["acme/backup-1b"])
    err = info.value
    assert [(a.model, a.provider) for a in err.attempts] == [
        (MODEL, "together"),
        (MODEL, "cerebras"),
        ("acme/backup-1b", "together"),
        ("acme/backup-1b", "cerebras"),
    ]
    assert all(isinstance(a.error, PaymentRequiredError) for a in err.attempts)
    assert "4 attempts failed" in str(err)


def test_pinned_provider_402_is_raised_as_is(emulator, client):
    emulator.set_fault("402", provider="cerebras")
    with pytest.raises(PaymentRequiredError) as info:
        client.chat(f"{MODEL}:cerebras", HELLO)
    assert info.value.provider == "cerebras"
    assert "billing" in str(info.value)
    assert len(chat_posts(emulator)) == 1


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("404", ModelNotSupportedError),
        ("model_not_supported", ModelNotSupportedError),
        ("403", PermissionDeniedError),
    ],
)
def test_unsupported_or_gated_provider_falls_back(emulator, client, fault, error):
    emulator.set_fault(fault, model=MODEL, provider="together")
    result = client.chat(MODEL, HELLO)
    assert result.provider == "cerebras"
    assert result.fallbacks[0].error_type == error.__name__


# -- 401: never falls back, never retried ---------------------------------------------------


def test_401_raises_authentication_error_at_once(emulator):
    client = RouterClient(
        "not-a-hf-token",
        base_url=emulator.base_url,
        hub_url=emulator.hub_url,
        retry_policy=FAST_RETRY,
    )
    with pytest.raises(AuthenticationError) as info:
        client.chat(MODEL, HELLO, fallback_models=["acme/backup-1b"])
    assert "Invalid username or password" in str(info.value)
    assert "settings/tokens" in str(info.value)
    assert len(chat_posts(emulator)) == 1


def test_422_is_not_retried_nor_falls_back(emulator, client):
    emulator.set_fault("422")
    with pytest.raises(BadRequestError):
        client.chat(MODEL, HELLO, fallback_models=["acme/backup-1b"])
    assert len(chat_posts(emulator)) == 1


# -- 429 / 503 / 500: retried within the attempt --------------------------------------------


def test_429_is_retried_after_retry_after(emulator, client):
    emulator.set_fault("429:retry_after=1", model=MODEL, times=1)
    started = time.monotonic()
    result = client.chat(MODEL, HELLO)
    elapsed = time.monotonic() - started
    assert result.text == "one two three four five six"
    assert result.provider_info.attempt == 1  # same attempt, retried
    logged = [r for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert len(logged) == 2
    assert logged[1].time - logged[0].time >= 0.95
    assert elapsed >= 0.95


async def test_503_loading_is_retried_with_estimated_time(emulator, client):
    emulator.set_fault("503:estimated_time=0.3", model=MODEL, times=1)
    result = await client.achat(MODEL, HELLO)
    assert result.text == "one two three four five six"
    assert len(chat_posts(emulator)) == 2


def test_503_loading_beyond_budget_falls_back(emulator):
    client = RouterClient(
        "hf_test",
        base_url=emulator.base_url,
        hub_url=emulator.hub_url,
        retry_policy=RetryPolicy(max_retries=2, initial_backoff=0.01, max_retry_after=5.0),
    )
    emulator.set_fault("503:estimated_time=600", model=MODEL, provider="together")
    result = client.chat(MODEL, HELLO)
    assert result.provider == "cerebras"
    assert result.fallbacks[0].error_type == ModelLoadingError.__name__
    assert len(chat_posts(emulator)) == 2  # no retry of a 10-minute load


def test_500_is_retried_then_served(emulator, client):
    emulator.set_fault("500", model=MODEL, times=2)
    result = client.chat(MODEL, HELLO)
    assert result.text == "one two three four five six"
    assert result.provider_info.attempt == 1
    assert len(chat_posts(emulator)) == 3


def test_500_after_retries_falls_back(emulator, client):
    emulator.set_fault("500", model=MODEL, provider="together")
    result = client.chat(MODEL, HELLO)
    assert result.provider == "cerebras"
    assert result.fallbacks[0].error_type == ProviderError.__name__
    assert len(chat_posts(emulator)) == 4  # 1 + 2 retries on together, then cerebras


def test_html_error_page_is_summarised_not_dumped(emulator, client):
    emulator.set_fault("html_error", model=MODEL)
    with pytest.raises(HFRouterError) as info:
        client.chat(f"{MODEL}:together", HELLO)
    text = str(info.value)
    assert "HTML page" in text
    assert "<html" not in text.lower()
    assert "<body" not in text.lower()
    assert len(text) < 600


# -- broken streams ------------------------------------------------------------------------


def test_stream_cut_after_n_chunks_keeps_exactly_the_delivered_text(emulator, client):
    emulator.set_fault("cut_after=3", model=MODEL)
    delivered: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        for event in client.stream_chat(MODEL, HELLO, fallback_models=["acme/backup-1b"]):
            if isinstance(event, TextDelta):
                delivered.append(event.text)
    assert "".join(delivered) == "one two three"
    assert info.value.partial_text == "one two three"
    assert info.value.provider == "together"
    assert len(chat_posts(emulator)) == 1  # never restarted after the first token


async def test_stream_cut_async(emulator, client):
    emulator.set_fault("cut_after=2", model=MODEL)
    delivered: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        async for event in client.astream_chat(MODEL, HELLO):
            if isinstance(event, TextDelta):
                delivered.append(event.text)
    assert info.value.partial_text == "".join(delivered) == "one two"


def test_stream_cut_before_any_token_falls_back(emulator, client):
    emulator.set_fault("cut_after=0", model=MODEL, provider="together")
    events = list(client.stream_chat(MODEL, HELLO))
    assert text_of(events) == "one two three four five six"
    assert [e.provider for e in events if isinstance(e, ProviderInfo)] == ["cerebras"]


def test_malformed_sse_raises_typed_error_without_duplicating_text(emulator, client):
    emulator.set_fault("malformed_sse", model=MODEL)
    delivered: list[str] = []
    with pytest.raises(HFRouterError) as info:
        for event in client.stream_chat(f"{MODEL}:together", HELLO):
            if isinstance(event, TextDelta):
                delivered.append(event.text)
    err = info.value
    if delivered:
        assert isinstance(err, StreamInterruptedError)
        assert err.partial_text == "".join(delivered)
    else:
        assert isinstance(err, MalformedResponseError)
    assert len(chat_posts(emulator)) == 1


def test_midstream_error_object_is_raised_typed(emulator, client):
    emulator.set_fault("midstream_error", model=MODEL)
    delivered: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        for event in client.stream_chat(MODEL, HELLO):
            if isinstance(event, TextDelta):
                delivered.append(event.text)
    assert info.value.partial_text == "".join(delivered) == "one two"
    assert info.value.server_message


def test_stream_ending_without_done_is_an_error_not_a_silent_truncation(emulator, client):
    emulator.set_fault("end_without_done", model=MODEL)
    with pytest.raises(StreamInterruptedError) as info:
        list(client.stream_chat(f"{MODEL}:together", HELLO))
    assert info.value.partial_text == "one two three four five six"


def test_invalid_json_answer(emulator, client):
    emulator.set_fault("invalid_json", model=MODEL)
    with pytest.raises(MalformedResponseError) as info:
        client.chat(f"{MODEL}:together", HELLO)
    assert "invalid JSON" in str(info.value)


def test_json_answer_to_a_streaming_request_is_handled_whole(emulator, client):
    emulator.set_fault("json_stream", model=MODEL)
    events = list(client.stream_chat(MODEL, HELLO))
    assert text_of(events) == "one two three four five six"
    assert isinstance(events[-1], Finish)
    assert isinstance(events[0], ProviderInfo)


# -- slow servers and big answers -----------------------------------------------------------


def test_slow_first_token_beyond_timeout_raises_timeout_error(emulator):
    client = RouterClient(
        "hf_test",
        base_url=emulator.base_url,
        hub_url=emulator.hub_url,
        timeout=0.3,
        retry_policy=RetryPolicy(max_retries=0),
    )
    emulator.set_fault("slow_first_token=1.5", model=MODEL)
    with pytest.raises(TimeoutError) as info:
        client.chat(f"{MODEL}:together", HELLO)
    assert "timeout" in str(info.value).lower()


async def test_slow_tokens_still_stream_in_order(emulator, client):
    emulator.set_fault("slow_tokens=0.02", model=MODEL)
    arrivals: list[float] = []
    texts: list[str] = []
    async for event in client.astream_chat(MODEL, HELLO):
        if isinstance(event, TextDelta):
            arrivals.append(time.monotonic())
            texts.append(event.text)
    assert "".join(texts) == "one two three four five six"
    assert arrivals[-1] - arrivals[0] >= 0.08  # tokens arrived over time, not all at once


def test_huge_answer(emulator, client):
    emulator.set_fault("length=20000", model=MODEL)
    result = client.chat(MODEL, HELLO, max_tokens=50000)
    words = result.text.split()
    assert len(words) == 20000
    assert words[0] == "tok0" and words[-1] == "tok19999"
    assert result.usage is not None and result.usage.output_tokens == 20000
