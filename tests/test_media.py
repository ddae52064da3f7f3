"""End-to-end media generation against the local router emulator: the real MediaClient over
real sockets, for every provider of docs/media-protocols.md, its faults, the sync twins and
the seed facade ``HuggingFaceMedia``."""

from __future__ import annotations

import asyncio
import itertools
import logging
import struct
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from hf_router import (
    Fallback,
    HuggingFaceMedia,
    MediaClient,
    MediaResult,
    ProviderInfo,
    RetryPolicy,
    Status,
)
from hf_router._shared.messages import sniff_mime
from hf_router.errors import (
    AllProvidersFailedError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    DownloadTooLargeError,
    GenerationFailedError,
    GenerationTimeoutError,
    InvalidInputError,
    InvalidModelError,
    MissingTokenError,
    ModelNotSupportedError,
    PaymentRequiredError,
    ProviderError,
    UnsafeURLError,
)
from hf_router.testing import RouterEmulator

TOKEN = "hf_media_secret_token_123456"
IMAGE_MODEL = "black-forest-labs/FLUX.1-dev"  # built into the emulator
VIDEO_MODEL = "Wan-AI/Wan2.1-T2V-14B"
IMAGE_PROVIDERS = ["fal-ai", "replicate", "together", "hf-inference", "nscale", "wavespeed"]
VIDEO_PROVIDERS = ["fal-ai", "replicate", "novita", "wavespeed", "together"]
MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "video/mp4": b"ftyp"}


@pytest.fixture
def client(emulator: RouterEmulator, tmp_path: Path) -> Any:
    c = MediaClient(
        TOKEN,
        base_url=emulator.url,
        hub_url=emulator.hub_url,
        output_dir=tmp_path,
        poll_interval=0.05,
        poll_timeout=10,
    )
    yield c
    c.close()


def media_model(emulator: RouterEmulator, name: str, providers: list[str], task: str) -> str:
    """Register ``name`` with these live providers (all for ``task``) and return it."""
    emulator.add_model(name, providers=providers, task=task)
    return name


def files_in(path: Path) -> list[Path]:
    return sorted(path.iterdir())


def check_file(result: MediaResult, tmp_path: Path) -> bytes:
    path = Path(result.path or "")
    assert path.parent == tmp_path
    data = path.read_bytes()
    assert sniff_mime(data) == result.mime_type
    assert MAGIC[result.mime_type or ""] in data[:12]
    assert path.suffix == {"image/png": ".png", "video/mp4": ".mp4"}[result.mime_type or ""]
    assert path.name.startswith(f"{result.kind}-")
    return data


async def collect(agen: Any) -> list[Any]:
    return [event async for event in agen]


# -- every provider ----------------------------------------------------------------------------
@pytest.mark.parametrize("provider", IMAGE_PROVIDERS)
async def test_image_every_provider(emulator, client, tmp_path, provider):
    model = media_model(emulator, f"acme/img-{provider}", [provider], "text-to-image")
    events = await collect(client.astream_media("image", model, "a red fox", aspect_ratio="16:9"))
    assert isinstance(events[0], Status) and events[0].label == "Generating"
    assert isinstance(events[-1], Status) and events[-1].label == "Finished"
    [info] = [e for e in events if isinstance(e, ProviderInfo)]
    assert (info.model, info.provider, info.attempt) == (model, provider, 1)
    [result] = [e for e in events if isinstance(e, MediaResult)]
    assert (result.kind, result.provider, result.prompt) == ("image", provider, "a red fox")
    assert result.mime_type == "image/png"
    data = check_file(result, tmp_path)
    width, height = struct.unpack(">II", data[16:24])  # the saved PNG's own size
    assert (result.width, result.height) == (width, height)
    assert abs(width / height - 16 / 9) < 0.1  # the emulator scales 1344x768 down
    assert files_in(tmp_path) == [Path(result.path or "")]


@pytest.mark.parametrize("provider", VIDEO_PROVIDERS)
async def test_video_every_provider(emulator, client, tmp_path, provider):
    emulator.configure_media(polls=2)
    model = media_model(emulator, f"acme/vid-{provider}", [provider], "text-to-video")
    results = await client.agenerate_video(model, "waves at dusk", seed=7)
    [result] = results
    assert (result.kind, result.provider, result.mime_type) == ("video", provider, "video/mp4")
    assert result.prompt == "waves at dusk"
    check_file(result, tmp_path)
    [job] = emulator.jobs
    assert (job["provider"], job["status"], job["polls"]) == (provider, "completed", 2)
    assert job["input"].get("seed", job["input"].get("input", {}).get("seed")) == 7


