"""Scenarios 7 and 8: client CPU per request by requests in flight, and a batch of 2,000 prompts.

Every answer takes 100 ms at the emulator (the ``slow_first_token=0.1`` fault), as a provider's
would. Scenario 7 runs ``RouterClient.abatch`` at 16/64/256/512 in flight and divides this
process's CPU time by the requests, for the sharded pools the client uses and for one httpx pool
(an injected ``httpx.AsyncClient`` with the previous limits: 1,000 connections, 100 kept alive).
Scenario 8 runs each contender in a fresh child process (``run.py --child batch``) so its peak
RSS is its own: ``abatch``, ``hf_router.ray.chat_dataset`` with 2 actors, Ray's own
``ray.data.llm`` HTTP processor with 2 actors, and ``ChatOpenAI.abatch`` as it comes.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import AUTH, TOKEN, Row

CPU_SCENARIO = "7. Client CPU per request by requests in flight (100 ms answers)"
ROWS_SCENARIO = "8. Batch of 2,000 prompts (100 ms answers)"
MODEL = "bench/slow100"
ROWS = 2000
LEVELS = (16, 64, 256, 512)
ACTORS = 2
CONTENDERS = (
    "RouterClient.abatch (concurrency 256)",
    "hf_router.ray.chat_dataset (2 actors x 128 in flight)",
    "ray.data.llm HTTP processor (2 actors)",
    "ChatOpenAI.abatch (langchain-openai, defaults)",
)


def setup(emu: Any) -> None:
    """The 100 ms model."""
    emu.add_model(MODEL, providers=["together"])
    emu.set_fault("slow_first_token=0.1", model=MODEL)


def _prompt(i: int) -> str:
    return f"Row {i}: write one sentence about item {i}."


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- scenario 7 --------------------------------------------------------------------------------
async def _cpu_per_request(base_url: str, hub_url: str, level: int, sharded: bool) -> float:
    import httpx

    from hf_router import RouterClient

    injected = (
        None
        if sharded
        else httpx.AsyncClient(
            timeout=120,
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
        )
    )
    client = RouterClient(
        TOKEN, base_url=base_url, hub_url=hub_url, http_async_client=injected, max_tokens=32
    )
    warm = [[{"role": "user", "content": _prompt(i)}] for i in range(level)]
    await client.abatch(MODEL, warm, concurrency=level)  # connections opened, not measured
    count = max(4 * level, 1000)
    rows = [[{"role": "user", "content": _prompt(i)}] for i in range(count)]
    gc.collect()
    cpu = time.process_time()
    results = await client.abatch(MODEL, rows, concurrency=level)
    spent = time.process_time() - cpu
    failed = sum(not hasattr(r, "text") for r in results)
    if failed:
        raise RuntimeError(f"{failed} of {count} requests failed at {level} in flight")
    await client.aclose()
    if injected is not None:
        await injected.aclose()
    return spent / count * 1000


def cpu_scenario(emu: Any, rounds: int) -> tuple[list[Row], list[Any]]:
    """Median client CPU (ms) per request at each level, sharded pools and one pool."""
    rows: list[Row] = []
    figures: dict[tuple[str, int], float] = {}
    for label, sharded in (("sharded pools (the client)", True), ("one httpx pool", False)):
        for level in LEVELS:
            samples = [
                asyncio.run(_cpu_per_request(emu.base_url, emu.hub_url, level, sharded))
                for _ in range(rounds)
            ]
            samples.sort()
            median = samples[len(samples) // 2]
            figures[(label, level)] = median
            spread = f"{samples[0]:.3g}-{samples[-1]:.3g}"
            rows.append(Row(CPU_SCENARIO, f"{label}, {level} in flight", median, spread, "ms CPU"))
    low = figures[("sharded pools (the client)", LEVELS[0])]
    high = figures[("sharded pools (the client)", LEVELS[-1])]
    targets = [
        (
            f"client CPU per request at {LEVELS[-1]} in flight <= 1.5x at {LEVELS[0]}",
            f"{high:.2f} ms vs {low:.2f} ms ({high / low:.2f}x)",
            high <= 1.5 * low,
        )
    ]
    return rows, targets


# -- scenario 8: the children ------------------------------------------------------------------
async def _abatch(base_url: str, hub_url: str) -> int:
    from hf_router import RouterClient

    client = RouterClient(TOKEN, base_url=base_url, hub_url=hub_url, max_tokens=32)
    rows = [[{"role": "user", "content": _prompt(i)}] for i in range(ROWS)]
    results = await client.abatch(MODEL, rows, concurrency=256)
    return sum(getattr(r, "text", None) == _prompt(i) for i, r in enumerate(results))


async def _chat_openai(base_url: str) -> int:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(model=MODEL, base_url=base_url, api_key=TOKEN, max_tokens=32)  # type: ignore[arg-type, call-arg]
    results = await model.abatch([_prompt(i) for i in range(ROWS)], return_exceptions=True)
    return sum(getattr(r, "content", None) == _prompt(i) for i, r in enumerate(results))


def _ray_start(base_url: str, hub_url: str) -> Any:
    os.environ.update({"HF_TOKEN": TOKEN, "HF_ROUTER_BASE_URL": base_url, "HF_ENDPOINT": hub_url})
    import logging

    import ray

    from hf_router.ray import init_local

    init_local(num_cpus=2)
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    return ray


def _ray_helper(ray: Any) -> int:
    from hf_router.ray import chat_dataset

    items = [{"id": i, "prompt": _prompt(i)} for i in range(ROWS)]
    out = chat_dataset(
        ray.data.from_items(items),
        MODEL,
        id_columns=["id"],
        actors=ACTORS,
        max_in_flight=128,
        max_tokens=32,
    ).take_all()
    return sum(r["answer"] == _prompt(r["id"]) for r in out)


def _ray_llm(ray: Any, base_url: str) -> int:
    from ray.data.llm import HttpRequestProcessorConfig, build_processor

    config = HttpRequestProcessorConfig(
        url=f"{base_url}/chat/completions", headers=AUTH, concurrency=ACTORS
    )
    processor = build_processor(
        config,
        preprocess=lambda row: {
            "id": row["id"],
            "payload": {
                "model": MODEL,
                "messages": [{"role": "user", "content": row["prompt"]}],
                "max_tokens": 32,
            },
        },
        postprocess=lambda row: {
            "id": row["id"],
            "answer": row["http_response"]["choices"][0]["message"]["content"],
        },
    )
    items = [{"id": i, "prompt": _prompt(i)} for i in range(ROWS)]
    out = processor(ray.data.from_items(items)).take_all()
    return sum(r["answer"] == _prompt(r["id"]) for r in out)


def child_main(contender: str, base_url: str, hub_url: str) -> None:
    """Entry point of a child: run one contender and print one JSON line."""
    try:
        ray = None
        if "ray" in contender:
            ray = _ray_start(base_url, hub_url)
        rss_before = _rss_mb()
        start = time.perf_counter()
        cpu = time.process_time()
        if contender == CONTENDERS[0]:
            ok = asyncio.run(_abatch(base_url, hub_url))
        elif contender == CONTENDERS[1]:
            ok = _ray_helper(ray)
        elif contender == CONTENDERS[2]:
            ok = _ray_llm(ray, base_url)
        else:
            ok = asyncio.run(_chat_openai(base_url))
        result = {
            "wall_s": time.perf_counter() - start,
            "cpu_s": time.process_time() - cpu,
            "ok": ok,
            "rss_before_mb": rss_before,
            "peak_rss_mb": _rss_mb(),
        }
        if ray is not None:
            ray.shutdown()
    except ImportError as exc:
        result = {"unavailable": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result), flush=True)


def _spawn(contender: str, emu: Any, timeout: float) -> dict[str, Any]:
    run_py = Path(__file__).with_name("run.py")
    args = [sys.executable, str(run_py), "--child", "batch", "--contender", contender]
    args += ["--base-url", emu.base_url, "--hub-url", emu.hub_url]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"unavailable": f"did not finish in {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"unavailable": f"child failed: {done.stderr.strip()[-300:]}"}
    return json.loads(lines[-1])


def rows_scenario(emu: Any, timeout: float = 300.0) -> tuple[list[Row], list[Any]]:
    """Rows per second of each contender (one run each: a run is already 2,000 requests)."""
    got = {name: _spawn(name, emu, timeout) for name in CONTENDERS}
    rows: list[Row] = []
    rate: dict[str, float] = {}
    for name in CONTENDERS:
        result = got[name]
        if "unavailable" in result:
            rows.append(Row(ROWS_SCENARIO, name, None, "-", "rows/s", note=result["unavailable"]))
            continue
        rate[name] = ROWS / result["wall_s"]
        note = (
            f"{result['wall_s']:.1f} s wall, CPU {result['cpu_s']:.1f} s, "
            f"peak RSS {result['peak_rss_mb']:.0f} MB, lost {ROWS - result['ok']}"
        )
        rows.append(Row(ROWS_SCENARIO, name, rate[name], "-", "rows/s", note=note))
    targets: list[Any] = []
    a, b, c, _ = CONTENDERS
    if b in rate:
        lost = ROWS - got[b]["ok"]
        targets.append(("Ray helper: 0 rows lost", str(lost), lost == 0))
        if c in rate:
            ratio = rate[b] / rate[c]
            targets.append(("Ray helper >= 10x ray.data.llm HTTP", f"{ratio:.1f}x", ratio >= 10))
        if a in rate:
            ratio = rate[a] / rate[b]
            targets.append(("abatch >= 0.9x Ray helper", f"{ratio:.2f}x", ratio >= 0.9))
    if a in rate:
        peak = got[a]["peak_rss_mb"]
        targets.append(("abatch peak RSS < 150 MB", f"{peak:.0f} MB", peak < 150))
    return rows, targets
