"""RouterClient.abatch / batch against the emulator in process mode: 2,000 rows with faults,
order, nothing lost or duplicated, the shared 429 gate, rate limits, progress and validation."""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from hf_router import BatchProgress, ChatResult, RetryPolicy, RouterClient
from hf_router.errors import (
    AllProvidersFailedError,
    BadRequestError,
    HFRouterError,
    InvalidInputError,
    ProviderError,
    RateLimitError,
    StreamInterruptedError,
)
from hf_router.testing import RouterEmulator

TOKEN = "hf_batch_test_token"
# model -> (fault spec, provider the fault applies to)
FAULTS: dict[str, tuple[str | None, str | None]] = {
    "batch/ok": (None, None),
    "batch/r429": ("429:retry_after=0", None),  # every provider: the row ends rate limited
    "batch/r402": ("402", "together"),  # out of credits there: falls back to nebius
    "batch/r400": ("400", None),  # the input is rejected: no fallback
    "batch/r500": ("500", None),  # every provider fails
    "batch/cut": ("cut_after=1", None),  # the body is cut mid-answer
}
# about one row in five is faulty, the rest answer
CYCLE = ["batch/ok"] * 6 + ["batch/r402", "batch/ok", "batch/r400", "batch/r500"]


@pytest.fixture(scope="module")
def emu() -> Iterator[RouterEmulator]:
    with RouterEmulator(process=True) as emulator:
        yield emulator


@pytest.fixture
def fresh(emu: RouterEmulator) -> RouterEmulator:
    emu.reset()
    for model, (spec, provider) in FAULTS.items():
        emu.add_model(model, providers=["together", "nebius"])
        if spec:
            emu.set_fault(spec, model=model, provider=provider)
    return emu


def _client(emu: RouterEmulator, **kwargs: Any) -> RouterClient:
    policy = kwargs.pop(
        "retry_policy", RetryPolicy(max_retries=1, initial_backoff=0.01, jitter=0.0)
    )
    return RouterClient(
        TOKEN, base_url=emu.base_url, hub_url=emu.hub_url, retry_policy=policy, **kwargs
    )


def _prompt(i: int) -> str:
    return f"Row {i}: summarise the quarterly report for region {i % 17} in two sentences."


def _model_of(i: int) -> str:
    # A model that answers 429 to everything is served one probe at a time by the client's
    # gate (that is the point of it), so only one row in fifty goes there.
    if i % 50 == 3:
        return "batch/r429"
    return "batch/cut" if i % 97 == 0 else CYCLE[i % len(CYCLE)]


def _root(error: HFRouterError) -> list[HFRouterError]:
    if isinstance(error, AllProvidersFailedError):
        return [a.error for a in error.attempts]
    return [error]


@pytest.mark.slow
async def test_2000_rows_in_order_with_typed_errors(fresh: RouterEmulator) -> None:
    rows = [
        {"messages": [{"role": "user", "content": _prompt(i)}], "model": _model_of(i)}
        for i in range(2000)
    ]
    seen: list[BatchProgress] = []
    client = _client(fresh)
    results = await client.abatch(None, rows, concurrency=64, progress=seen.append)

    assert len(results) == 2000
    assert [p.done for p in seen] == list(range(1, 2001))
    assert sorted(p.index for p in seen) == list(range(2000))
    assert seen[-1].failed == sum(isinstance(r, HFRouterError) for r in results)
    for i, result in enumerate(results):
        model = _model_of(i)
        if model in ("batch/ok", "batch/r402"):
            assert isinstance(result, ChatResult), (i, result)
            assert result.text == _prompt(i)
            assert result.provider == ("nebius" if model == "batch/r402" else "together")
            assert bool(result.fallbacks) == (model == "batch/r402")
            continue
        assert isinstance(result, HFRouterError), (i, result)
        causes = _root(result)
        expected = {
            "batch/r429": RateLimitError,
            "batch/r400": BadRequestError,
            "batch/r500": ProviderError,
            # whole answers are streamed under the hood: text had arrived, so no restart
            "batch/cut": StreamInterruptedError,
        }[model]
        assert all(isinstance(c, expected) for c in causes), (i, result)
        assert result.model is None or result.model.startswith(model)

    # Nothing lost or duplicated on the wire: each healthy row was asked exactly once.
    asked = collections.Counter(
        r.json["messages"][-1]["content"]
        for r in fresh.requests
        if r.path.endswith("/chat/completions") and r.json["model"] == "batch/ok"
    )
    healthy = [i for i in range(2000) if _model_of(i) == "batch/ok"]
    assert asked == collections.Counter(_prompt(i) for i in healthy)


def _count_429s(emu: RouterEmulator, model: str, rows: int) -> int:
    """Requests to ``model`` minus its rows: while the fault holds every request is a 429, and
    afterwards each row needs exactly one."""
    sent = sum(1 for r in emu.requests if r.json and r.json.get("model", "").startswith(model))
    return sent - rows


