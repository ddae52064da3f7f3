"""A tour of the hf_router core: streaming, who served the answer, a fallback, and trimming.

Offline by default: without HF_TOKEN it starts the bundled local router emulator in this
process and points the client at it. With HF_TOKEN set it talks to the real router.

    python examples/quickstart.py            # or: make demo
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from hf_router import (
    Fallback,
    Finish,
    ProviderInfo,
    ReasoningDelta,
    RouterClient,
    TextDelta,
    Trimmed,
    Usage,
)

MODEL = "meta-llama/Llama-3.3-70B-Instruct"


@contextlib.contextmanager
def router() -> Iterator[tuple[RouterClient, object | None]]:
    """A client for the real router (HF_TOKEN set) or for an in-process emulator."""
    if os.environ.get("HF_TOKEN"):
        print("HF_TOKEN is set: talking to the real router at https://router.huggingface.co\n")
        with RouterClient() as client:
            yield client, None
        return
    from hf_router.testing import RouterEmulator

    with RouterEmulator() as emu:
        print(f"HF_TOKEN is not set: using the local router emulator at {emu.url}")
        print("(a real HTTP server on loopback that speaks the router's protocol; its model")
        print(" echoes your last message; set HF_TOKEN to use the real router)\n")
        with RouterClient("hf_emulator", base_url=emu.base_url, hub_url=emu.hub_url) as client:
            yield client, emu


def show(events: Iterator[object]) -> None:
    """Print a stream of events as a person would like to read it."""
    for event in events:
        if isinstance(event, Trimmed):
            print(
                f"  [trimmed] input {event.before} -> {event.after} characters, "
                f"{event.dropped_messages} messages dropped"
            )
        elif isinstance(event, Fallback):
            print(
                f"  [fallback] attempt {event.attempt} on {event.provider or 'router choice'} "
                f"failed ({event.error_type}, HTTP {event.status_code}); trying the next one"
            )
        elif isinstance(event, ProviderInfo):
            print(f"  [served by] {event.provider} for {event.model} (attempt {event.attempt})")
            print("  ", end="")
        elif isinstance(event, ReasoningDelta):
            print(f"\033[2m{event.text}\033[0m", end="", flush=True)
        elif isinstance(event, TextDelta):
            print(event.text, end="", flush=True)
        elif isinstance(event, Usage):
            print(f"\n  [usage] {event.input_tokens} in, {event.output_tokens} out")
        elif isinstance(event, Finish):
            print(f"  [finish] {event.reason}\n")


def main() -> int:
    with router() as (client, emu):
        print("1. Streaming an answer")
        show(
            client.stream_chat(
                MODEL,
                [
                    {
                        "role": "user",
                        "content": "Say hello to LangChain and LlamaIndex in one sentence.",
                    }
                ],
                max_tokens=60,
            )
        )

        print("2. A provider out of credits (402): the client falls back to the next one")
        if emu is not None:
            emu.set_fault("402", model=MODEL, provider="together")  # type: ignore[attr-defined]
            show(client.stream_chat(MODEL, [{"role": "user", "content": "Fallback works."}]))
        else:
            show(
                client.stream_chat(
                    "hf-router-demo/no-such-model",
                    [{"role": "user", "content": "Say: fallback works."}],
                    fallback_models=[MODEL],
                    max_tokens=20,
                )
            )

        if emu is not None:
            emu.clear_faults()  # type: ignore[attr-defined]
        print("3. A long chat trimmed to max_inputs_lenght before it is sent")
        history = [{"role": "system", "content": "You answer in one short sentence."}]
        for i in range(12):
            history.append({"role": "user", "content": f"Tell me fact {i}. " + "Details. " * 40})
            history.append({"role": "assistant", "content": f"Fact {i}. " + "More. " * 40})
        history.append({"role": "user", "content": "Now summarise: trimming keeps this question."})
        show(client.stream_chat(MODEL, history, max_inputs_lenght=2000, max_tokens=40))
    return 0


if __name__ == "__main__":
    sys.exit(main())
