"""Scenarios 3, 4 and 6: failover time, the mapping cache, and non-streaming latency overhead."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from _common import (
    FAILOVER_MODEL,
    MAPPING_MODEL,
    SMALL_MODEL,
    SMALL_PROMPT,
    TOKEN,
    Contender,
    Row,
    interleaved_cpu,
    interleaved_wall,
    median_spread,
)

FAILOVER = "3. failover 402 → next provider (added wall ms)"
MAPPING = "4. mapping cache (Hub mapping requests per 100 calls)"
LATENCY = "6. non-streaming small answer (wall ms per call)"


def _core_client(emu: Any) -> Any:
    from hf_router import RouterClient

    return RouterClient(TOKEN, base_url=emu.base_url, hub_url=emu.hub_url)


def _chat_hf_router(emu: Any, model: str) -> Any:
    from langchain_hf_router import ChatHFRouter

    return ChatHFRouter(model=model, api_key=TOKEN, base_url=emu.base_url, hub_url=emu.hub_url)


# -- 3. failover ----------------------------------------------------------------------------------
async def failover(emu: Any, rounds: int) -> tuple[list[Row], list[Any]]:
    """Wall time of a small answer when the first provider answers 402, minus the same answer
    asked of the serving provider directly."""
    client = _core_client(emu)

    async def through_402() -> int:
        result = await client.achat(FAILOVER_MODEL, SMALL_PROMPT)
        if result.provider != "cerebras" or not result.fallbacks:
            raise RuntimeError(f"expected a fallback to cerebras, got {result}")
        return 1

    async def direct() -> int:
        result = await client.achat(f"{FAILOVER_MODEL}:cerebras", SMALL_PROMPT)
        if result.provider != "cerebras" or result.fallbacks:
            raise RuntimeError(f"expected cerebras without a fallback, got {result}")
        return 1

    contenders = [
        Contender("402 then cerebras", through_402),
        Contender("cerebras directly", direct),
    ]
    try:
        samples = await interleaved_wall(contenders, rounds)
    finally:
        await client.aclose()
    failed = sorted(s * 1000 for s in samples["402 then cerebras"])
    plain = sorted(s * 1000 for s in samples["cerebras directly"])
    added = [f - p for f, p in zip(failed, plain, strict=True)]
    med, spread = median_spread(added)
    f_med, _ = median_spread(failed)
    p_med, _ = median_spread(plain)
    note = f"RouterClient.achat: {f_med:.2f} ms with the 402, {p_med:.2f} ms without"
    rows = [Row(FAILOVER, "hf_router RouterClient.achat", med, spread, "ms added", note=note)]
    return rows, [("failover 402 → next provider < 50 ms", f"{med:.2f} ms", med < 50)]


# -- 4. mapping cache ------------------------------------------------------------------------------
def _mapping_requests(emu: Any) -> int:
    return sum(1 for r in emu.requests if r.path.startswith("/api/models/"))


async def mapping(emu: Any, calls: int = 100) -> tuple[list[Row], list[Any]]:
    """Hub mapping requests made for ``calls`` answers from one model, sequential and
    concurrent, through the core and through ChatHFRouter (each with a fresh client).

    Every call needs the mapping (the first provider answers 402, and the next one is found in
    the mapping); a call the router's own choice serves needs none at all.
    """
    rows: list[Row] = []
    counts: dict[str, int] = {}

    async def measure(name: str, work: Any) -> None:
        emu.clear_requests()
        await work()
        counts[name] = _mapping_requests(emu)
        note = f"{calls} calls, {counts[name]} mapping request(s)"
        rows.append(Row(MAPPING, name, float(counts[name]), "-", "requests", note=note))

    async def core_sequential() -> None:
        async with _core_client(emu) as client:
            for _ in range(calls):
                await client.achat(MAPPING_MODEL, SMALL_PROMPT)

    async def core_concurrent() -> None:
        async with _core_client(emu) as client:
            await asyncio.gather(*(client.achat(MAPPING_MODEL, SMALL_PROMPT) for _ in range(calls)))

    async def no_fallback() -> None:
        async with _core_client(emu) as client:
            for _ in range(calls):
                await client.achat(SMALL_MODEL, SMALL_PROMPT)

    await measure("RouterClient.achat, no fallback needed", no_fallback)
    no_fallback_count = counts.pop("RouterClient.achat, no fallback needed")
    await measure("RouterClient.achat, sequential", core_sequential)
    await measure("RouterClient.achat, concurrent", core_concurrent)
    try:
        llm = _chat_hf_router(emu, MAPPING_MODEL)
    except ImportError as exc:
        rows.append(Row(MAPPING, "ChatHFRouter.ainvoke", None, "-", "requests", note=str(exc)))
    else:

        async def lc_concurrent() -> None:
            await asyncio.gather(*(llm.ainvoke("hello world") for _ in range(calls)))

        await measure("ChatHFRouter.ainvoke, concurrent", lc_concurrent)
    worst = max(counts.values())
    met = worst == 1 and no_fallback_count == 0
    return rows, [("one mapping request per model (100 calls)", f"max {worst}", met)]


# -- 6. non-streaming latency ----------------------------------------------------------------------
def _latency_contenders(emu: Any) -> list[Contender]:
    raw = httpx.AsyncClient(timeout=60)
    body = {"model": SMALL_MODEL, "messages": SMALL_PROMPT, "max_tokens": 64}
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def raw_post() -> int:
        response = await raw.post(f"{emu.base_url}/chat/completions", json=body, headers=headers)
        response.raise_for_status()
        response.json()
        return 1

    contenders = [Contender("raw httpx POST + json", raw_post, raw.aclose)]
    core = _core_client(emu)

    async def core_achat() -> int:
        await core.achat(SMALL_MODEL, SMALL_PROMPT, max_tokens=64)
        return 1

    contenders.append(Contender("hf_router RouterClient.achat", core_achat, core.aclose))
    contenders.extend(_framework_latency(emu))
    return contenders


def _framework_latency(emu: Any) -> list[Contender]:
    out: list[Contender] = []
    builders = {
        "ChatHFRouter.ainvoke": lambda: _chat_hf_router(emu, SMALL_MODEL),
        "ChatOpenAI.ainvoke (langchain-openai)": lambda: _chat_openai(emu),
        "HFRouter.achat": lambda: _hf_router_li(emu),
        "OpenAILike.achat (llama-index-llms-openai-like)": lambda: _openai_like(emu),
    }
    for name, build in builders.items():
        try:
            model = build()
        except ImportError as exc:
            out.append(Contender(name, _never, unavailable=f"{type(exc).__name__}: {exc}"))
            continue
        out.append(Contender(name, _invoker(model)))
    return out


async def _never() -> int:  # pragma: no cover - unavailable contenders are never run
    raise RuntimeError("unavailable")


def _invoker(model: Any) -> Any:
    if hasattr(model, "ainvoke"):

        async def call() -> int:
            await model.ainvoke("hello world")
            return 1

        return call
    from llama_index.core.llms import ChatMessage

    messages = [ChatMessage(role="user", content="hello world")]

    async def chat() -> int:
        await model.achat(messages)
        return 1

    return chat


def _chat_openai(emu: Any) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=SMALL_MODEL, base_url=emu.base_url, api_key=TOKEN, max_retries=0)  # type: ignore[arg-type]


def _hf_router_li(emu: Any) -> Any:
    from llama_index_hf_router import HFRouter

    return HFRouter(model=SMALL_MODEL, api_key=TOKEN, base_url=emu.base_url, hub_url=emu.hub_url)


def _openai_like(emu: Any) -> Any:
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=SMALL_MODEL,
        api_base=emu.base_url,
        api_key=TOKEN,
        is_chat_model=True,
        context_window=32768,
        max_retries=0,
    )


async def latency(emu: Any, rounds: int) -> tuple[list[Row], list[Any]]:
    """Wall and CPU time per small non-streamed answer; overhead beyond the raw POST."""
    contenders = _latency_contenders(emu)
    try:
        walls = await interleaved_wall(contenders, rounds)
        cpus = await interleaved_cpu(contenders, rounds)
    finally:
        for contender in contenders:
            if contender.close is not None:
                await contender.close()
    raw_name = contenders[0].name
    raw_med, _ = median_spread([s * 1000 for s in walls[raw_name]])
    rows: list[Row] = []
    for contender in contenders:
        if contender.unavailable:
            rows.append(Row(LATENCY, contender.name, None, "-", "ms", note=contender.unavailable))
            continue
        med, spread = median_spread([s * 1000 for s in walls[contender.name]])
        cpu, _ = median_spread([s * 1000 for s in cpus[contender.name]])
        note = f"+{med - raw_med:.2f} ms over raw; CPU {cpu:.2f} ms/call"
        rows.append(Row(LATENCY, contender.name, med, spread, "ms", med / raw_med, note))
    return rows, []


def now() -> str:
    """The local date and time, for the report."""
    return time.strftime("%Y-%m-%d %H:%M %Z")
