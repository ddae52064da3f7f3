"""The seed port: gpt4free-style code (tests/seed_port/gpt4free_usage.py, the seed documents'
examples plus the keyword arguments gpt4free passes) runs unchanged against the emulator; and
the facades' seed behaviour one rule at a time: the keywords honoured (``proxy`` through a
real recording proxy, ``timeout``, ``headers``, ``extra_data``, ``api_endpoint``,
``modalities``/``audio``), ``(data, filename)`` media, a pinned provider never answered by
another model, the sync ``create_completion`` twins, and HuggingFaceMedia's model choice,
provider order and hf-inference seeds."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _recording_proxy import recording_proxy

from hf_router import HuggingFaceAPI, HuggingFaceMedia, MediaResult, ProviderInfo
from hf_router.errors import HFRouterError, InvalidInputError, PaymentRequiredError
from hf_router.testing import RouterEmulator

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "seed_port" / "gpt4free_usage.py"
TOKEN = "hf_seed_port_token_123456"
CHAT = "acme/seed-chat-8b"
HELLO = [{"role": "user", "content": "Hello, how are you?"}]


@pytest.fixture
def seed_env(
    emulator: RouterEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> RouterEmulator:
    """The facades pointed at the emulator, with fresh class-level caches."""
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for facade in (HuggingFaceAPI, HuggingFaceMedia):
        facade._clients.clear()
        facade.provider_mapping.clear()
        facade.models = []
    yield emulator
    for facade in (HuggingFaceAPI, HuggingFaceMedia):
        for client in facade._clients.values():
            client.close()
        facade._clients.clear()
        facade.provider_mapping.clear()
        facade.models = []


def chat_posts(emulator: RouterEmulator) -> list[Any]:
    return [
        r for r in emulator.requests if r.method == "POST" and r.path.endswith("/chat/completions")
    ]


async def collect(agen: Any) -> list[Any]:
    return [item async for item in agen]


# -- the script ------------------------------------------------------------------------------------
def test_gpt4free_script_runs_unchanged(seed_env, tmp_path):
    emulator = seed_env
    emulator.add_model("google/gemma-3-27b-it", providers=["together", "cerebras"])
    emulator.add_model(
        "stabilityai/stable-diffusion-2", providers=["fal-ai", "hf-inference", "replicate"],
        task="text-to-image",
    )  # fmt: skip
    emulator.add_model("cerspense/zeroscope_v2_XL", providers=["fal-ai", "replicate"], task="text-to-video")  # fmt: skip
    with recording_proxy() as (proxy, seen):
        env = {
            **os.environ, **emulator.env(), "HF_TOKEN": TOKEN, "PROXY": proxy,
            "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT),
        }  # fmt: skip
        run = subprocess.run(
            [sys.executable, str(SCRIPT)], env=env, cwd=tmp_path, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [line.split("\t", 2) for line in run.stdout.splitlines()]
    by = lambda label: [(kind, value) for lab, kind, value in lines if lab == label]  # noqa: E731

    api = by("api")
    assert api[0][0] == "ProviderInfo" and "together" in api[0][1]
    text = "".join(v for k, v in api if k == "str")
    assert len(text) > 10
    assert by("get_model") == [
        ("str", "meta-llama/Llama-3.3-70B-Instruct"),
        ("str", "Qwen/Qwen2.5-Coder-32B-Instruct"),
    ]
    assert "'together': {'status': 'live'" in by("mapping")[0][1]
    assert "".join(v for k, v in by("api-sync") if k == "str") == text  # same prompt, same answer

    # the keyword arguments gpt4free passes, honoured on the wire
    [post] = [r for r in chat_posts(emulator) if r.headers.get("x-title") == "gpt4free"]
    assert post.json["model"] == "meta-llama/Llama-3.3-70B-Instruct"
    assert post.json["temperature"] == 0.2 and post.json["modalities"] == ["text"]
    assert post.json["max_tokens"] == 256
    audio, question = post.json["messages"][-1]["content"]
    assert audio["type"] == "input_audio" and audio["input_audio"]["format"] == "mp3"
    assert base64.b64decode(audio["input_audio"]["data"]).startswith(b"ID3")
    assert question == {"type": "text", "text": "Transcribe this."}
    assert post.headers["authorization"] == "Bearer hf_***"
    assert any(
        s.startswith("POST http://127.0.0.1") and s.endswith("/v1/chat/completions") for s in seen
    )

    # HuggingFaceMedia: the seed's examples
    assert by("media-models")[0][1].startswith("['Wan-AI/Wan2.1-T2V-14B'")
    images = [v for k, v in by("image") if k == "MediaResult"]
    # the seed's order: replicate/together/hf-inference first (in mapping order), so hf-inference
    # although fal-ai comes first in the mapping
    assert len(images) == 2 and all("provider='hf-inference'" in v for v in images)
    assert any("/hf-inference/models/stabilityai/" in s for s in seen)  # media took the proxy
    assert [k for k, _ in by("video")].count("MediaResult") == 1
    [sync] = [v for k, v in by("media-sync") if k == "MediaResult"]
    assert "kind='video'" in sync  # no model: the first listed (video first, seed)
    saved = list((tmp_path / "cache" / "hf-router" / "media").iterdir())
    assert len(saved) == 4 and all(p.stat().st_size > 0 for p in saved)


# -- HuggingFaceAPI ----------------------------------------------------------------------------------
def test_attributes():
    assert HuggingFaceAPI.supports_stream is True and HuggingFaceMedia.supports_stream is True
    aliases = HuggingFaceAPI.model_aliases
    assert aliases["qwen-2.5-72b"] == "Qwen/Qwen2.5-Coder-32B-Instruct"  # sic, as the seed
    assert aliases["llama-3"] == aliases["llama-3.3-70b"] == "meta-llama/Llama-3.3-70B-Instruct"
    assert aliases["flux"] == "black-forest-labs/FLUX.1-dev" and aliases["sd-3.5"].startswith(
        "stabilityai/"
    )
    for gone in (
        "qwq-32b",
        "nemotron-70b",
        "phi-3.5-mini",
        "qvq-72b",
        "llama-3.2-11b",
        "command-r-plus",
    ):
        assert gone not in aliases, gone
    assert aliases["deepseek-r1"] == "deepseek-ai/DeepSeek-R1"  # the seed's Distill-32B is gone
    assert HuggingFaceAPI.default_vision_model in HuggingFaceAPI.vision_models


async def test_pinned_402_raises_and_never_tries_another_model(seed_env):
    emulator = seed_env
    emulator.add_model(CHAT, providers=["together", "cerebras"])
    emulator.set_fault("402", model=CHAT, provider="cerebras")
    with pytest.raises(PaymentRequiredError) as info:
        await collect(HuggingFaceAPI.create_async_generator(f"{CHAT}:cerebras", HELLO))
    assert info.value.provider == "cerebras"
    assert [p.json["model"] for p in chat_posts(emulator)] == [f"{CHAT}:cerebras"]
    # unpinned, the same failures move on: the model's other provider, then a fallback model
    emulator.set_fault("402", model=CHAT, provider="together")
    emulator.clear_requests()
    items = await collect(HuggingFaceAPI.create_async_generator(CHAT, HELLO))
    models = [p.json["model"] for p in chat_posts(emulator)]
    assert models == [CHAT, f"{CHAT}:cerebras", HuggingFaceAPI.fallback_models[0]]
    [info] = [i for i in items if isinstance(i, ProviderInfo)]
    assert info.model == HuggingFaceAPI.fallback_models[0]


async def test_headers_never_replace_authorization_and_extra_data_wins(seed_env):
    emulator = seed_env
    emulator.add_model(CHAT, providers=["together"])
    items = await collect(
        HuggingFaceAPI.create_async_generator(
            CHAT, HELLO, headers={"Authorization": "Bearer stolen", "X-Trace": "t-1"},
            extra_data={"max_tokens": 7, "top_k": 3}, audio={"voice": "alloy", "format": "mp3"},
            impersonate="chrome",
        )
    )  # fmt: skip
    assert isinstance(items[0], ProviderInfo)
    [post] = chat_posts(emulator)
    assert post.headers["authorization"] == "Bearer hf_***" and post.headers["x-trace"] == "t-1"
    assert post.json["max_tokens"] == 7 and post.json["top_k"] == 3  # extra_data merged last
    assert post.json["audio"] == {"voice": "alloy", "format": "mp3"}


async def test_api_endpoint_is_used_as_is(seed_env):
    emulator = seed_env
    emulator.add_model(CHAT, providers=["together"])
    endpoint = f"{emulator.url}/together/v1/chat/completions"
    items = await collect(HuggingFaceAPI.create_async_generator(CHAT, HELLO, api_endpoint=endpoint))
    assert "".join(i for i in items if isinstance(i, str))
    assert [p.path for p in chat_posts(emulator)] == ["/together/v1/chat/completions"]
    assert not [r for r in emulator.requests if r.path.startswith("/api/")]  # no Hub lookup
    with pytest.raises(InvalidInputError, match="chat/completions"):
        await collect(HuggingFaceAPI.create_async_generator(CHAT, HELLO, api_endpoint=emulator.url))


async def test_timeout_bounds_each_request(seed_env):
    emulator = seed_env
    emulator.add_model(CHAT, providers=["together"])
    emulator.set_fault("slow_first_token=5", model=CHAT)
    with pytest.raises(HFRouterError, match=r"(?i)time"):
        await collect(HuggingFaceAPI.create_async_generator(f"{CHAT}:together", HELLO, timeout=0.5))


async def test_media_pairs_render_as_the_seed(seed_env, tmp_path):
    emulator = seed_env
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
    )
    wav = tmp_path / "note.wav"
    wav.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28))
    messages = [{"role": "user", "content": "Describe both."}]
    await collect(
        HuggingFaceAPI.create_async_generator(
            f"{CHAT}:together", messages, media=[(png, "photo.png"), (str(wav), "note.wav"), ("data:audio/mpeg;base64,SUQz", "x")],
        )
    )  # fmt: skip
    [post] = chat_posts(emulator)
    image, audio, mpeg, text = post.json["messages"][-1]["content"]
    assert image["type"] == "image_url" and image["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )
    assert audio["input_audio"]["format"] == "wav"
    assert base64.b64decode(audio["input_audio"]["data"]) == wav.read_bytes()
    assert mpeg["input_audio"] == {"data": "SUQz", "format": "mp3"}
    assert text == {"type": "text", "text": "Describe both."}
    assert messages == [{"role": "user", "content": "Describe both."}]  # the caller's list intact


def test_create_completion_is_the_sync_twin(seed_env):
    emulator = seed_env
    emulator.add_model(CHAT, providers=["together"])
    items = list(HuggingFaceAPI.create_completion(CHAT, HELLO, headers={"X-Sync": "1"}))
    assert isinstance(items[0], ProviderInfo) and "".join(i for i in items if isinstance(i, str))
    assert chat_posts(emulator)[0].headers["x-sync"] == "1"


# -- HuggingFaceMedia --------------------------------------------------------------------------------
async def test_media_no_model_uses_the_first_listed(seed_env, tmp_path):
    items = await collect(
        HuggingFaceMedia.create_async_generator("", [{"role": "user", "content": "surf"}], output_dir=tmp_path)
    )  # fmt: skip
    [result] = [i for i in items if isinstance(i, MediaResult)]
    assert result.kind == "video"  # the Hub listing puts video models first (seed)
    assert HuggingFaceMedia.get_model("") == "Wan-AI/Wan2.1-T2V-14B"
    assert HuggingFaceMedia.get_model("flux:fal-ai") == "black-forest-labs/FLUX.1-dev:fal-ai"
    assert HuggingFaceMedia.get_model("org/other") == "org/other"


async def test_media_seed_provider_order(seed_env, tmp_path):
    emulator = seed_env
    emulator.add_model(
        "acme/order", providers=["fal-ai", "wavespeed", "hf-inference", "together", "replicate"],
        task="text-to-image",
    )  # fmt: skip
    for provider in ("hf-inference", "together"):
        emulator.set_fault("402", model="acme/order", provider=provider)
    items = await collect(
        HuggingFaceMedia.create_async_generator("acme/order", [{"role": "user", "content": "x"}], output_dir=tmp_path)
    )  # fmt: skip
    [result] = [i for i in items if isinstance(i, MediaResult)]
    assert result.provider == "replicate"
    tried = [r.path.split("/")[1] for r in emulator.requests if r.method == "POST"]
    # replicate/together/hf-inference first, in mapping order; fal-ai (first in the mapping) unused
    assert tried == ["hf-inference", "together", "replicate"]


async def test_media_hf_inference_random_seed(seed_env, tmp_path):
    emulator = seed_env
    emulator.add_model("acme/hfi", providers=["hf-inference"], task="text-to-image")
    items = await collect(
        HuggingFaceMedia.create_async_generator("acme/hfi", [{"role": "user", "content": "dune"}], n=2, output_dir=tmp_path)
    )  # fmt: skip
    results = [i for i in items if isinstance(i, MediaResult)]
    seeds = [r.json["parameters"]["seed"] for r in emulator.requests if r.method == "POST"]
    assert len(results) == 2 and len(set(seeds)) == 2 and all(isinstance(s, int) for s in seeds)
    assert Path(results[0].path or "").read_bytes() != Path(results[1].path or "").read_bytes()
    emulator.clear_requests()
    await collect(
        HuggingFaceMedia.create_async_generator("acme/hfi", [{"role": "user", "content": "dune"}], seed=5, output_dir=tmp_path)
    )  # fmt: skip
    assert [r.json["parameters"]["seed"] for r in emulator.requests if r.method == "POST"] == [5]


def test_media_create_completion_is_the_sync_twin(seed_env, tmp_path):
    items = list(
        HuggingFaceMedia.create_completion(
            "flux:together", [{"role": "user", "content": "a kite"}], output_dir=tmp_path
        )
    )
    [result] = [i for i in items if isinstance(i, MediaResult)]
    assert (result.kind, result.provider) == ("image", "together")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"headers": ["X-A: 1"]}, "headers"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "slow"}, "timeout"),
        ({"extra_data": ["x"]}, "extra_data"),
        ({"api_endpoint": "http://127.0.0.1:9/v1"}, "chat/completions"),
        ({"media": [("/no/such/file.mp3", "file.mp3")]}, "audio media"),
        ({"media": [(b"", "empty.wav")]}, "empty"),
    ],
)
async def test_bad_seed_keywords_are_refused_before_sending(seed_env, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        await collect(HuggingFaceAPI.create_async_generator(CHAT, HELLO, **kwargs))
    assert not chat_posts(seed_env)
