"""The sharded connection pools: requests spread over small pools, every finished, failed or
cancelled request gives its slot back, and an environment proxy keeps httpx's own pool."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import pytest

from hf_router import RetryPolicy, RouterClient, TextDelta
from hf_router._shared.pool import SHARD_SIZE, ShardedAsyncTransport, new_async_client
from hf_router.errors import HFRouterError


def _transport(client: RouterClient) -> ShardedAsyncTransport:
    transport = client.http.aclient._transport
    assert isinstance(transport, ShardedAsyncTransport)
    return transport


@pytest.fixture(scope="module")
def own_emulator() -> Any:
    """A process-mode emulator: no GIL shared with the client whose slots are counted."""
    from hf_router.testing import RouterEmulator

    with RouterEmulator(process=True) as emu:
        yield emu


async def test_slots_come_back_after_answers_errors_and_cancels(own_emulator: Any) -> None:
    emulator = own_emulator
    emulator.add_model("pool/cut", providers=["together"])
    emulator.set_fault("cut_after=3", model="pool/cut")
    emulator.add_model("pool/slow", providers=["together"])
    emulator.set_fault("slow_first_token=5", model="pool/slow")
    client = RouterClient(
        "hf_pool_token",
        base_url=emulator.base_url,
        hub_url=emulator.hub_url,
        retry_policy=RetryPolicy(max_retries=0),
    )
    transport = _transport(client)
    messages = [{"role": "user", "content": "a reply of several words to stream back"}]

    async def stream_some(model: str, stop_after: int | None) -> None:
        seen = 0
        async with contextlib.aclosing(client.astream_chat(model, messages)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    seen += 1
                    if stop_after is not None and seen >= stop_after:
                        break  # the caller walks away mid-stream

    answers = client.abatch("test/pool", [messages] * 40, concurrency=40)
    cut = [stream_some("pool/cut", None) for _ in range(5)]
    abandoned = [stream_some("test/pool", 1) for _ in range(5)]
    # bounded, so that a stuck slot fails here, saying where, instead of hanging the run
    results = await asyncio.wait_for(
        asyncio.gather(answers, *cut, *abandoned, return_exceptions=True), 60
    )
    assert all(r.text == messages[0]["content"] for r in results[0])
    assert all(isinstance(r, HFRouterError) for r in results[1:6])
    slow = asyncio.ensure_future(client.achat("pool/slow", messages))
    await asyncio.sleep(0.5)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(slow, 30)
    assert sum(transport._busy) == 0, transport
    opened = [s for s in transport._shards if s is not None]
    assert 40 // SHARD_SIZE <= len(opened) <= len(transport._shards)
    await asyncio.wait_for(client.aclose(), 30)


async def test_light_use_stays_on_one_pool(emulator: Any) -> None:
    client = RouterClient("hf_pool_token", base_url=emulator.base_url, hub_url=emulator.hub_url)
    for _ in range(5):
        await client.achat("test/pool", [{"role": "user", "content": "one at a time"}])
    transport = _transport(client)
    assert [s is not None for s in transport._shards[:2]] == [True, False]
    await client.aclose()


def test_an_environment_proxy_keeps_httpx_proxy_support(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = new_async_client(10.0)
    assert not isinstance(client._transport, ShardedAsyncTransport)
    assert any(m is not None for m in client._mounts.values())  # httpx's proxy mount
    asyncio.run(client.aclose())
    monkeypatch.delenv("HTTPS_PROXY")
    for name in ("HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = new_async_client(10.0)
    assert isinstance(client._transport, ShardedAsyncTransport)
    assert isinstance(client, httpx.AsyncClient)
    asyncio.run(client.aclose())
