"""Scenario 2: 1,000 concurrent streams of 200 chunks each, through ChatHFRouter and ChatOpenAI.

Each contender runs in a fresh child process (``run.py --child concurrency ...``) so that its
peak RSS is its own; the child prints one JSON line with wall time, chunks, failures and RSS.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import AUTH, CONCURRENT_CHUNKS, CONCURRENT_MODEL, TOKEN, Row, stream_body

SCENARIO = "2. 1,000 concurrent streams × 200 chunks"
STREAMS = 1000
CONTENDERS = (
    "raw httpx aiter_lines + json.loads",
    "hf_router RouterClient.astream_chat",
    "ChatHFRouter.astream",
    "ChatOpenAI.astream (langchain-openai)",
)
HF_ROUTER = CONTENDERS[2]
_MAX_TOKENS = 8192


def _rss_mb() -> float:
    """This process's peak resident set size in MB.

    ``VmHWM`` of /proc/self/status where there is one: ``ru_maxrss`` survives ``exec`` on Linux,
    so a child would report its (larger) parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _Raw:
    """The baseline, shaped like a chat model: ``astream`` yields objects with ``content``."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self.client = httpx.AsyncClient(
            timeout=300, limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        )
        self.url = f"{base_url}/chat/completions"

    async def astream(self, prompt: str) -> Any:
        body = stream_body(CONCURRENT_MODEL, prompt, _MAX_TOKENS)
        async with self.client.stream("POST", self.url, json=body, headers=AUTH) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    choices = json.loads(line[6:]).get("choices")
                    if choices:
                        yield _Piece(choices[0].get("delta", {}).get("content"))


class _Core:
    """The core client, shaped like a chat model."""

    def __init__(self, base_url: str, hub_url: str) -> None:
        from hf_router import RouterClient

        self.client = RouterClient(
            TOKEN, base_url=base_url, hub_url=hub_url, max_tokens=_MAX_TOKENS, timeout=300
        )

    async def astream(self, prompt: str) -> Any:
        from hf_router import TextDelta

        messages = [{"role": "user", "content": prompt}]
        async for event in self.client.astream_chat(CONCURRENT_MODEL, messages):
            if type(event) is TextDelta:
                yield _Piece(event.text)


class _Piece:
    __slots__ = ("content",)

    def __init__(self, content: str | None) -> None:
        self.content = content


def _model(contender: str, base_url: str, hub_url: str) -> Any:
    if contender == CONTENDERS[0]:
        return _Raw(base_url)
    if contender == CONTENDERS[1]:
        return _Core(base_url, hub_url)
    if contender == HF_ROUTER:
        from langchain_hf_router import ChatHFRouter

        return ChatHFRouter(
            model=CONCURRENT_MODEL,
            api_key=TOKEN,
            base_url=base_url,
            hub_url=hub_url,
            max_tokens=_MAX_TOKENS,
            timeout=300,
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=CONCURRENT_MODEL,
        base_url=base_url,
        api_key=TOKEN,  # type: ignore[arg-type]
        stream_usage=True,
        max_tokens=_MAX_TOKENS,  # type: ignore[call-arg]
        max_retries=0,
        timeout=300,
    )


async def _child(contender: str, base_url: str, hub_url: str, streams: int) -> dict[str, Any]:
    model = _model(contender, base_url, hub_url)
    async for _ in model.astream("warm up"):  # connections, mapping and imports, not measured
        pass
    rss_before = _rss_mb()

    async def one() -> int:
        count = 0
        async for chunk in model.astream("Say something."):
            if chunk.content:
                count += 1
        return count

    start = time.perf_counter()
    cpu = time.process_time()
    results = await asyncio.gather(*(one() for _ in range(streams)), return_exceptions=True)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    failures = [r for r in results if isinstance(r, BaseException)]
    short = [r for r in results if isinstance(r, int) and r != CONCURRENT_CHUNKS]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "chunks": sum(r for r in results if isinstance(r, int)),
        "failures": len(failures) + len(short),
        "first_failure": repr(failures[0])[:200] if failures else "",
        "rss_before_mb": rss_before,
        "peak_rss_mb": _rss_mb(),
    }


def child_main(contender: str, base_url: str, hub_url: str, streams: int) -> None:
    """Entry point of the child process: measure and print one JSON line."""
    try:
        result = asyncio.run(_child(contender, base_url, hub_url, streams))
    except ImportError as exc:
        result = {"unavailable": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result), flush=True)


def _spawn(contender: str, emu: Any, streams: int) -> dict[str, Any]:
    run_py = Path(__file__).with_name("run.py")
    args = [sys.executable, str(run_py), "--child", "concurrency", "--contender", contender]
    args += ["--base-url", emu.base_url, "--hub-url", emu.hub_url, "--streams", str(streams)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"unavailable": f"child failed: {done.stderr.strip()[-300:]}"}
    return json.loads(lines[-1])


def run(emu: Any, rounds: int, streams: int = STREAMS) -> tuple[list[Row], list[Any]]:
    """Run each contender ``rounds`` times (interleaved), each run in a fresh process."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    for round_no in range(rounds):
        shift = round_no % len(CONTENDERS)
        for name in CONTENDERS[shift:] + CONTENDERS[:shift]:
            results[name].append(_spawn(name, emu, streams))
    rows: list[Row] = []
    targets: list[Any] = []
    for name in CONTENDERS:
        runs = [r for r in results[name] if "unavailable" not in r]
        if not runs:
            why = results[name][0].get("unavailable", "?") if results[name] else "not run"
            rows.append(Row(SCENARIO, name, None, "-", "s", note=why))
            continue
        walls = sorted(r["wall_s"] for r in runs)
        wall = walls[len(walls) // 2]
        chunks = runs[0]["chunks"]
        failures = sum(r["failures"] for r in runs)
        peak = max(r["peak_rss_mb"] for r in runs)
        note = (
            f"{chunks / wall:,.0f} chunks/s, {streams / wall:,.0f} streams/s, "
            f"CPU {statistics_median([r['cpu_s'] for r in runs]):.2f} s, "
            f"peak RSS {peak:.0f} MB (idle {runs[0]['rss_before_mb']:.0f} MB), "
            f"failures {failures}"
        )
        if failures and runs[0].get("first_failure"):
            note += f" (first: {runs[0]['first_failure']})"
        spread = f"{walls[0]:.3g}-{walls[-1]:.3g}"
        raw = rows[0].median if rows and rows[0].contender == CONTENDERS[0] else None
        ratio = wall / raw if raw else None
        rows.append(Row(SCENARIO, name, wall, spread, "s wall", ratio, note))
        if name == HF_ROUTER:
            targets.append(
                (f"{streams:,} concurrent streams: no failure", str(failures), failures == 0)
            )
            targets.append(("… peak RSS < 300 MB", f"{peak:.0f} MB", peak < 300))
    return rows, targets


def statistics_median(values: list[float]) -> float:
    """The median (kept local so the child imports little)."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