def _limited_run(emu: RouterEmulator, gate: bool) -> tuple[list[Any], int]:
    emu.reset()
    model = "gate/limited"
    emu.add_model(model, providers=["together"])
    emu.set_fault("429:retry_after=1", model=model)  # a provider-wide limit for 2.5 s
    timer = threading.Timer(2.5, emu.clear_faults)
    client = _client(
        emu, use_hub_mapping=False, retry_policy=RetryPolicy(max_retries=20, max_backoff=1.0)
    )
    client.http.gate.enabled = gate
    timer.start()
    try:
        results = client.batch(model, [_prompt(i) for i in range(96)], concurrency=32)
    finally:
        timer.cancel()
        client.close()
    return results, _count_429s(emu, model, 96)


@pytest.mark.slow
def test_the_429_gate_sends_fewer_requests_into_a_rate_limit(emu: RouterEmulator) -> None:
    gated, gated_429s = _limited_run(emu, gate=True)
    ungated, ungated_429s = _limited_run(emu, gate=False)
    for results in (gated, ungated):
        assert [r.text for r in results] == [_prompt(i) for i in range(96)]
    # Without the gate each of the 32 slots retries into the limit every second (about 3
    # rounds); with it, the first wave's 429s close the gate and single probes test it.
    assert ungated_429s >= 64
    assert gated_429s < ungated_429s / 1.5, (gated_429s, ungated_429s)


def test_max_requests_per_second_spaces_the_sends(fresh: RouterEmulator) -> None:
    client = _client(fresh)
    results = client.batch(
        "batch/ok", [_prompt(i) for i in range(30)], concurrency=30, max_requests_per_second=20
    )
    assert [r.text for r in results] == [_prompt(i) for i in range(30)]
    times = sorted(r.time for r in fresh.requests if r.path.endswith("/chat/completions"))
    assert len(times) == 30
    # 20 per second with a burst of 2: the last send is at least ~1.4 s after the first.
    assert times[-1] - times[0] >= 1.0


def test_per_row_parameters_and_plain_rows(fresh: RouterEmulator) -> None:
    client = _client(fresh)
    rows: list[Any] = [
        "A plain string row.",
        [{"role": "user", "content": "A message-list row with several words."}],
        {"messages": "Cut me short please now", "max_tokens": 2},
        {"messages": "Echo from the other model.", "model": "batch/r402"},
    ]
    results = client.batch("batch/ok", rows, temperature=0.2)
    assert [type(r) for r in results] == [ChatResult] * 4
    assert results[0].text == "A plain string row."
    assert results[1].text == "A message-list row with several words."
    assert results[2].text == "Cut me" and results[2].finish_reason == "length"
    assert results[3].provider == "nebius" and results[3].fallbacks
    sent = [r.json for r in fresh.requests if r.path.endswith("/chat/completions")]
    assert all(body["temperature"] == 0.2 for body in sent)


def test_a_bad_row_is_its_own_error(fresh: RouterEmulator) -> None:
    client = _client(fresh)
    results = client.batch("batch/ok", ["fine", {"content": "no messages key"}, "also fine"])
    assert results[0].text == "fine" and results[2].text == "also fine"
    assert isinstance(results[1], InvalidInputError)
    assert "Row 1" in str(results[1]) and "messages" in str(results[1])


async def test_on_error_raise_stops_the_batch(fresh: RouterEmulator) -> None:
    client = _client(fresh)
    rows = [
        {"messages": _prompt(i), "model": "batch/r400" if i == 5 else "batch/ok"} for i in range(50)
    ]
    with pytest.raises(BadRequestError):
        await client.abatch(None, rows, concurrency=4, on_error="raise")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"on_error": "ignore"}, "on_error"),
        ({"max_requests_per_second": -1}, "max_requests_per_second"),
    ],
)
def test_bad_arguments_are_typed_errors(fresh: RouterEmulator, kwargs: dict, needle: str) -> None:
    client = _client(fresh)
    with pytest.raises(InvalidInputError, match=needle):
        client.batch("batch/ok", ["hi"], **kwargs)
    with pytest.raises(InvalidInputError, match="list of rows"):
        client.batch("batch/ok", "not a list")
    assert fresh.requests == []


async def test_sync_batch_works_inside_a_running_loop(fresh: RouterEmulator) -> None:
    client = _client(fresh)
    results = client.batch("batch/ok", ["from a notebook cell", "second"])
    assert [r.text for r in results] == ["from a notebook cell", "second"]
    assert (await client.abatch("batch/ok", [])) == []
    await asyncio.sleep(0)


def test_a_long_pause_is_not_waited_for_the_row_falls_back(fresh: RouterEmulator) -> None:
    fresh.add_model("gate/long", providers=["together", "nebius"])
    fresh.set_fault("429:retry_after=120", model="gate/long", provider="together")
    client = _client(fresh)
    first = client.chat("gate/long", [{"role": "user", "content": "first"}])
    assert first.provider == "nebius" and first.fallbacks
    fresh.clear_requests()
    rows = [f"row {i} after the long 429" for i in range(10)]
    results = client.batch("gate/long", rows, concurrency=5)
    assert [r.text for r in results] == rows
    assert all(r.provider == "nebius" for r in results)
    # the gate refused the paused route at once: nothing more was sent to it
    sent = [r.json["model"] for r in fresh.requests if r.path.endswith("/chat/completions")]
    assert "gate/long" not in sent and sent.count("gate/long:nebius") == 10
