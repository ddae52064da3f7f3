"""Shared pieces of the benchmark: statistics, interleaved rounds, the emulator set-up, machine info.

Every scenario measures *contenders* (callables that do one unit of work) in interleaved
rounds: round 1 runs A, B, C; round 2 runs B, C, A; ... so that machine noise (another process,
a frequency change) hits every contender alike. The first round is a warm-up and is discarded.
"""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

TOKEN = "hf_bench_token"  # the emulator accepts any token that starts with hf_

# Models the emulator serves for the scenarios (each configured in setup_emulator).
STREAM_MODEL = "bench/stream-5000"
CONCURRENT_MODEL = "bench/stream-200"
SMALL_MODEL = "bench/small"
FAILOVER_MODEL = "bench/failover"
MAPPING_MODEL = "bench/mapping"
STREAM_CHUNKS = 5000
CONCURRENT_CHUNKS = 200
PROMPT = [{"role": "user", "content": "Say something long."}]
SMALL_PROMPT = [{"role": "user", "content": "hello world"}]


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def stream_body(model: str, prompt: str, max_tokens: int) -> dict[str, Any]:
    """The chat-completions body the raw baselines send (what a client would send)."""
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": max_tokens,
    }


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    contender: str
    median: float | None
    spread: str
    unit: str
    ratio: float | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list)


def median_spread(samples: Sequence[float]) -> tuple[float, str]:
    """The median and the spread written as ``min-max`` of the samples."""
    med = statistics.median(samples)
    return med, f"{min(samples):.3g}-{max(samples):.3g}"


@dataclass
class Contender:
    """Something to measure: ``run`` does one unit of work and returns a count to check
    (chunks received); ``close`` releases it."""

    name: str
    run: Callable[[], Awaitable[int]]
    close: Callable[[], Awaitable[None]] | None = None
    expected: int | None = None
    unavailable: str | None = None  # why it could not be built (e.g. a peer not installed)


async def interleaved_cpu(contenders: Sequence[Contender], rounds: int) -> dict[str, list[float]]:
    """CPU seconds (this process) per unit of work, ``rounds`` samples each after one warm-up.

    The objects that exist before measuring (every imported library) are moved out of the
    garbage collector's generations (``gc.freeze``), and a collection runs before each sample,
    so a full collection triggered by one contender does not bill it for the whole heap.
    """
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    live = [c for c in contenders if c.unavailable is None]
    gc.collect()
    gc.freeze()
    for round_no in range(rounds + 1):
        shift = round_no % len(live) if live else 0
        for contender in live[shift:] + live[:shift]:
            gc.collect()
            start = time.process_time()
            count = await contender.run()
            spent = time.process_time() - start
            if contender.expected is not None and count != contender.expected:
                raise RuntimeError(
                    f"{contender.name} returned {count} chunks, expected {contender.expected}"
                )
            if round_no:
                samples[contender.name].append(spent)
    return samples


async def interleaved_wall(contenders: Sequence[Contender], rounds: int) -> dict[str, list[float]]:
    """Wall seconds per unit of work, ``rounds`` samples each after one warm-up."""
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    live = [c for c in contenders if c.unavailable is None]
    for round_no in range(rounds + 1):
        shift = round_no % len(live) if live else 0
        for contender in live[shift:] + live[:shift]:
            start = time.perf_counter()
            await contender.run()
            spent = time.perf_counter() - start
            if round_no:
                samples[contender.name].append(spent)
    return samples


async def close_all(contenders: Sequence[Contender]) -> None:
    """Close every contender that has something to close."""
    for contender in contenders:
        if contender.close is not None and contender.unavailable is None:
            await contender.close()


def setup_emulator(emu: Any) -> None:
    """Register the benchmark models on an emulator (any mode)."""
    emu.add_model(STREAM_MODEL, providers=["together"])
    emu.set_fault(f"length={STREAM_CHUNKS},burst", model=STREAM_MODEL)
    emu.add_model(CONCURRENT_MODEL, providers=["together"])
    emu.set_fault(f"length={CONCURRENT_CHUNKS}", model=CONCURRENT_MODEL)
    emu.add_model(SMALL_MODEL, providers=["together"])
    emu.add_model(FAILOVER_MODEL, providers=["together", "cerebras"])
    emu.set_fault("402", model=FAILOVER_MODEL, provider="together")
    # The mapping is fetched only when the router's own choice fails, so every call here
    # starts with a 402 from the first provider and needs the mapping to find the next one.
    emu.add_model(MAPPING_MODEL, providers=["together", "cerebras"])
    emu.set_fault("402", model=MAPPING_MODEL, provider="together")


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem = f", {pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs{mem}; {platform.system()} {platform.release()}; "
        f"Python {sys.version.split()[0]}"
    )


def versions(names: Sequence[str]) -> dict[str, str]:
    """Installed versions of the given distributions ("-" when missing)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "-"
    return out


def run_async(coro: Awaitable[Any]) -> Any:
    """Run a coroutine on a fresh event loop."""
    return asyncio.run(coro)  # type: ignore[arg-type]
