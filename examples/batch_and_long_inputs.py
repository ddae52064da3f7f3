"""A tour of work at scale: a long history fitted to the model's context window, a batch of
prompts with nothing lost, and the hf-router command.

Offline by default: without HF_TOKEN it starts the bundled local router emulator in this
process (with a small-window model and a provider out of credits) and points the client at
it. With HF_TOKEN set it talks to the real router.

    python examples/batch_and_long_inputs.py     # or: make demo
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

from hf_router import BatchProgress, ChatResult, RouterClient, Trimmed

MODEL = "meta-llama/Llama-3.3-70B-Instruct"
SMALL_WINDOW = "hf-router-demo/small-window-8k"  # an emulator model with an 8,192-token window


@contextlib.contextmanager
def router() -> Iterator[tuple[RouterClient, object | None, dict[str, str]]]:
    """A client for the real router (HF_TOKEN set) or for an in-process emulator, and the
    environment that points the hf-router command at the same place."""
    if os.environ.get("HF_TOKEN"):
        print("HF_TOKEN is set: talking to the real router at https://router.huggingface.co\n")
        with RouterClient() as client:
            yield client, None, dict(os.environ)
        return
    from hf_router.testing import RouterEmulator

    with RouterEmulator() as emu:
        print(f"HF_TOKEN is not set: using the local router emulator at {emu.url}\n")
        emu.add_model(SMALL_WINDOW, context_length=8192, overflow="vllm")
        env = {**os.environ, **emu.env(), "HF_TOKEN": "hf_emulator"}
        with RouterClient("hf_emulator", base_url=emu.base_url, hub_url=emu.hub_url) as client:
            yield client, emu, env


def long_history(characters: int) -> list[dict[str, str]]:
    """A chat of about ``characters`` characters: a system prompt, many turns, a question."""
    history = [{"role": "system", "content": "You answer in one short sentence."}]
    turn = 0
    while sum(len(m["content"]) for m in history) < characters:
        history.append({"role": "user", "content": f"Note {turn}: " + "details " * 300})
        history.append({"role": "assistant", "content": f"Noted {turn}."})
        turn += 1
    history.append({"role": "user", "content": "Which note came first?"})
    return history


def main() -> int:
    with router() as (client, emu, env):
        model = SMALL_WINDOW if emu is not None else MODEL
        history = long_history(600_000)
        print(f"1. A {len(history)}-message, ~600,000-character history to {model}")
        print("   (the budget comes from the model's context window in /v1/models)")
        for event in client.stream_chat(model, history):
            if isinstance(event, Trimmed):
                print(
                    f"   [fitted] {event.before:,} -> {event.after:,} characters "
                    f"(limit {event.limit:,}): {event.dropped_messages} older messages dropped, "
                    f"{event.shortened_messages} shortened; the system prompt and the question "
                    "are kept"
                )
        print("   answered.\n")

        print("2. A batch of 60 prompts, 16 at a time; one provider is out of credits")
        if emu is not None:
            emu.set_fault("402", model=MODEL, provider="together")  # type: ignore[attr-defined]
        prompts = [f"Give me a one-word answer: what is {i} + {i}?" for i in range(60)]

        def progress(p: BatchProgress) -> None:
            if p.done % 20 == 0:
                print(f"   {p.done}/{p.total} rows done, {p.failed} failed, {p.elapsed:.1f}s")

        started = time.monotonic()
        results = client.batch(MODEL, prompts, concurrency=16, progress=progress, max_tokens=10)
        answered = [r for r in results if isinstance(r, ChatResult)]
        served = {r.provider_info.provider for r in answered if r.provider_info}
        print(
            f"   {len(answered)}/{len(results)} answered in {time.monotonic() - started:.1f}s, "
            f"in input order, served by {', '.join(sorted(p for p in served if p))}\n"
        )
        if emu is not None:
            emu.clear_faults()  # type: ignore[attr-defined]

        print("3. The hf-router command: hf-router chat MODEL PROMPT")
        done = subprocess.run(
            [sys.executable, "-m", "hf_router.cli", "chat", MODEL, "Say hello from the CLI."],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        print(f"   stdout: {done.stdout.strip()}")
        for line in done.stderr.strip().splitlines():
            print(f"   stderr: {line}")
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
