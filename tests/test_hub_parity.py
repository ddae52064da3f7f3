"""Parity with the official client: huggingface_hub's ``InferenceClient`` (2.x, over httpx2) runs
against the emulator for every provider x task it supports (text-to-image, text-to-video, chat
incl. a pinned provider), and hf_router's clients make the same call; both must succeed, and
every field huggingface_hub sends, hf_router sends too, with the same value.

The real router and Hub hostnames are kept in the URLs: a transport (huggingface_hub's
``set_client_factory`` for its httpx2 clients, an injected ``httpx`` client for ours) sends
``router.huggingface.co`` and ``huggingface.co`` to the emulator over loopback (no DNS; pytest-socket
allows only loopback) with ``X-Forwarded-Proto: https``, so the emulator answers with
``https://router.huggingface.co/...`` URLs exactly as the router would. Nothing in huggingface_hub
is patched.

Deliberate differences (docs/media-protocols.md), stated where they are tested: hf_router adds
the seed's video defaults (aspect_ratio, resolution, 20 steps; width/height from the resolution
for together and novita), sends wavespeed images ``size: "W*H"`` rather than width/height, and
takes novita's asynchronous route (huggingface.js) where huggingface_hub takes the synchronous
``/v3/hf`` one.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hf_router import MediaClient, RouterClient
from hf_router.testing import RouterEmulator

huggingface_hub = pytest.importorskip("huggingface_hub")
httpx2 = pytest.importorskip("httpx2")
from huggingface_hub import InferenceClient  # noqa: E402
from huggingface_hub.utils._http import (  # noqa: E402
    close_session,
    default_async_client_factory,
    default_client_factory,
    set_async_client_factory,
    set_client_factory,
)

TOKEN = "hf_parity_token_1234567890"
ROUTER = "https://router.huggingface.co"
HUB = "https://huggingface.co"
HOSTS = ("router.huggingface.co", "huggingface.co")
PROMPT = "a lighthouse on a cliff at dawn, oil painting"
LORA_FILE = "flux_dev_frostinglane_araminta_k.safetensors"

IMAGE_IDS = {
    "fal-ai": "fal-ai/flux/dev",
    "replicate": "black-forest-labs/flux-dev",
    "together": "black-forest-labs/FLUX.1-dev",
    "nscale": "black-forest-labs/FLUX.1-dev",
    "hf-inference": "",  # hf-inference serves a model under its own repo id
    "wavespeed": "wavespeed-ai/flux-dev",
}
VIDEO_IDS = {
    "fal-ai": "fal-ai/wan-t2v",
    "replicate": "wan-video/wan-2.1-t2v-480p",
    "together": "Wan-AI/Wan2.1-T2V-14B",
    "wavespeed": "wavespeed-ai/wan-2.1/t2v-480p",
    "novita": "wan-t2v",
}


def _to_emulator(url: Any, emulator: RouterEmulator, headers: Any) -> Any:
    target = httpx.URL(emulator.url)
    headers["x-forwarded-proto"] = "https"
    return url.copy_with(scheme="http", host=target.host, port=target.port)


class Hub2Transport(httpx2.BaseTransport):
    """huggingface_hub's side: the router and Hub hostnames go to the emulator."""

    def __init__(self, emulator: RouterEmulator) -> None:
        self.emulator, self.inner = emulator, httpx2.HTTPTransport()

    def handle_request(self, request: Any) -> Any:
        if request.url.host in HOSTS:
            request.url = _to_emulator(request.url, self.emulator, request.headers)
        return self.inner.handle_request(request)


class AsyncHub2Transport(httpx2.AsyncBaseTransport):
    def __init__(self, emulator: RouterEmulator) -> None:
        self.emulator, self.inner = emulator, httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: Any) -> Any:
        if request.url.host in HOSTS:
            request.url = _to_emulator(request.url, self.emulator, request.headers)
        return await self.inner.handle_async_request(request)


class OurTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """hf_router's side (httpx): the same mapping."""

    def __init__(self, emulator: RouterEmulator) -> None:
        self.emulator = emulator
        self.inner, self.ainner = httpx.HTTPTransport(), httpx.AsyncHTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in HOSTS:
            request.url = _to_emulator(request.url, self.emulator, request.headers)
        return self.inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in HOSTS:
            request.url = _to_emulator(request.url, self.emulator, request.headers)
        return await self.ainner.handle_async_request(request)


@pytest.fixture
def hub(emulator: RouterEmulator) -> Iterator[RouterEmulator]:
    """huggingface_hub's HTTP clients routed to the emulator (restored afterwards)."""
    set_client_factory(
        lambda: httpx2.Client(transport=Hub2Transport(emulator), follow_redirects=True)
    )
    set_async_client_factory(lambda: httpx2.AsyncClient(transport=AsyncHub2Transport(emulator)))
    try:
        yield emulator
    finally:
        set_client_factory(default_client_factory)
        set_async_client_factory(default_async_client_factory)
        close_session()


