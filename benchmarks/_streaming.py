"""Scenario 1: streaming overhead. CPU time of this process per 5,000-chunk answer, for the raw
httpx baseline, the frameworks' floors, our three layers and the peer libraries."""

from __future__ import annotations

from typing import Any

import _contenders as c
from _common import (
    STREAM_CHUNKS,
    STREAM_MODEL,
    Contender,
    Row,
    close_all,
    interleaved_cpu,
    median_spread,
)

SCENARIO = f"1. streaming, {STREAM_CHUNKS:,} chunks (CPU ms per stream)"
PROMPT = "Say something long."

RAW = "raw httpx aiter_lines + json.loads"
LC_FLOOR = "langchain-core floor (ready chunks, no network)"
LI_FLOOR = "LlamaIndex floor (ready responses, no network)"
CORE = "hf_router RouterClient.astream_chat (orjson)"
CORE_STDLIB = "hf_router RouterClient.astream_chat (stdlib json)"
CHAT_HF_ROUTER = "ChatHFRouter.astream"
HF_ROUTER = "HFRouter.astream_chat"
CHAT_OPENAI = "ChatOpenAI.astream (langchain-openai)"
CHAT_HF = "ChatHuggingFace.astream (langchain-huggingface)"
OPENAI_LIKE = "OpenAILike.astream_chat (llama-index-llms-openai-like)"


def build(emu: Any) -> list[Contender]:
    """Every streaming contender, pointed at the emulator."""
    base, hub, root = emu.base_url, emu.hub_url, emu.url
    contenders = [
        c.raw_httpx(base, STREAM_MODEL, PROMPT),
        c.raw_httpx(base, STREAM_MODEL, PROMPT, use_orjson=True),
        c.langchain_floor_contender(STREAM_CHUNKS),
        c.llama_index_floor_contender(STREAM_CHUNKS),
        c.core(base, hub, STREAM_MODEL, PROMPT, stdlib_json=True),
        c.core(base, hub, STREAM_MODEL, PROMPT),
        c.chat_hf_router(base, hub, STREAM_MODEL, PROMPT),
        c.hf_router_llama_index(base, hub, STREAM_MODEL, PROMPT),
        c.chat_openai(base, STREAM_MODEL, PROMPT),
        c.chat_huggingface(root, STREAM_MODEL, PROMPT),
        c.openai_like(base, STREAM_MODEL, PROMPT),
    ]
    for contender in contenders:
        contender.expected = STREAM_CHUNKS
    return contenders


async def run(emu: Any, rounds: int) -> tuple[list[Row], list[tuple[str, str, bool | None]]]:
    """Measure; return the table rows and the targets (description, measured, met)."""
    contenders = build(emu)
    try:
        samples = await interleaved_cpu(contenders, rounds)
    finally:
        await close_all(contenders)
    medians: dict[str, float] = {}
    rows: list[Row] = []
    for contender in contenders:
        if contender.unavailable:
            rows.append(Row(SCENARIO, contender.name, None, "-", "ms", note=contender.unavailable))
            continue
        ms = [s * 1000 for s in samples[contender.name]]
        med, spread = median_spread(ms)
        medians[contender.name] = med
        per_chunk = med * 1000 / STREAM_CHUNKS
        rows.append(
            Row(SCENARIO, contender.name, med, spread, "ms", note=f"{per_chunk:.2f} µs/chunk")
        )
    raw = medians[RAW]
    for row in rows:
        if row.median is not None:
            row.ratio = row.median / raw
    return rows, targets(medians)


def _ratio(medians: dict[str, float], a: str, b: str) -> float | None:
    if a in medians and b in medians:
        return medians[a] / medians[b]
    return None


def targets(m: dict[str, float]) -> list[tuple[str, str, bool | None]]:
    """The streaming targets of the benchmarks README, checked against the medians."""
    out: list[tuple[str, str, bool | None]] = []
    raw = m[RAW]

    def check(label: str, value: float | None, limit: float, below: bool = True) -> None:
        if value is None:
            out.append((label, "not measured (contender unavailable)", None))
            return
        met = value <= limit if below else value >= limit
        out.append((label, f"{value:.2f}", met))

    check("core astream_chat ≤ 1.3× raw (stdlib json, no extra)", _ratio(m, CORE_STDLIB, RAW), 1.3)
    check("core astream_chat ≤ 1.3× raw (with hf-router[fast])", _ratio(m, CORE, RAW), 1.3)
    for adapter, floor, peer, times in (
        (CHAT_HF_ROUTER, LC_FLOOR, CHAT_OPENAI, 10),
        (HF_ROUTER, LI_FLOOR, OPENAI_LIKE, 9),
    ):
        versus_floor = m[adapter] / (raw + m[floor]) if adapter in m and floor in m else None
        check(f"{adapter} ≤ 1.2× (raw + {floor.split(' (')[0]})", versus_floor, 1.2)
        check(
            f"{peer.split(' (')[0]} / {adapter} ≥ {times}×", _ratio(m, peer, adapter), times, False
        )
    check("ChatHuggingFace / ChatHFRouter ≥ 4×", _ratio(m, CHAT_HF, CHAT_HF_ROUTER), 4, False)
    return out
