"""What ``hf-router`` prints: chat events, the model table, media progress, search results.

Answers go to stdout (so they can be piped); who served them, fallbacks, trimming, usage and
progress go to stderr.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hf_router import (
    Fallback,
    Finish,
    MediaResult,
    ProviderInfo,
    ReasoningDelta,
    RouterModel,
    Status,
    TextDelta,
    ToolCallDelta,
    Trimmed,
    Usage,
)

__all__ = ["ChatPrinter", "event_json", "media_progress", "models_table", "print_search"]


def _type_name(event: object) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def event_json(event: object) -> str:
    """One event as a JSON line: ``{"type": "text_delta", ...its fields}``."""
    fields = dataclasses.asdict(event) if dataclasses.is_dataclass(event) else {}  # type: ignore[arg-type]
    return json.dumps({"type": _type_name(event), **fields}, ensure_ascii=False, default=str)


def describe(event: object) -> str | None:
    """A one-line note (for stderr) about a state event, or ``None``."""
    if isinstance(event, ProviderInfo):
        via = f" via {event.provider}" if event.provider else ""
        again = f" (attempt {event.attempt})" if event.attempt > 1 else ""
        return f"served by {event.model}{via}{again}"
    if isinstance(event, Fallback):
        who = event.model + (f":{event.provider}" if event.provider else "")
        status = f" HTTP {event.status_code}" if event.status_code else ""
        return f"fallback: attempt {event.attempt} ({who}) failed: {event.error_type}{status}: {event.reason}"
    if isinstance(event, Trimmed):
        return (
            f"trimmed the input to fit: {event.before} -> {event.after} characters, "
            f"{event.dropped_messages} message(s) dropped"
        )
    if isinstance(event, Usage):
        return f"tokens: {event.input_tokens} in, {event.output_tokens} out"
    if isinstance(event, Finish) and event.reason not in ("stop", "tool_calls"):
        return f"finished: {event.reason}" + (
            " (raise --max-tokens for a longer answer)" if event.reason == "length" else ""
        )
    return None


class ChatPrinter:
    """Prints a chat stream: text to ``out`` as it arrives, notes to ``err``."""

    def __init__(self, out: TextIO, err: Console, *, as_json: bool) -> None:
        self.out = out
        self.err = err
        self.as_json = as_json
        self._reasoning = False
        self._text_ended_with_newline = True

    def feed(self, event: object) -> None:
        if self.as_json:
            self.out.write(event_json(event) + "\n")
            self.out.flush()
            return
        if isinstance(event, TextDelta):
            if self._reasoning:
                self.err.print()
                self._reasoning = False
            self.out.write(event.text)
            self.out.flush()
            self._text_ended_with_newline = event.text.endswith("\n")
        elif isinstance(event, ReasoningDelta):
            self._reasoning = True
            self.err.print(event.text, end="", style="dim", markup=False, highlight=False)
        elif isinstance(event, ToolCallDelta):
            if event.name:
                self.err.print(f"tool call: {event.name}", style="yellow", markup=False)
        else:
            note = describe(event)
            if note:
                self.finish_line()
                self.err.print(note, style="cyan", markup=False, highlight=False)

    def finish_line(self) -> None:
        if not self.as_json and not self._text_ended_with_newline:
            self.out.write("\n")
            self.out.flush()
            self._text_ended_with_newline = True


def _span(values: Sequence[float]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    fmt = "{:,.0f}" if all(float(v).is_integer() for v in values) else "{:,.2f}"
    return fmt.format(low) if low == high else f"{fmt.format(low)}-{fmt.format(high)}"


def _support(values: Iterable[bool | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "?"
    if all(known):
        return "yes"
    return "no" if not any(known) else "some"


def models_table(models: Sequence[RouterModel]) -> Table:
    """A table of models: id, live providers, context length, price, tools, structured output."""
    table = Table(title=f"{len(models)} model(s)", title_justify="left")
    table.add_column("model", overflow="fold")
    table.add_column("live providers", overflow="fold")
    table.add_column("context", justify="right")
    table.add_column("in $/M tok", justify="right")
    table.add_column("out $/M tok", justify="right")
    table.add_column("tools")
    table.add_column("structured")
    for model in models:
        live = model.live_providers
        prices_in = [float(p.pricing["input"]) for p in live if _price(p.pricing, "input")]
        prices_out = [float(p.pricing["output"]) for p in live if _price(p.pricing, "output")]
        table.add_row(
            model.id,
            ", ".join(p.provider for p in live) or "(none live)",
            _span([p.context_length for p in live if p.context_length]),
            _span(prices_in),
            _span(prices_out),
            _support(p.supports_tools for p in live),
            _support(p.supports_structured_output for p in live),
        )
    return table


def _price(pricing: Mapping[str, Any] | None, key: str) -> bool:
    return pricing is not None and isinstance(pricing.get(key), int | float)


def models_json(models: Sequence[RouterModel]) -> Iterator[str]:
    """One JSON line per model."""
    for model in models:
        yield json.dumps(dataclasses.asdict(model), default=dict)


def media_progress(err: Console, events: Iterable[object], total: int) -> list[MediaResult]:
    """Show a progress bar on ``err`` while ``events`` run; return the saved results."""
    results: list[MediaResult] = []
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed}/{task.total} saved"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("starting", total=total)
        for event in events:
            if isinstance(event, MediaResult):
                results.append(event)
                progress.update(task, advance=1)
            elif isinstance(event, Status):
                label = f"{event.label}: {event.text}" if event.text else event.label
                progress.update(task, description=label)
            else:
                note = describe(event)
                if note:
                    progress.console.print(note, style="cyan", markup=False, highlight=False)
    return results


def print_search(out: Console, answer: str, sources: Sequence[Any]) -> None:
    """The answer, then the numbered sources."""
    out.print(answer, markup=False, highlight=False)
    if sources:
        out.print()
        out.print("Sources:", style="bold")
        for number, source in enumerate(sources, 1):
            title = source.title or source.hostname or source.url
            out.print(f"[{number}] {title} - {source.url}", markup=False, highlight=False)
