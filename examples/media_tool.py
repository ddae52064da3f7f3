"""Image and video generation across inference providers: the core, then the framework tools.

Offline by default: without HF_TOKEN it starts the bundled emulator, which serves the
providers' real protocols (submit, poll, download) and makes small real PNG and MP4 files.
With HF_TOKEN set it uses the real router. Files are saved under examples/output/.
A progress bar is shown while waiting when tqdm is installed (`pip install "hf-router[progress]"`).

    python examples/media_tool.py      # or: make demo
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from hf_router import Fallback, MediaClient, MediaResult, ProviderInfo, Status

IMAGE_MODEL = "black-forest-labs/FLUX.1-dev"
VIDEO_MODEL = "Wan-AI/Wan2.1-T2V-14B"
OUTPUT = Path(__file__).parent / "output"


@contextlib.contextmanager
def router() -> Iterator[object | None]:
    """Point the environment at the emulator unless HF_TOKEN is set."""
    if os.environ.get("HF_TOKEN"):
        print("HF_TOKEN is set: generating through the real router\n")
        yield None
        return
    from hf_router.testing import RouterEmulator

    with RouterEmulator() as emu:
        print(f"HF_TOKEN is not set: using the local router emulator at {emu.url}")
        print("(real HTTP, the providers' protocols, tiny generated files)\n")
        saved = dict(os.environ)
        os.environ.update(emu.env())
        os.environ["HF_TOKEN"] = "hf_emulator"
        try:
            yield emu
        finally:
            os.environ.clear()
            os.environ.update(saved)


class Progress:
    """A tqdm bar fed by the core's Status events (plain lines without tqdm)."""

    def __init__(self, title: str) -> None:
        try:
            from tqdm import tqdm
        except ImportError:
            self._bar = None
        else:
            self._bar = tqdm(desc=f"  {title}", bar_format="{desc}: {elapsed} {postfix}")
        self.title = title

    def update(self, status: Status) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(status.text, refresh=True)
        else:
            print(f"  [{status.label}] {status.text}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


async def generate(client: MediaClient, kind: str, model: str, prompt: str) -> None:
    """One generation with a progress bar; prints who served it and where the file went."""
    bar = Progress(f"{kind}: {prompt}")
    notes: list[str] = []
    try:
        async for event in client.astream_media(kind, model, prompt):  # type: ignore[arg-type]
            if isinstance(event, Status):
                bar.update(event)
            elif isinstance(event, Fallback):
                notes.append(
                    f"  [skipped] {event.provider}: {event.error_type} (HTTP {event.status_code})"
                )
            elif isinstance(event, ProviderInfo):
                notes.append(f"  [served by] {event.provider} ({event.provider_model_id})")
            elif isinstance(event, MediaResult):
                notes.append(f"  [saved] {event.path} ({event.mime_type})")
    finally:
        bar.close()
    print("\n".join(notes))


async def core_part(emu: object | None) -> None:
    print("1. The core: an image and a video, with progress, a provider fallback and the files")
    if emu is not None:
        emu.configure_media(polls=4)  # type: ignore[attr-defined]  # a job that takes a moment
        emu.set_fault("402", model=VIDEO_MODEL, provider="fal-ai")  # type: ignore[attr-defined]
    async with MediaClient(output_dir=OUTPUT, poll_interval=0.5) as client:
        await generate(client, "image", IMAGE_MODEL, "a red fox in the snow")
        await generate(client, "video", VIDEO_MODEL, "waves rolling in at dusk")
    print()


def langchain_part() -> None:
    from langchain_hf_router import HFMediaTool

    print("2. LangChain: HFMediaTool called as an agent would (content and artifact)")
    tool = HFMediaTool(output_dir=str(OUTPUT))
    message = tool.invoke(
        {
            "type": "tool_call",
            "id": "call_1",
            "name": tool.name,
            "args": {"prompt": "a red fox in the snow", "n": 2, "aspect_ratio": "16:9"},
        }
    )
    print(f"  content: {message.content}")
    for item in message.artifact:
        print(f"  artifact: {item['kind']} {item['mime_type']} {item['path']}")
    print()


def llama_index_part() -> None:
    from llama_index_hf_router import HFMediaToolSpec

    print("3. LlamaIndex: HFMediaToolSpec as FunctionTools")
    tools = HFMediaToolSpec(output_dir=str(OUTPUT)).to_tool_list()
    print(f"  tools: {[t.metadata.name for t in tools]}")
    image_tool = next(t for t in tools if t.metadata.name == "generate_image")
    print(f"  {image_tool(prompt='a lighthouse in a storm')}")
    print()


def main() -> int:
    with router() as emu:
        asyncio.run(core_part(emu))
        if emu is not None:
            emu.clear_faults()  # type: ignore[attr-defined]
        langchain_part()
        llama_index_part()
    return 0


if __name__ == "__main__":
    sys.exit(main())
