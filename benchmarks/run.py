"""Run every benchmark scenario against the emulator on loopback and write RESULTS.md.

    make bench                                  # sets up .venv-bench with the peers, then runs this
    .venv-bench/bin/python benchmarks/run.py    # the same, by hand
    python benchmarks/run.py --quick            # fewer rounds (a smoke run)
    python benchmarks/run.py --only streaming   # one scenario

The emulator runs as a separate process (``RouterEmulator(process=True)``) so that the clients'
CPU time is their own. Peers that are not installed are reported as unavailable, not skipped
silently. See benchmarks/README.md for the scenarios and the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _batch  # noqa: E402
import _common  # noqa: E402
import _concurrency  # noqa: E402
import _imports  # noqa: E402
import _report  # noqa: E402
import _small  # noqa: E402
import _streaming  # noqa: E402

SCENARIOS = (
    "streaming",
    "concurrency",
    "failover",
    "mapping",
    "imports",
    "latency",
    "batch",
    "fitting",
)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke run")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run just these")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="where to write")
    parser.add_argument("--streams", type=int, default=_concurrency.STREAMS)
    # the child process of the concurrency scenario
    parser.add_argument("--child", choices=["concurrency", "batch"], help=argparse.SUPPRESS)
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--hub-url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _print_rows(rows: list[_common.Row]) -> None:
    for row in rows:
        median = "-" if row.median is None else f"{row.median:10.2f}"
        ratio = "" if row.ratio is None else f"  {row.ratio:6.2f}x raw"
        print(f"  {row.contender:58.58s} {median:>10} {row.unit:9s}{ratio}  {row.note}")


async def _async_scenarios(
    emu: Any, wanted: tuple[str, ...], quick: bool
) -> tuple[list[Any], list[Any]]:
    """The scenarios that run on this process's event loop, in order."""
    plan = (
        ("streaming", _streaming.SCENARIO, lambda: _streaming.run(emu, rounds=3 if quick else 7)),
        ("failover", _small.FAILOVER, lambda: _small.failover(emu, rounds=10 if quick else 30)),
        ("mapping", _small.MAPPING, lambda: _small.mapping(emu)),
        ("latency", _small.LATENCY, lambda: _small.latency(emu, rounds=20 if quick else 60)),
    )
    rows: list[Any] = []
    targets: list[Any] = []
    for name, title, measure in plan:
        if name in wanted:
            print(f"\n{title}", flush=True)
            got, met = await measure()
            _print_rows(got)
            rows += got
            targets += met
    return rows, targets


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.child == "concurrency":
        _concurrency.child_main(args.contender, args.base_url, args.hub_url, args.streams)
        return 0
    if args.child == "batch":
        _batch.child_main(args.contender, args.base_url, args.hub_url)
        return 0
    from hf_router.testing import RouterEmulator

    wanted = tuple(args.only or SCENARIOS)
    started = time.perf_counter()
    print(f"Machine: {_common.machine()}")
    rows: list[Any] = []
    targets: list[Any] = []
    with RouterEmulator(process=True) as emu:
        _common.setup_emulator(emu)
        got, met = asyncio.run(_async_scenarios(emu, wanted, args.quick))
        rows += got
        targets += met
        if "concurrency" in wanted:
            print(f"\n{_concurrency.SCENARIO}", flush=True)
            got, met = _concurrency.run(emu, rounds=1 if args.quick else 2, streams=args.streams)
            _print_rows(got)
            rows += got
            targets += met
        if "batch" in wanted:
            _batch.setup(emu)
            print(f"\n{_batch.CPU_SCENARIO}", flush=True)
            got, met = _batch.cpu_scenario(emu, rounds=1 if args.quick else 3)
            _print_rows(got)
            rows += got
            targets += met
            print(f"\n{_batch.ROWS_SCENARIO}", flush=True)
            got, met = _batch.rows_scenario(emu)
            _print_rows(got)
            rows += got
            targets += met
    if "fitting" in wanted:
        print("\n9. Long-input fitting (CPU of one decision, no request)", flush=True)
        import fitting

        targets += fitting.main()
    if "imports" in wanted:
        print(f"\n{_imports.SCENARIO}", flush=True)
        got, met = _imports.run(rounds=3 if args.quick else 7)
        _print_rows(got)
        rows += got
        targets += met
    rows.sort(key=lambda r: r.scenario)  # scenario titles start with their number
    print("\nTargets")
    for label, measured, met in targets:
        print(f"  {'n/a ' if met is None else ('MET ' if met else 'MISS')}  {label}: {measured}")
    command = " ".join(["python", "benchmarks/run.py", *map(shlex.quote, sys.argv[1:])])
    text = _report.render(
        rows,
        targets,
        machine=_common.machine(),
        command=command,
        date=_small.now(),
        versions=_common.versions(_report.PEERS),
        settings={"quick": args.quick, "streams": args.streams, "scenarios": "/".join(wanted)},
    )
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"\nWrote {args.output} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
