"""Writing RESULTS.md: one table of every measurement, the targets, and how it was run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from _common import Row

PEERS = (
    "hf-router",
    "httpx",
    "orjson",
    "langchain-core",
    "langchain-openai",
    "openai",
    "langchain-huggingface",
    "huggingface-hub",
    "llama-index-core",
    "llama-index-llms-openai-like",
    "ray",
)


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def table(rows: Sequence[Row]) -> str:
    """The markdown table of all rows."""
    lines = [
        "| scenario | contender | median | spread (min-max) | unit | × raw | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "-"
        lines.append(
            f"| {row.scenario} | {row.contender} | {_num(row.median)} | {row.spread} | "
            f"{row.unit} | {ratio} | {row.note} |"
        )
    return "\n".join(lines)


def targets_table(targets: Sequence[tuple[str, str, bool | None]]) -> str:
    """The markdown table of the targets and whether each is met."""
    lines = ["| target | measured | met |", "|---|---|---|"]
    for label, measured, met in targets:
        mark = "n/a" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {label} | {measured} | {mark} |")
    return "\n".join(lines)


def render(
    rows: Sequence[Row],
    targets: Sequence[tuple[str, str, bool | None]],
    *,
    machine: str,
    command: str,
    date: str,
    versions: dict[str, str],
    settings: dict[str, Any],
    extra: str = "",
) -> str:
    """The whole RESULTS.md text."""
    installed = ", ".join(f"{name} {ver}" for name, ver in versions.items())
    knobs = ", ".join(f"{key}={value}" for key, value in settings.items())
    return (
        "# Benchmark results\n\n"
        "Written by `benchmarks/run.py`; see benchmarks/README.md for what each scenario "
        "measures and the targets.\n\n"
        f"- **Date:** {date}\n"
        f"- **Machine:** {machine}\n"
        f"- **Command:** `{command}`\n"
        f"- **Settings:** {knobs}\n"
        f"- **Versions:** {installed}\n\n"
        "## Targets\n\n"
        f"{targets_table(targets)}\n\n"
        "## All measurements\n\n"
        "Medians over the rounds after one warm-up; contenders interleaved within each round. "
        '"× raw" divides by the raw httpx baseline of the same scenario.\n\n'
        f"{table(rows)}\n"
        f"{extra}"
    )
