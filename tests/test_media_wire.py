"""The exact request bodies hf_router puts on the wire, read from the emulator's request log:
every LoRA case (fal-ai images and video, ``fal-ai/lora``'s base model, replicate, wavespeed),
nscale's ``size``, the video sizes derived from resolution and aspect ratio (together, novita),
and the emulator holding clients to the real contract (nscale fields, fal app-id polls,
together's error object, novita's synchronous route)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from hf_router import MediaClient
from hf_router.errors import GenerationFailedError
from hf_router.testing import RouterEmulator

TOKEN = "hf_wire_secret_token_123456"
PROMPT = "a paper boat on a puddle, watercolour"
WEIGHTS = "pytorch_lora_weights.safetensors"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(emulator: RouterEmulator, tmp_path: Path) -> Any:
    c = MediaClient(
        TOKEN, base_url=emulator.url, hub_url=emulator.hub_url, output_dir=tmp_path,
        poll_interval=0.05, poll_timeout=10,
    )  # fmt: skip
    yield c
    c.close()


def lora_model(emulator: RouterEmulator, repo: str, provider: str, pid: str, task: str) -> str:
    entry = {"provider": provider, "providerId": pid, "task": task, "adapter": "lora"}
    emulator.add_model(repo, providers=[{**entry, "adapterWeightsPath": WEIGHTS}], task=task)
    return repo


def submit(emulator: RouterEmulator) -> Any:
    [post] = [r for r in emulator.requests if r.method == "POST"]
    return post


# -- LoRA ----------------------------------------------------------------------------------------
def test_lora_fal_flux_image(emulator, client):
    repo = lora_model(emulator, "acme/ink-lora", "fal-ai", "fal-ai/flux-lora", "text-to-image")
    [result] = client.generate_image(repo, PROMPT, seed=1)
    post = submit(emulator)
    assert post.path == "/fal-ai/fal-ai/flux-lora"
    assert post.json == {
        "prompt": PROMPT,
        "image_size": {"width": 1024, "height": 1024},
        "seed": 1,
        "loras": [{"path": f"{emulator.hub_url}/acme/ink-lora/resolve/main/{WEIGHTS}", "scale": 1}],
    }
    assert result.provider == "fal-ai" and Path(result.path or "").stat().st_size > 0


def test_lora_fal_sd_base_model(emulator, client):
    repo = lora_model(emulator, "acme/sdxl-lora", "fal-ai", "fal-ai/lora", "text-to-image")
    client.generate_image(repo, PROMPT, width=768, height=512)
    assert submit(emulator).json == {
        "prompt": PROMPT,
        "image_size": {"width": 768, "height": 512},
        "loras": [
            {"path": f"{emulator.hub_url}/acme/sdxl-lora/resolve/main/{WEIGHTS}", "scale": 1}
        ],
        "model_name": "stabilityai/stable-diffusion-xl-base-1.0",
    }


def test_lora_fal_video(emulator, client):
    repo = lora_model(emulator, "acme/wan-lora", "fal-ai", "fal-ai/wan-lora", "text-to-video")
    [result] = client.generate_video(repo, PROMPT)
    post = submit(emulator)
    assert (post.path, post.query) == ("/fal-ai/fal-ai/wan-lora", "_subdomain=queue")
    assert post.json == {
        "prompt": PROMPT,
        "aspect_ratio": "16:9",
        "resolution": "480p",
        "num_inference_steps": 20,
        "loras": [{"path": f"{emulator.hub_url}/acme/wan-lora/resolve/main/{WEIGHTS}", "scale": 1}],
    }
    assert result.kind == "video"


def test_lora_replicate(emulator, client):
    repo = lora_model(emulator, "acme/rep-lora", "replicate", "lucataco/flux-lora", "text-to-image")
    client.generate_image(repo, PROMPT, aspect_ratio="3:2")
    post = submit(emulator)
    assert post.path == "/replicate/v1/models/lucataco/flux-lora/predictions"
    assert post.json == {
        "input": {
            "prompt": PROMPT,
            "width": 1216,
            "height": 832,
            "lora_weights": "https://huggingface.co/acme/rep-lora",  # the public Hub, as both
        }
    }


def test_lora_wavespeed(emulator, client):
    repo = lora_model(emulator, "acme/ws-lora", "wavespeed", "wavespeed-ai/flux-dev-lora", "text-to-image")  # fmt: skip
    client.generate_image(repo, PROMPT, seed=9)
    assert submit(emulator).json == {
        "prompt": PROMPT,
        "size": "1024*1024",
        "seed": 9,
        "loras": [{"path": "acme/ws-lora", "scale": 1}],  # huggingface.js: the repo id
    }


def test_no_adapter_no_lora_fields(emulator, client):
    emulator.add_model(
        "acme/plain", providers=[{"provider": "fal-ai", "providerId": "fal-ai/lora"}],
        task="text-to-image",
    )  # fmt: skip
    client.generate_image("acme/plain", PROMPT)
    assert set(submit(emulator).json) == {"prompt", "image_size"}


# -- nscale --------------------------------------------------------------------------------------
def test_nscale_size_and_dropped_fields(emulator, client):
    emulator.add_model("acme/ns", providers=["nscale"], task="text-to-image")
    extra = {"num_inference_steps": 30, "cfg_scale": 7, "guidance_scale": 3.5}
    [result] = client.generate_image("acme/ns", PROMPT, width=768, height=512, extra_data=extra)
    assert submit(emulator).json == {
        "response_format": "b64_json",
        "prompt": PROMPT,
        "model": "acme/ns",
        "size": "768x512",
        "guidance_scale": 3.5,  # kept, as huggingface_hub keeps it
    }
    assert (result.width, result.height) == (64, 43)  # the emulator's file for 768x512


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"size": "512x512"}, 200),
        ({"size": "512*512"}, 422),
        ({"width": 512, "height": 512}, 422),
        ({"size": "512x512", "num_inference_steps": 4}, 422),
        ({"size": "512x512", "cfg_scale": 2}, 422),
    ],
)
def test_emulator_nscale_contract(emulator, body, status):
    emulator.add_model("acme/ns2", providers=["nscale"], task="text-to-image")
    payload = {"prompt": "x", "model": "acme/ns2", "response_format": "b64_json", **body}
    answer = httpx.post(emulator.url + "/nscale/v1/images/generations", json=payload, headers=AUTH)
    assert answer.status_code == status, answer.text
    if status == 200:
        assert base64.b64decode(answer.json()["data"][0]["b64_json"])[:4] == b"\x89PNG"


# -- video sizes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("resolution", "aspect_ratio", "size"),
    [("480p", "16:9", (832, 480)), ("720p", "16:9", (1280, 720)), ("720p", "9:16", (720, 1280))],
)
def test_together_and_novita_video_sizes(emulator, client, resolution, aspect_ratio, size):
    emulator.add_model("acme/vid", providers=["together", "novita"], task="text-to-video")
    for provider in ("together", "novita"):
        emulator.clear_requests()
        client.generate_video(
            f"acme/vid:{provider}", PROMPT, resolution=resolution, aspect_ratio=aspect_ratio, seed=4
        )
        body = submit(emulator).json
        expected = {"prompt": PROMPT, "width": size[0], "height": size[1], "seed": 4, "steps": 20}
        if provider == "together":
            expected["model"] = "acme/vid"
        assert body == expected, provider


# -- the emulator holds clients to the contract ----------------------------------------------------
def test_fal_queue_answers_only_at_the_app_path(emulator, client):
    pid = "fal-ai/kling-video/v2/master/text-to-video"
    emulator.add_model("acme/kling", providers=[{"provider": "fal-ai", "providerId": pid}], task="text-to-video")  # fmt: skip
    queued = httpx.post(
        f"{emulator.url}/fal-ai/{pid}?_subdomain=queue", json={"prompt": "x"}, headers=AUTH
    ).json()
    job = queued["request_id"]
    assert queued["response_url"] == f"https://queue.fal.run/fal-ai/kling-video/requests/{job}"
    wrong = httpx.get(f"{emulator.url}/fal-ai/{pid}/requests/{job}/status?_subdomain=queue", headers=AUTH)  # fmt: skip
    other = httpx.get(f"{emulator.url}/fal-ai/fal-ai/other/requests/{job}/status?_subdomain=queue", headers=AUTH)  # fmt: skip
    right = httpx.get(f"{emulator.url}/fal-ai/fal-ai/kling-video/requests/{job}/status?_subdomain=queue", headers=AUTH)  # fmt: skip
    assert (wrong.status_code, other.status_code, right.status_code) == (404, 404, 200)
    emulator.reset()
    emulator.add_model("acme/kling", providers=[{"provider": "fal-ai", "providerId": pid}], task="text-to-video")  # fmt: skip
    [result] = client.generate_video("acme/kling", PROMPT)  # hf_router polls the app path
    assert result.provider == "fal-ai"


def test_together_video_failure_message(emulator, client):
    emulator.add_model("acme/tv", providers=["together"], task="text-to-video")
    emulator.set_fault("job_failed", model="acme/tv", provider="together")
    with pytest.raises(GenerationFailedError) as info:
        client.generate_video("acme/tv", PROMPT)
    text = str(info.value)
    assert "Generation failed: the provider could not generate the video." in text
    assert "{" not in text.split("Generation failed")[0]  # the message, not the dict's repr
    [poll] = [r for r in emulator.requests if r.method == "GET" and "/v2/videos/" in r.path]
    answer = httpx.get(emulator.url + poll.path, headers=AUTH).json()
    assert answer["status"] == "failed" and isinstance(answer["error"]["message"], str)


def test_novita_synchronous_route(emulator, client):
    answer = httpx.post(
        emulator.url + "/novita/v3/hf/wan-t2v", json={"prompt": "x", "seed": 1}, headers=AUTH
    )
    assert answer.status_code == 200
    url = answer.json()["video"]["video_url"]
    assert httpx.get(url).content[4:8] == b"ftyp"
    missing = httpx.post(emulator.url + "/novita/v3/hf/wan-t2v", json={}, headers=AUTH)
    assert missing.status_code == 422  # still refused without a prompt