@pytest.fixture
async def media(emulator: RouterEmulator, tmp_path: Path) -> Any:
    transport = OurTransport(emulator)
    async with httpx.AsyncClient(transport=transport) as http:
        client = MediaClient(
            TOKEN, base_url=ROUTER, hub_url=HUB, output_dir=tmp_path, poll_interval=0.05,
            poll_timeout=20, http_async_client=http,
        )  # fmt: skip
        yield client
        await client.aclose()


def _model(
    emulator: RouterEmulator, name: str, provider: str, pid: str, task: str, **lora: str
) -> str:
    entry = {"provider": provider, "providerId": pid, "task": task, **lora}
    emulator.add_model(name, providers=[entry], task=task, mapping_form="list")
    return name


def _submits(emulator: RouterEmulator) -> list[Any]:
    """The generation requests in the log (not the Hub lookups, polls or downloads)."""
    return [r for r in emulator.requests if r.method == "POST"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _contains(ours: Any, theirs: Any, where: str = "body") -> None:
    """Every field huggingface_hub sent, hf_router sent with the same value."""
    assert isinstance(ours, dict) and isinstance(theirs, dict), where
    for key, value in theirs.items():
        assert key in ours, f"{where}.{key} missing (huggingface_hub sends {value!r})"
        if isinstance(value, dict):
            _contains(ours[key], value, f"{where}.{key}")
        else:
            assert ours[key] == value, f"{where}.{key}: ours {ours[key]!r}, hub {value!r}"


# -- text-to-image -----------------------------------------------------------------------------
@pytest.mark.parametrize("provider", list(IMAGE_IDS))
async def test_text_to_image_matches_huggingface_hub(hub, media, tmp_path, provider):
    name = f"parity/img-{provider}"
    model = _model(hub, name, provider, IMAGE_IDS[provider] or name, "text-to-image")
    args = {"width": 512, "height": 256, "seed": 11, "negative_prompt": "fog"}
    client = InferenceClient(provider=provider, api_key=TOKEN)
    image = client.text_to_image(PROMPT, model=model, **args)
    [theirs] = _submits(hub)
    assert image.size == (64, 32)  # the emulator's file for 512x256, scaled down
    hub.clear_requests()

    [result] = await media.agenerate_image(f"{model}:{provider}", PROMPT, **args)
    [ours] = _submits(hub)
    assert (ours.path, ours.query) == (theirs.path, theirs.query)
    ours_bytes = Path(result.path or "").read_bytes()
    assert _png_size(ours_bytes) == image.size == (result.width, result.height)
    if provider == "wavespeed":
        # Deliberate: wavespeed's image models take size "W*H"; huggingface_hub passes
        # width/height through untouched. Everything else is the same.
        assert theirs.json["width"] == 512 and "width" not in ours.json
        assert ours.json["size"] == "512*256"
        theirs_json = {k: v for k, v in theirs.json.items() if k not in ("width", "height")}
        _contains(ours.json, theirs_json)
    else:
        assert ours.json == theirs.json  # byte for byte the same request


# -- LoRA adapters -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "pid", "task"),
    [
        ("fal-ai", "fal-ai/flux-lora", "text-to-image"),
        ("fal-ai", "fal-ai/lora", "text-to-image"),
        ("replicate", "lucataco/flux-dev-lora", "text-to-image"),
        ("fal-ai", "fal-ai/wan-lora", "text-to-video"),
    ],
)
async def test_lora_requests_match_huggingface_hub(hub, media, provider, pid, task):
    lora = {"adapter": "lora", "adapterWeightsPath": LORA_FILE}
    repo = f"alvdansen/lora-{pid.replace('/', '-')}"  # one repo per case (the Hub caches mappings)
    model = _model(hub, repo, provider, pid, task, **lora)
    client = InferenceClient(provider=provider, api_key=TOKEN)
    if task == "text-to-image":
        client.text_to_image(PROMPT, model=model, seed=3)
    else:
        client.text_to_video(PROMPT, model=model, seed=3)
    [theirs] = _submits(hub)
    hub.clear_requests()
    if task == "text-to-image":
        await media.agenerate_image(f"{model}:{provider}", PROMPT, seed=3)
    else:
        await media.agenerate_video(f"{model}:{provider}", PROMPT, seed=3)
    [ours] = _submits(hub)
    assert ours.path == theirs.path
    _contains(ours.json, theirs.json)
    body = ours.json.get("input", ours.json)
    if provider == "replicate":
        assert body["lora_weights"] == f"{HUB}/{repo}"
    else:
        assert body["loras"] == [{"path": f"{HUB}/{repo}/resolve/main/{LORA_FILE}", "scale": 1}]
        assert ("model_name" in body) == (pid == "fal-ai/lora")