def test_wire_format_follows_the_contract(emulator, client):
    client.generate_video(f"{VIDEO_MODEL}:fal-ai", "v1", negative_prompt="rain")
    client.generate_video(f"{VIDEO_MODEL}:novita", "v2")
    client.generate_image(f"{IMAGE_MODEL}:hf-inference", "i1", width=512, height=256, seed=3)
    posts = {r.path: r for r in emulator.requests if r.method == "POST"}
    fal = posts["/fal-ai/fal-ai/wan-t2v"]
    assert fal.query == "_subdomain=queue"
    assert fal.json == {
        "prompt": "v1", "aspect_ratio": "16:9", "resolution": "480p",
        "num_inference_steps": 20, "negative_prompt": "rain",
    }  # fmt: skip
    novita = posts["/novita/v3/async/wan-t2v"].json
    assert novita == {"prompt": "v2", "width": 832, "height": 480, "steps": 20}  # 480p 16:9
    hf = posts[f"/hf-inference/models/{IMAGE_MODEL}"].json
    assert hf == {"inputs": "i1", "parameters": {"width": 512, "height": 256, "seed": 3}}
    for request in emulator.requests:
        if not request.path.startswith("/api/"):
            assert request.headers.get("authorization") == "Bearer hf_***", request.path


def test_bill_to_and_custom_headers(emulator, tmp_path):
    with MediaClient(
        TOKEN, base_url=emulator.base_url, hub_url=emulator.hub_url, output_dir=tmp_path,
        bill_to="acme-org", headers={"X-Trace": "1"},
    ) as c:  # fmt: skip
        assert c.base_url == emulator.url  # the trailing /v1 is dropped
        c.generate_image(f"{IMAGE_MODEL}:nscale", "billed")
    [post] = [r for r in emulator.requests if r.method == "POST"]
    assert post.headers["x-hf-bill-to"] == "acme-org" and post.headers["x-trace"] == "1"


# -- n, concurrency and progress ---------------------------------------------------------------
async def test_n_files_concurrently(emulator, client, tmp_path):
    emulator.set_fault("slow_first_token=0.6", model=IMAGE_MODEL, provider="fal-ai")
    start = time.monotonic()
    results = await client.agenerate_image(f"{IMAGE_MODEL}:fal-ai", "three foxes", n=3)
    elapsed = time.monotonic() - start
    assert len(results) == 3
    assert len({r.path for r in results}) == 3
    assert len({Path(r.path or "").read_bytes() for r in results}) >= 1
    assert files_in(tmp_path) == sorted(Path(r.path or "") for r in results)
    assert elapsed < 1.5, "the three submits did not overlap"


async def test_max_concurrency_bounds_the_jobs(emulator, tmp_path):
    emulator.set_fault("slow_first_token=0.4", model=IMAGE_MODEL)
    async with MediaClient(
        TOKEN, base_url=emulator.url, hub_url=emulator.hub_url, output_dir=tmp_path,
        max_concurrency=1,
    ) as c:  # fmt: skip
        start = time.monotonic()
        assert len(await c.agenerate_image(f"{IMAGE_MODEL}:together", "one by one", n=2)) == 2
    assert time.monotonic() - start >= 0.8


async def test_status_at_least_every_second_while_waiting(emulator, tmp_path):
    emulator.configure_media(polls=6)
    emulator.set_fault("slow_first_token=1.2", model=VIDEO_MODEL, provider="novita")
    async with MediaClient(
        TOKEN, base_url=emulator.url, hub_url=emulator.hub_url, output_dir=tmp_path,
        poll_interval=0.4,
    ) as c:  # fmt: skip
        stamps: list[tuple[float, Any]] = []
        async for event in c.astream_media("video", f"{VIDEO_MODEL}:novita", "slow waves"):
            stamps.append((time.monotonic(), event))
    total = stamps[-1][0] - stamps[0][0]
    assert total > 2.5  # 1.2 s submit + 6 polls of 0.4 s
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(stamps)]
    assert max(gaps) <= 1.0
    statuses = [e for _, e in stamps if isinstance(e, Status) and e.label == "Generating"]
    assert len(statuses) >= 5
    assert [s.elapsed_s for s in statuses] == sorted(s.elapsed_s for s in statuses)
    assert statuses[-1].text.startswith("Generating ") and "s" in statuses[-1].text
    assert isinstance(stamps[-1][1], Status) and stamps[-1][1].label == "Finished"


