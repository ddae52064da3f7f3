"""Long-input fitting costs (issue #12), run directly: ``python benchmarks/fitting.py``.

1. Fitting a 1,000-message, 1,000,000-character history (tool pairs included) into an
   8,192-token window: the time of one ``fit_messages`` call and of the whole decision
   (budget from the window + fit). Goal: under 5 ms per call.
2. The cost of a call that needs no fitting: preparing a request of 40 messages / 60,000
   characters for a 131,072-token model with ``max_inputs_lenght="auto"`` (the window comes
   from the cached ``/v1/models`` listing), minus the same preparation with fitting off
   (``None``). Goal: under 50 us per call.

The emulator serves the one ``/v1/models`` listing; everything measured is this process's CPU
work (no request is made while measuring).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _long_text import code, prose

from hf_router import RouterClient, calculate_lenght, trim_with_report
from hf_router.chat._fit import fit_messages, window_budget
from hf_router.testing import RouterEmulator

MODEL = "meta-llama/Llama-3.3-70B-Instruct"


def big_history() -> list[dict[str, Any]]:
    """1,000 messages, 1,000,000 characters: user/assistant turns and tool pairs."""
    out: list[dict[str, Any]] = [{"role": "system", "content": "You are the archivist."}]
    i = 0
    while len(out) < 999:
        if i % 5 == 4:
            call = {"id": f"c{i}", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            out.append({"role": "assistant", "content": None, "tool_calls": [call]})
            out.append({"role": "tool", "tool_call_id": f"c{i}", "content": code(1000)})
        else:
            out.append({"role": "user", "content": prose(1000, f"u{i}-")})
            out.append({"role": "assistant", "content": prose(1000, f"a{i}-")})
        i += 1
    out = out[:999]
    out.append({"role": "user", "content": "Which lamp is green?"})
    total = sum(len(m["content"] or "") for m in out)
    out[1]["content"] += prose(1_000_000 - total, "pad-")
    return out


def per_call(fn: Callable[[], object], calls: int, repeats: int = 7) -> tuple[float, float, float]:
    """(median, min, max) seconds per call over ``repeats`` runs of ``calls`` calls."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples), min(samples), max(samples)


def show(label: str, numbers: tuple[float, float, float], unit: float, name: str) -> None:
    med, low, high = (n / unit for n in numbers)
    print(f"{label:<62} {med:8.2f} {name}  ({low:.2f}-{high:.2f})")


def main() -> list[tuple[str, str, bool]]:
    """Print the measurements; return the two targets as (label, measured, met)."""
    history = big_history()
    chars = sum(len(m["content"] or "") for m in history)
    print(f"history: {len(history)} messages, {chars:,} characters")
    budget = window_budget(history, 8192, None)
    show(
        "0.  calibration: calculate_lenght of the same history",
        per_call(lambda: calculate_lenght(history), 50),
        1e-3,
        "ms",
    )
    show(
        "0b. the seed's trim_with_report(max_inputs_lenght=10000) on it",
        per_call(lambda: trim_with_report(history, 10_000), 50),
        1e-3,
        "ms",
    )
    show(
        "1a. fit_messages(1,000 msgs / 1M chars -> 8,192-token window)",
        per_call(lambda: fit_messages(history, budget), 50),
        1e-3,
        "ms",
    )
    decision = per_call(lambda: fit_messages(history, window_budget(history, 8192, None)), 50)
    show("1b. window_budget + fit_messages (the whole decision)", decision, 1e-3, "ms")

    small = [{"role": "system", "content": "Be brief."}]
    for i in range(20):
        small += [
            {"role": "user", "content": prose(1500, f"q{i}-")},
            {"role": "assistant", "content": prose(1500, f"a{i}-")},
        ]
    small.append({"role": "user", "content": "Which lamp is green?"})
    with RouterEmulator() as emu:
        auto = RouterClient("hf_bench", base_url=emu.base_url, hub_url=emu.hub_url)
        off = RouterClient(
            "hf_bench", base_url=emu.base_url, hub_url=emu.hub_url, max_inputs_lenght=None
        )
        auto.list_models()  # the one listing; later decisions use the cache

        def prepare_auto() -> object:
            req = auto._prepare(MODEL, small, {})
            auto._fit(req)
            assert req.trimmed is None
            return req

        def prepare_off() -> object:
            return off._prepare(MODEL, small, {})

        with_fit = per_call(prepare_auto, 2000)
        without = per_call(prepare_off, 2000)
    show("2a. prepare 41 msgs / 60k chars, max_inputs_lenght='auto'", with_fit, 1e-6, "us")
    show("2b. the same, max_inputs_lenght=None (no fitting)", without, 1e-6, "us")
    extra = (with_fit[0] - without[0]) * 1e6
    print(f"{'2.  cost of the fitting decision when nothing is cut':<62} {extra:8.2f} us")
    return [
        (
            "fitting a 1,000-message, 1,000,000-character history < 5 ms per call",
            f"{decision[0] * 1e3:.2f} ms",
            decision[0] < 5e-3,
        ),
        (
            "a call that needs no fitting costs < 50 us more than with fitting off",
            f"{extra:.1f} us",
            extra < 50,
        ),
    ]


if __name__ == "__main__":
    main()