# -- text-to-video -----------------------------------------------------------------------------
@pytest.mark.parametrize("provider", list(VIDEO_IDS))
async def test_text_to_video_matches_huggingface_hub(hub, media, provider):
    model = _model(hub, f"parity/vid-{provider}", provider, VIDEO_IDS[provider], "text-to-video")
    client = InferenceClient(provider=provider, api_key=TOKEN)
    video = client.text_to_video(PROMPT, model=model, seed=5, negative_prompt="rain")
    assert video[4:8] == b"ftyp"
    [theirs] = _submits(hub)
    hub.clear_requests()

    [result] = await media.agenerate_video(
        f"{model}:{provider}", PROMPT, seed=5, negative_prompt="rain"
    )
    assert Path(result.path or "").read_bytes()[4:8] == b"ftyp"
    [ours] = _submits(hub)
    if provider == "novita":
        # Deliberate: huggingface_hub calls the synchronous /v3/hf route; hf_router follows
        # huggingface.js (asynchronous /v3/async, polled), and also accepts a synchronous answer.
        assert theirs.path == f"/novita/v3/hf/{VIDEO_IDS[provider]}"
        assert ours.path == f"/novita/v3/async/{VIDEO_IDS[provider]}"
        assert any(r.path == "/novita/v3/async/task-result" for r in hub.requests)
    else:
        assert (ours.path, ours.query) == (theirs.path, theirs.query)
    # Every field huggingface_hub sends is sent; hf_router adds the seed's video defaults.
    _contains(ours.json, theirs.json)
    body = ours.json.get("input", ours.json)
    if provider in ("together", "novita"):
        assert (body["width"], body["height"]) == (832, 480)  # 480p 16:9
    else:
        assert (body["aspect_ratio"], body["resolution"]) == ("16:9", "480p")


async def test_fal_video_with_a_deep_provider_id_polls_the_app_path(hub, media):
    """fal answers a response_url at the app id (two segments): both clients poll there."""
    pid = "fal-ai/kling-video/v2/master/text-to-video"
    model = _model(hub, "parity/kling", "fal-ai", pid, "text-to-video")
    InferenceClient(provider="fal-ai", api_key=TOKEN).text_to_video(PROMPT, model=model)
    theirs = [r.path for r in hub.requests if r.method == "GET" and "/requests/" in r.path]
    hub.clear_requests()
    await media.agenerate_video(f"{model}:fal-ai", PROMPT)
    ours = [r.path for r in hub.requests if r.method == "GET" and "/requests/" in r.path]
    prefix = "/fal-ai/fal-ai/kling-video/requests/"
    shape = re.compile(re.escape(prefix) + r"[0-9a-f-]{36}(/status)?")
    assert theirs and all(shape.fullmatch(p) for p in theirs)
    assert ours and all(shape.fullmatch(p) for p in ours)
    assert {p.endswith("/status") for p in ours} == {p.endswith("/status") for p in theirs}


# -- chat ----------------------------------------------------------------------------------------
def test_chat_pinned_provider_matches_huggingface_hub(hub, emulator):
    model = "parity/chat-8b"
    emulator.add_model(
        model, providers=["together", "cerebras"], provider_ids={"cerebras": "chat-8b-fast"}
    )
    messages = [{"role": "user", "content": "Name three colours of the rainbow."}]
    client = InferenceClient(provider="cerebras", api_key=TOKEN)
    theirs = client.chat_completion(messages, model=model, max_tokens=64)
    [their_post] = _submits(hub)
    assert their_post.path == "/cerebras/v1/chat/completions"
    assert their_post.json["model"] == "chat-8b-fast"  # the providerId, on the provider route
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in client.chat_completion(messages, model=model, max_tokens=64, stream=True)
        if c.choices
    )
    hub.clear_requests()

    with httpx.Client(transport=OurTransport(emulator)) as http:
        ours = RouterClient(TOKEN, base_url=f"{ROUTER}/v1", hub_url=HUB, http_client=http).chat(
            f"{model}:cerebras", messages, max_tokens=64
        )
    [our_post] = _submits(hub)
    # the router's unified route with model:provider (what the router documents for clients)
    assert our_post.path == "/v1/chat/completions" and our_post.json["model"] == f"{model}:cerebras"
    assert ours.provider == "cerebras"
    assert ours.text == theirs.choices[0].message.content == streamed
    assert our_post.json["messages"] == their_post.json["messages"]
    assert our_post.json["max_tokens"] == their_post.json["max_tokens"] == 64


def test_chat_auto_provider_matches_huggingface_hub(hub, emulator):
    model = "parity/chat-70b"
    emulator.add_model(model, providers=["together", "cerebras"])
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    theirs = InferenceClient(api_key=TOKEN).chat_completion(messages, model=model, max_tokens=32)
    hub.clear_requests()
    with httpx.Client(transport=OurTransport(emulator)) as http:
        ours = RouterClient(TOKEN, base_url=f"{ROUTER}/v1", hub_url=HUB, http_client=http).chat(
            model, messages, max_tokens=32
        )
    assert ours.text == theirs.choices[0].message.content
    assert ours.provider == "together"  # the first live provider, as the router picks