# -- provider skipping -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "error"),
    [("402", PaymentRequiredError), ("400", BadRequestError), ("401", AuthenticationError)],
)
async def test_skip_provider_on_400_401_402(emulator, client, tmp_path, caplog, fault, error):
    model = media_model(emulator, "acme/skip-me", ["fal-ai", "replicate"], "text-to-image")
    emulator.set_fault(fault, model=model, provider="fal-ai")
    with caplog.at_level(logging.WARNING, logger="hf_router"):
        events = await collect(client.astream_media("image", model, "fox", n=2))
    [fallback] = [e for e in events if isinstance(e, Fallback)]  # once, although n=2
    assert (fallback.provider, fallback.status_code, fallback.attempt) == ("fal-ai", int(fault), 1)
    assert fallback.error_type == error.__name__
    [info] = [e for e in events if isinstance(e, ProviderInfo)]
    assert (info.provider, info.attempt) == ("replicate", 2)
    results = [e for e in events if isinstance(e, MediaResult)]
    assert [r.provider for r in results] == ["replicate", "replicate"]
    assert events.index(fallback) < events.index(info) < events.index(results[0])
    assert any("fal-ai" in r.getMessage() and fault in r.getMessage() for r in caplog.records)
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_every_provider_out_of_credits(emulator, client):
    model = media_model(emulator, "acme/broke", ["together", "nscale"], "text-to-image")
    emulator.set_fault("402", model=model)
    with pytest.raises(AllProvidersFailedError) as info:
        await client.agenerate_image(model, "fox")
    assert [a.provider for a in info.value.attempts] == ["together", "nscale"]
    assert all(isinstance(a.error, PaymentRequiredError) for a in info.value.attempts)
    assert TOKEN not in str(info.value)


async def test_single_provider_raises_its_own_error(emulator, client):
    emulator.set_fault("402", model=IMAGE_MODEL, provider="nscale")
    with pytest.raises(PaymentRequiredError) as info:
        await client.agenerate_image(f"{IMAGE_MODEL}:nscale", "fox")
    assert info.value.provider == "nscale"


async def test_404_is_model_not_supported_without_fallback(emulator, client):
    model = media_model(emulator, "acme/gone", ["fal-ai", "replicate"], "text-to-image")
    emulator.set_fault("404", model=model, provider="fal-ai")
    with pytest.raises(ModelNotSupportedError):
        await client.agenerate_image(model, "fox")
    assert not any(r.path.startswith("/replicate") for r in emulator.requests)


async def test_wrong_task_is_model_not_supported(emulator, client, tmp_path):
    model = media_model(emulator, "acme/chatty", ["together"], "conversational")
    with pytest.raises(ModelNotSupportedError, match="text-to-image") as info:
        await client.agenerate_image(model, "fox")
    assert "conversational" in str(info.value)
    with pytest.raises(ModelNotSupportedError, match="generate_video"):
        await client.agenerate_image(VIDEO_MODEL, "fox")  # a video model asked for an image
    with pytest.raises(ModelNotSupportedError):
        await client.agenerate_video(f"{IMAGE_MODEL}:fal-ai", "fox")
    with pytest.raises(ModelNotSupportedError):
        await client.agenerate_image(f"{IMAGE_MODEL}:wavespeed", "not a provider of it")
    assert not [r for r in emulator.requests if r.method == "POST"]
    assert files_in(tmp_path) == []


async def test_submit_and_poll_retry_on_5xx(emulator, tmp_path):
    fast = RetryPolicy(max_retries=2, initial_backoff=0.01, max_backoff=0.02, jitter=0.0)
    emulator.set_fault("500", model=IMAGE_MODEL, provider="nscale", times=1)
    async with MediaClient(
        TOKEN, base_url=emulator.url, hub_url=emulator.hub_url, output_dir=tmp_path,
        retry_policy=fast,
    ) as c:  # fmt: skip
        [result] = await c.agenerate_image(f"{IMAGE_MODEL}:nscale", "retried")
        assert result.provider == "nscale"
        assert len([r for r in emulator.requests if r.method == "POST"]) == 2
        emulator.set_fault("502", model=IMAGE_MODEL, provider="nscale")
        with pytest.raises(ProviderError) as info:  # after the retries: not a provider to skip
            await c.agenerate_image(f"{IMAGE_MODEL}:nscale", "still down")
        assert info.value.status_code == 502 and info.value.provider == "nscale"


