"""How gpt4free code calls the Hugging Face providers (the seed documents' examples and the
keyword arguments gpt4free's own client and API pass), with only the import changed:

    from g4f.Provider.hf import HuggingFaceAPI, HuggingFaceMedia   # before
    from hf_router import HuggingFaceAPI, HuggingFaceMedia         # after

Run as a script (tests/test_seed_port.py does, against the router emulator): the token comes
from ``HF_TOKEN`` and an optional proxy from ``PROXY``, as a gpt4free deployment configures
them. Every item is printed as ``<label>\t<type>\t<value>``.
"""

import asyncio
import os

from hf_router import HuggingFaceAPI, HuggingFaceMedia

API_KEY = os.environ.get("HF_TOKEN")
PROXY = os.environ.get("PROXY")
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64  # a tiny mp3 stream


def show(label, item):
    text = item if isinstance(item, str) else repr(item)
    print(f"{label}\t{type(item).__name__}\t{text}", flush=True)


async def main():
    # HuggingFaceAPI: the seed example (000/003), then with the keywords gpt4free passes
    messages = [{"role": "user", "content": "Hello, how are you?"}]
    model = "google/gemma-3-27b-it"
    try:
        async for chunk in HuggingFaceAPI.create_async_generator(
            model=model, messages=messages, api_key=API_KEY
        ):
            show("api", chunk)
    except Exception as e:
        print(f"Error: {e}")
        raise

    show("get_model", HuggingFaceAPI.get_model("llama-3.3-70b"))
    show("get_model", HuggingFaceAPI.get_model("qwen-2.5-coder-32b"))
    show("mapping", await HuggingFaceAPI.get_mapping(model, api_key=API_KEY))

    async for chunk in HuggingFaceAPI.create_async_generator(
        "llama-3.3-70b",
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Transcribe this."},
        ],
        api_key=API_KEY,
        proxy=PROXY,
        timeout=120,
        headers={"X-Title": "gpt4free"},
        extra_data={"temperature": 0.2},
        modalities=["text"],
        media=[(MP3, "question.mp3")],
        max_tokens=256,
    ):
        show("api-kwargs", chunk)

    for chunk in HuggingFaceAPI.create_completion(model, messages, api_key=API_KEY, stream=True):
        show("api-sync", chunk)

    # HuggingFaceMedia: the seed examples (001)
    show("media-models", HuggingFaceMedia.get_models())
    show(
        "media-mapping",
        await HuggingFaceMedia.get_mapping("stabilityai/stable-diffusion-2", api_key=API_KEY),
    )
    async for item in HuggingFaceMedia.create_async_generator(
        model="stabilityai/stable-diffusion-2",
        messages=[{"role": "user", "content": "Generate a futuristic car"}],
        api_key=API_KEY,
        n=2,
        proxy=PROXY,
    ):
        show("image", item)
    async for item in HuggingFaceMedia.create_async_generator(
        model="cerspense/zeroscope_v2_XL",
        messages=[{"role": "user", "content": "Generate a cat running"}],
        api_key=API_KEY,
        n=1,
    ):
        show("video", item)
    for item in HuggingFaceMedia.create_completion(
        "", [{"role": "user", "content": "a red kite over the sea"}], api_key=API_KEY
    ):
        show("media-sync", item)


if __name__ == "__main__":
    asyncio.run(main())
