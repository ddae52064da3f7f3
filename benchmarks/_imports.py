"""Scenario 5: import time, each import in a fresh interpreter, interleaved, median of N."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from _common import Row, median_spread

SCENARIO = "5. import time (fresh process, ms)"
IMPORTS: tuple[tuple[str, str], ...] = (
    ("import hf_router", "import hf_router"),
    ("import langchain_hf_router", "import langchain_hf_router"),
    (
        "from langchain_hf_router import ChatHFRouter",
        "from langchain_hf_router import ChatHFRouter",
    ),
    ("import llama_index_hf_router", "import llama_index_hf_router"),
    ("from llama_index_hf_router import HFRouter", "from llama_index_hf_router import HFRouter"),
    ("import langchain_openai", "import langchain_openai"),
    ("from langchain_openai import ChatOpenAI", "from langchain_openai import ChatOpenAI"),
    ("import langchain_huggingface", "import langchain_huggingface"),
    (
        "from llama_index.llms.openai_like import OpenAILike",
        "from llama_index.llms.openai_like import OpenAILike",
    ),
)
_PROGRAM = (
    "import time\nstart = time.perf_counter()\n{statement}\nprint(time.perf_counter() - start)\n"
)


def _once(statement: str) -> float | str:
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(statement=statement)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    return float(done.stdout.strip().splitlines()[-1])


def run(rounds: int) -> tuple[list[Row], list[Any]]:
    """One warm-up import each (writes the .pyc files), then ``rounds`` interleaved samples."""
    samples: dict[str, list[float]] = {label: [] for label, _ in IMPORTS}
    errors: dict[str, str] = {}
    for round_no in range(rounds + 1):
        shift = round_no % len(IMPORTS)
        for label, statement in IMPORTS[shift:] + IMPORTS[:shift]:
            if label in errors:
                continue
            value = _once(statement)
            if isinstance(value, str):
                errors[label] = value
            elif round_no:
                samples[label].append(value * 1000)
    rows: list[Row] = []
    medians: dict[str, float] = {}
    for label, _ in IMPORTS:
        if label in errors:
            rows.append(Row(SCENARIO, label, None, "-", "ms", note=errors[label][:120]))
            continue
        med, spread = median_spread(samples[label])
        medians[label] = med
        rows.append(Row(SCENARIO, label, med, spread, "ms"))
    core = medians.get("import hf_router")
    targets = [
        (
            "import hf_router < 150 ms",
            f"{core:.0f} ms" if core is not None else "not measured",
            None if core is None else core < 150,
        )
    ]
    return rows, targets