# -- job faults --------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", ["replicate", "novita", "wavespeed", "together", "fal-ai"])
async def test_never_finish_times_out_naming_job_and_provider(emulator, tmp_path, provider):
    emulator.set_fault("never_finish", model=VIDEO_MODEL, provider=provider)
    async with MediaClient(
        TOKEN, base_url=emulator.url, hub_url=emulator.hub_url, output_dir=tmp_path,
        poll_interval=0.05, poll_timeout=0.4,
    ) as c:  # fmt: skip
        start = time.monotonic()
        with pytest.raises(GenerationTimeoutError) as info:
            await c.agenerate_video(f"{VIDEO_MODEL}:{provider}", "forever")
    assert time.monotonic() - start < 3
    [job] = emulator.jobs
    assert info.value.job_id == job["id"] and info.value.provider == provider
    assert job["id"] in str(info.value) and provider in str(info.value)
    assert job["polls"] >= 2
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("provider", ["replicate", "novita", "wavespeed", "together", "fal-ai"])
async def test_job_failed_polled(emulator, client, provider):
    emulator.set_fault("job_failed", model=VIDEO_MODEL, provider=provider)
    with pytest.raises(GenerationFailedError) as info:
        await client.agenerate_video(f"{VIDEO_MODEL}:{provider}", "doomed")
    [job] = emulator.jobs
    assert info.value.job_id == job["id"] and info.value.provider == provider


@pytest.mark.parametrize("provider", ["hf-inference", "nscale", "fal-ai"])
async def test_job_failed_synchronous(emulator, client, provider):
    emulator.set_fault("job_failed", model=IMAGE_MODEL, provider=provider)
    with pytest.raises(APIStatusError, match="Generation failed") as info:
        await client.agenerate_image(f"{IMAGE_MODEL}:{provider}", "doomed")
    assert info.value.provider == provider and info.value.status_code == 422


@pytest.mark.parametrize("provider", ["fal-ai", "replicate", "hf-inference", "together"])
async def test_oversized_download_leaves_no_file(emulator, tmp_path, provider):
    emulator.set_fault("oversized=300000", model=IMAGE_MODEL, provider=provider)
    async with MediaClient(
        TOKEN, base_url=emulator.url, hub_url=emulator.hub_url, output_dir=tmp_path,
        max_download_bytes=100_000,
    ) as c:  # fmt: skip
        with pytest.raises(DownloadTooLargeError) as info:
            await c.agenerate_image(f"{IMAGE_MODEL}:{provider}", "huge")
    assert info.value.limit == 100_000
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(("kind", "provider"), [("image", "fal-ai"), ("video", "wavespeed")])
async def test_insecure_url_is_refused_and_not_fetched(emulator, client, tmp_path, kind, provider):
    model = IMAGE_MODEL if kind == "image" else VIDEO_MODEL
    emulator.set_fault("insecure_url", model=model, provider=provider)
    with pytest.raises(UnsafeURLError) as info:
        await collect(client.astream_media(kind, f"{model}:{provider}", "sneaky"))
    assert info.value.url and info.value.url.startswith("http://files.example.invalid/")
    assert not any(r.path.startswith("/files/") for r in emulator.requests)
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(("kind", "provider"), [("image", "fal-ai"), ("video", "replicate")])
async def test_insecure_redirect_is_refused_and_not_followed(
    emulator, client, tmp_path, monkeypatch, kind, provider
):
    sent: list[str] = []  # every URL the client's transports really requested
    handle = httpx.AsyncHTTPTransport.handle_async_request

    async def recording(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> Any:
        sent.append(str(request.url))
        return await handle(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", recording)
    model = IMAGE_MODEL if kind == "image" else VIDEO_MODEL
    emulator.set_fault("insecure_redirect", model=model, provider=provider)
    with pytest.raises(UnsafeURLError) as info:
        await collect(client.astream_media(kind, f"{model}:{provider}", "sneaky"))
    [download] = [r for r in emulator.requests if r.path.startswith("/files/")]  # allowed hop
    name = download.path.rsplit("/", 1)[1]
    assert name.startswith(f"{kind}-")
    foreign = f"http://files.example.invalid/{name}"
    assert type(info.value) is UnsafeURLError and info.value.url == foreign
    assert f"Refused to download {foreign!r}" in str(info.value)
    assert sent and all(url.startswith(emulator.url) for url in sent)  # no hop to the foreign host
    assert sent[-1] == emulator.url + download.path
    assert files_in(tmp_path) == []  # no partial (or hidden .part) file


# -- inputs, token, models ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"prompt": ""}, InvalidInputError, "prompt"),
        ({"n": 0}, InvalidInputError, "between 1 and 10"),
        ({"n": 11}, InvalidInputError, "between 1 and 10"),
        ({"kind": "audio"}, InvalidInputError, "'image' or 'video'"),
        ({"aspect_ratio": "1:0"}, InvalidInputError, "aspect_ratio"),
        ({"aspect_ratio": "wide"}, InvalidInputError, "aspect_ratio"),
        ({"width": -64}, InvalidInputError, "width"),
        ({"model": "not a model"}, InvalidModelError, "Hub repo id"),
        ({"provider": "openai"}, InvalidInputError, "fal-ai, hf-inference"),
    ],
)
async def test_invalid_inputs_send_nothing(emulator, client, kwargs, error, match):
    args = {"kind": "image", "model": IMAGE_MODEL, "prompt": "fox"} | kwargs
    with pytest.raises(error, match=match):
        await collect(client.astream_media(args.pop("kind"), args.pop("model"), **args))
    assert emulator.requests == []


def test_resolution_is_for_videos(client):
    with pytest.raises(InvalidInputError, match="generate_video"):
        client.generate_image(IMAGE_MODEL, "fox", resolution="720p")


def test_missing_token_for_the_real_router(monkeypatch, tmp_path):
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ROUTER_BASE_URL", "HF_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with MediaClient(output_dir=tmp_path) as c, pytest.raises(MissingTokenError, match="HF_TOKEN"):
        c.generate_image(IMAGE_MODEL, "fox")


async def test_media_models(emulator, client):
    emulator.add_model("acme/listed-img", providers=["together", "openai"], task="text-to-image", mapping_form="list")  # fmt: skip
    models = await client.aget_media_models()
    assert models.index(VIDEO_MODEL) < models.index(IMAGE_MODEL)  # video first
    assert f"{VIDEO_MODEL}:novita" in models and f"{IMAGE_MODEL}:hf-inference" in models
    assert models.index(IMAGE_MODEL) < models.index(f"{IMAGE_MODEL}:fal-ai")
    assert "acme/listed-img:together" in models and "acme/listed-img:openai" not in models
    assert client.video_models == [VIDEO_MODEL]
    assert set(client.image_models) == {IMAGE_MODEL, "acme/listed-img"}
    assert client.get_media_models() == models


async def test_media_models_failure_is_empty(tmp_path):
    async with MediaClient(TOKEN, base_url="http://127.0.0.1:9", hub_url="http://127.0.0.1:9") as c:
        assert await c.aget_media_models() == []
        assert c.get_media_models() == []


# -- sync twins, lifecycle, secrets ------------------------------------------------------------
def test_sync_twins(emulator, client, tmp_path):
    images = client.generate_image(f"{IMAGE_MODEL}:together", "sync fox", n=2)
    videos = client.generate_video(
        f"{VIDEO_MODEL}:replicate", "sync waves", output_dir=tmp_path / "v"
    )
    assert [r.kind for r in images + videos] == ["image", "image", "video"]
    assert Path(videos[0].path or "").parent == tmp_path / "v"
    events = list(client.stream_media("image", IMAGE_MODEL, "streamed"))
    assert isinstance(events[0], Status) and events[-1].label == "Finished"
    assert [e.provider for e in events if isinstance(e, ProviderInfo)] == ["fal-ai"]
    with pytest.raises(GenerationFailedError):
        emulator.set_fault("job_failed", model=VIDEO_MODEL)
        client.generate_video(VIDEO_MODEL, "fails in the worker thread")


async def test_sync_twin_inside_a_running_loop(client):
    results = await asyncio.to_thread(client.generate_image, f"{IMAGE_MODEL}:nscale", "threaded")
    assert len(results) == 1
    assert len(client.generate_image(f"{IMAGE_MODEL}:nscale", "blocking but works")) == 1


def test_breaking_out_of_the_sync_stream_cancels(emulator, client, tmp_path):
    emulator.configure_media(polls=100)
    for event in client.stream_media("video", f"{VIDEO_MODEL}:novita", "stop early"):
        if isinstance(event, ProviderInfo):
            break
    time.sleep(0.3)
    polls = emulator.jobs[0]["polls"]
    time.sleep(0.3)
    assert emulator.jobs[0]["polls"] == polls  # no more polling after the consumer left
    assert [p for p in files_in(tmp_path)] == []


async def test_breaking_out_of_the_async_stream_cancels(emulator, client):
    emulator.configure_media(polls=100)
    events = client.astream_media("video", f"{VIDEO_MODEL}:wavespeed", "stop early")
    async for event in events:
        if isinstance(event, ProviderInfo):
            break
    await events.aclose()
    polls = emulator.jobs[0]["polls"]
    await asyncio.sleep(0.3)
    assert emulator.jobs[0]["polls"] == polls


def test_close_and_reopen(client):
    assert len(client.generate_image(f"{IMAGE_MODEL}:nscale", "before")) == 1
    client.close()
    assert len(client.generate_image(f"{IMAGE_MODEL}:nscale", "after")) == 1


def test_token_never_shown(client, tmp_path):
    assert TOKEN not in repr(client) and "token=set" in repr(client)
    client.generate_image(f"{IMAGE_MODEL}:hf-inference", "fox")
    for path in tmp_path.iterdir():
        assert TOKEN.encode() not in path.read_bytes()


# -- the seed facade ---------------------------------------------------------------------------
@pytest.fixture
def facade(emulator, monkeypatch):
    monkeypatch.setenv("HF_ROUTER_BASE_URL", emulator.base_url)
    monkeypatch.setenv("HF_ENDPOINT", emulator.hub_url)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    for name in ("provider_mapping", "task_mapping"):
        monkeypatch.setattr(HuggingFaceMedia, name, {})
    for name in ("models", "image_models", "video_models"):
        monkeypatch.setattr(HuggingFaceMedia, name, [])
    return HuggingFaceMedia


def test_facade_attributes(facade):
    assert facade.label == "HuggingFace (Image/Video Generation)"
    assert facade.parent == "HuggingFace" and facade.url == "https://huggingface.co"
    assert facade.working and facade.needs_auth
    assert facade.tasks == ["text-to-image", "text-to-video"]


async def test_facade_generates_by_mapping_task(facade, tmp_path):
    messages = [{"role": "user", "content": "old"}, {"role": "assistant", "content": "ok"},
                {"role": "user", "content": [{"type": "text", "text": "a cat"}]}]  # fmt: skip
    events = [e async for e in facade.create_async_generator(VIDEO_MODEL, messages, output_dir=tmp_path)]  # fmt: skip
    [result] = [e for e in events if isinstance(e, MediaResult)]
    # the seed's order: replicate (2nd in the mapping) before fal-ai (1st)
    assert (result.kind, result.prompt, result.provider) == ("video", "a cat", "replicate")
    assert isinstance(events[0], Status) and any(isinstance(e, ProviderInfo) for e in events)
    events = [
        e
        async for e in facade.create_async_generator(
            f"{IMAGE_MODEL}:together", messages, prompt="explicit", n=2, aspect_ratio="3:2",
            output_dir=tmp_path,
        )
    ]  # fmt: skip
    results = [e for e in events if isinstance(e, MediaResult)]
    assert [(r.kind, r.prompt, r.provider) for r in results] == [
        ("image", "explicit", "together")
    ] * 2
    assert abs((results[0].width or 0) / (results[0].height or 1) - 1.5) < 0.1


async def test_facade_mapping_and_models(facade, emulator):
    mapping = await facade.get_mapping(VIDEO_MODEL)
    assert mapping["novita"] == {"status": "live", "providerId": "wan-t2v", "task": "text-to-video"}
    assert facade.provider_mapping[VIDEO_MODEL] is mapping
    models = await asyncio.to_thread(facade.get_models)
    assert models[0] == VIDEO_MODEL and IMAGE_MODEL in models
    assert facade.video_models == [VIDEO_MODEL] and IMAGE_MODEL in facade.image_models
    assert facade.task_mapping[VIDEO_MODEL] == "text-to-video"


async def test_facade_errors(facade, emulator):
    emulator.add_model("acme/chat-only", providers=["together"])
    with pytest.raises(ModelNotSupportedError, match="conversational"):
        [e async for e in facade.create_async_generator("acme/chat-only", [{"role": "user", "content": "x"}])]  # fmt: skip
    with pytest.raises(InvalidInputError, match="prompt"):
        [e async for e in facade.create_async_generator(IMAGE_MODEL, [{"role": "system", "content": "x"}])]  # fmt: skip
