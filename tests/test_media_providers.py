"""Pure unit tests of the media providers (request built, answer parsed, poll states), the
aspect-ratio table, and the download helpers (URL policy, safe names, base64, size cap).
No network: providers do no I/O, and the download helpers are fed bytes directly."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from pathlib import Path

import pytest

from hf_router._shared.messages import sniff_mime
from hf_router.errors import (
    DownloadError,
    DownloadTooLargeError,
    GenerationFailedError,
    InvalidInputError,
    MalformedResponseError,
    UnsafeURLError,
)
from hf_router.media._client import resolve_router_root
from hf_router.media._download import (
    EXTENSIONS,
    MediaWriter,
    check_url,
    default_output_dir,
    image_size,
    is_router_url,
    safe_name,
    save_bytes,
)
from hf_router.media.providers import PROVIDERS, MediaProvider, get_provider
from hf_router.media.providers._base import (
    ASPECT_RATIOS,
    LoraAdapter,
    MediaBytes,
    MediaTask,
    MediaURL,
    Pending,
    RequestSpec,
    decode_base64,
    path_id,
    size_for,
    video_size,
)

ROUTER = "https://router.huggingface.co"
EMU = "http://127.0.0.1:8123"


def _png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x10\x20\x30" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = _png()
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 16


def image(**kwargs: object) -> MediaTask:
    return MediaTask.build("image", "a red fox", **kwargs)  # type: ignore[arg-type]


def video(**kwargs: object) -> MediaTask:
    return MediaTask.build("video", "waves at dusk", **kwargs)  # type: ignore[arg-type]


# -- aspect ratios and tasks ------------------------------------------------------------------
@pytest.mark.parametrize(("ratio", "size"), sorted(ASPECT_RATIOS.items()))
def test_size_for_table(ratio: str, size: tuple[int, int]) -> None:
    assert size_for(ratio) == size
    assert size[0] % 16 == 0 and size[1] % 16 == 0


def test_size_for_documented_entries_and_defaults() -> None:
    assert size_for("1:1") == (1024, 1024)
    assert size_for("16:9") == (1344, 768)
    assert size_for("9:16") == (768, 1344)
    assert size_for("21:9") == (1536, 640)
    assert size_for(None, "image") == (1024, 1024)
    assert size_for(None, "video") == (1344, 768)
    assert size_for("32:18") == (1344, 768)  # reduced to 16:9
    assert size_for(" 4x3 ") == (1152, 896)


def test_size_for_other_ratio_is_about_a_megapixel_in_multiples_of_16() -> None:
    w, h = size_for("5:4")
    assert w % 16 == 0 and h % 16 == 0
    assert abs(w / h - 1.25) < 0.05
    assert 0.9e6 < w * h < 1.15e6


@pytest.mark.parametrize("bad", ["1:0", "0:1", "wide", "", "16:9:1", "100:1", "-1:2", "a:b"])
def test_size_for_rejects_bad_ratios(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="W:H"):
        size_for(bad)


def test_task_defaults() -> None:
    img, vid = image(), video()
    assert (img.width, img.height, img.aspect_ratio) == (1024, 1024, "1:1")
    assert img.num_inference_steps is None
    assert (vid.width, vid.height, vid.aspect_ratio) == (832, 480, "16:9")  # 480p 16:9
    assert (vid.num_inference_steps, vid.resolution) == (20, "480p")
    assert image(aspect_ratio="16:9").width == 1344
    assert image(width=512, height=256).width == 512
    assert image(width=512, aspect_ratio="16:9").height == 288  # 512 * 9/16, multiple of 16
    assert image(height=512).width == 512
    assert video(resolution="720p").resolution == "720p"
    assert (video(resolution="720p").width, video(resolution="720p").height) == (1280, 720)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "audio"}, "'image' or 'video'"),
        ({"prompt": ""}, "prompt is empty"),
        ({"prompt": "   "}, "prompt is empty"),
        ({"prompt": None}, "prompt is empty"),
        ({"width": -5}, "width"),
        ({"width": 0}, "width"),
        ({"height": True}, "height"),
        ({"width": 10**6}, "width"),
        ({"aspect_ratio": "1:0"}, "aspect_ratio"),
        ({"aspect_ratio": "wide"}, "aspect_ratio"),
        ({"seed": -1}, "seed"),
        ({"seed": "7"}, "seed"),
        ({"negative_prompt": 3}, "negative_prompt"),
        ({"extra": ["x"]}, "extra_data"),
        ({"resolution": ""}, "resolution"),
    ],
)
def test_task_validation(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"kind": "image", "prompt": "a fox"} | kwargs
    with pytest.raises(InvalidInputError, match=match) as info:
        MediaTask.build(args.pop("kind"), args.pop("prompt"), **args)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)  # InvalidInputError is also a ValueError


# -- registry ----------------------------------------------------------------------------------
def test_registry() -> None:
    assert set(PROVIDERS) == {
        "hf-inference", "fal-ai", "replicate", "together", "nscale", "novita", "wavespeed",
    }  # fmt: skip
    assert "nebius" not in PROVIDERS  # the router stopped routing it on 2026-07-01
    for name, provider in PROVIDERS.items():
        assert isinstance(provider, MediaProvider)
        assert provider.name == name
        assert provider.kinds <= {"image", "video"}
    assert get_provider("fal-ai") is PROVIDERS["fal-ai"]
    with pytest.raises(InvalidInputError, match="fal-ai, hf-inference, novita"):
        get_provider("openai")
    with pytest.raises(InvalidInputError, match="not a media provider"):
        get_provider("nebius")


def test_kinds() -> None:
    video_only, image_only = {"novita"}, {"hf-inference", "nscale"}
    for name, provider in PROVIDERS.items():
        assert provider.supports("video") == (name not in image_only)
        assert provider.supports("image") == (name not in video_only)


def test_path_id_refuses_traversal_and_quotes() -> None:
    assert path_id("fal-ai/flux/dev") == "fal-ai/flux/dev"
    assert path_id("a b/c?d#e") == "a%20b/c%3Fd%23e"
    for bad in ("../admin", "a/../b", "a//b", "/a", "", "."):
        with pytest.raises(MalformedResponseError):
            path_id(bad)


# -- hf-inference ------------------------------------------------------------------------------
def test_hf_inference() -> None:
    p = get_provider("hf-inference")
    spec = p.submit(image(seed=3, negative_prompt="blur", extra={"guidance_scale": 5}), "org/m")
    assert spec == RequestSpec(
        "POST",
        "/hf-inference/models/org/m",
        json={
            "inputs": "a red fox",
            "parameters": {
                "width": 1024, "height": 1024, "seed": 3, "negative_prompt": "blur",
                "guidance_scale": 5,
            },
        },
        headers={"Accept": "image/png"},
    )  # fmt: skip
    out = p.parse(PNG, "image/png")
    assert out == MediaBytes(PNG, "image/png")
    assert "bytes" in repr(out) and "\\x89" not in repr(out)
    with pytest.raises(MalformedResponseError):
        p.parse({"error": "x"}, "application/json")
    with pytest.raises(MalformedResponseError):
        p.parse(b"", "image/png")


# -- fal-ai ------------------------------------------------------------------------------------
def test_fal_image() -> None:
    p = get_provider("fal-ai")
    spec = p.submit(image(aspect_ratio="16:9", seed=1), "fal-ai/flux/dev")
    assert (spec.method, spec.path) == ("POST", "/fal-ai/fal-ai/flux/dev")
    assert spec.json == {
        "prompt": "a red fox",
        "image_size": {"width": 1344, "height": 768},
        "seed": 1,
    }  # fmt: skip  (no num_images: neither official client sends it)
    body = {"images": [{"url": "https://v3.fal.media/x.png", "width": 64, "height": 36}]}
    assert p.parse(body) == MediaURL("https://v3.fal.media/x.png", 64, 36)


def test_fal_video_queue() -> None:
    p = get_provider("fal-ai")
    spec = p.submit(video(negative_prompt="rain"), "fal-ai/wan-t2v")
    assert (spec.method, spec.path) == ("POST", "/fal-ai/fal-ai/wan-t2v?_subdomain=queue")
    assert spec.json == {
        "prompt": "waves at dusk", "aspect_ratio": "16:9", "resolution": "480p",
        "num_inference_steps": 20, "negative_prompt": "rain",
    }  # fmt: skip
    submitted = {
        "request_id": "r1",
        "status": "IN_QUEUE",
        "response_url": "https://queue.fal.run/fal-ai/wan-t2v/requests/r1",
    }
    job = p.parse(submitted)
    assert isinstance(job, Pending) and job.job_id == "r1" and job.wait
    assert job.poll == RequestSpec(
        "GET", "/fal-ai/fal-ai/wan-t2v/requests/r1/status?_subdomain=queue"
    )
    assert job.result == RequestSpec("GET", "/fal-ai/fal-ai/wan-t2v/requests/r1?_subdomain=queue")
    running = p.poll_result({"status": "IN_PROGRESS"}, job)
    assert (
        isinstance(running, Pending)
        and running.status == "IN_PROGRESS"
        and running.poll == job.poll
    )
    fetch = p.poll_result({"status": "COMPLETED"}, running)
    assert isinstance(fetch, Pending) and not fetch.wait and fetch.poll == job.result
    assert p.poll_result({"video": {"url": "https://v3.fal.media/v.mp4"}}, fetch) == MediaURL(
        "https://v3.fal.media/v.mp4"
    )
    # the official clients poll until COMPLETED: another status without an error waits
    other = p.poll_result({"status": "SOMETHING_NEW"}, job)
    assert isinstance(other, Pending) and other.poll == job.poll and other.wait
    with pytest.raises(GenerationFailedError) as info:
        p.poll_result({"status": "ERROR", "error": "nsfw"}, job)
    assert (
        info.value.job_id == "r1" and info.value.provider == "fal-ai" and "nsfw" in str(info.value)
    )


@pytest.mark.parametrize(
    "url",
    [
        None,
        "https://queue.fal.run/../../admin/requests/r1",
        "https://queue.fal.run/m/requests/other",
    ],
)
def test_fal_queue_refuses_bad_response_url(url: str | None) -> None:
    with pytest.raises(MalformedResponseError):
        get_provider("fal-ai").parse({"request_id": "r1", "response_url": url})


# -- replicate ---------------------------------------------------------------------------------
def test_replicate_submit_routes() -> None:
    p = get_provider("replicate")
    spec = p.submit(image(seed=4), "black-forest-labs/flux-dev")
    assert spec.path == "/replicate/v1/models/black-forest-labs/flux-dev/predictions"
    assert spec.headers == {"Prefer": "wait"}
    assert spec.json == {"input": {"prompt": "a red fox", "width": 1024, "height": 1024, "seed": 4}}
    pinned = p.submit(image(), "bytedance/sdxl:5599ed30")
    assert pinned.path == "/replicate/v1/predictions"
    assert pinned.json["version"] == "5599ed30"
    vid = p.submit(video(), "wan-video/wan")
    assert vid.json == {
        "input": {
            "prompt": "waves at dusk", "aspect_ratio": "16:9", "resolution": "480p",
            "num_inference_steps": 20,
        }
    }  # fmt: skip


def test_replicate_states() -> None:
    p = get_provider("replicate")
    done = {"id": "p1", "status": "succeeded", "output": ["https://replicate.delivery/a.png"]}
    assert p.parse(done) == MediaURL("https://replicate.delivery/a.png")
    assert p.parse({**done, "output": "https://r.d/v.mp4"}) == MediaURL("https://r.d/v.mp4")
    job = p.parse({"id": "p/1", "status": "starting", "output": None})
    assert isinstance(job, Pending) and job.poll == RequestSpec(
        "GET", "/replicate/v1/predictions/p%2F1"
    )
    again = p.poll_result({"id": "p/1", "status": "processing"}, job)
    assert isinstance(again, Pending) and again.status == "processing"
    for status in ("failed", "canceled"):
        with pytest.raises(GenerationFailedError, match="p1"):
            p.parse({"id": "p1", "status": status, "error": "CUDA out of memory"})
    with pytest.raises(MalformedResponseError):
        p.parse({"id": "p1", "status": "succeeded", "output": None})
    with pytest.raises(MalformedResponseError):
        p.parse({"id": "p1", "status": "weird"})


# -- together ----------------------------------------------------------------------------------
def test_together_image() -> None:
    p = get_provider("together")
    spec = p.submit(image(), "black-forest-labs/FLUX.1-dev")
    assert spec.path == "/together/v1/images/generations"
    assert spec.json == {
        "prompt": "a red fox", "model": "black-forest-labs/FLUX.1-dev", "width": 1024,
        "height": 1024, "response_format": "base64",
    }  # fmt: skip
    steps = p.submit(image(extra={"num_inference_steps": 4}), "m").json  # together says steps
    assert steps["steps"] == 4 and "num_inference_steps" not in steps
    out = p.parse({"data": [{"b64_json": base64.b64encode(PNG).decode()}]})
    assert out == MediaBytes(PNG)
    with pytest.raises(MalformedResponseError):
        p.parse({"data": []})


def test_together_video() -> None:
    p = get_provider("together")
    spec = p.submit(video(seed=9), "Wan-AI/Wan2.1-T2V-14B")
    assert spec.path == "/together/v2/videos"
    assert spec.json == {
        "model": "Wan-AI/Wan2.1-T2V-14B", "prompt": "waves at dusk", "width": 832,
        "height": 480, "seed": 9, "steps": 20,
    }  # fmt: skip
    hd = p.submit(video(resolution="720p", aspect_ratio="9:16"), "m").json
    assert (hd["width"], hd["height"]) == (720, 1280)
    job = p.parse({"id": "v1", "status": "queued"})
    assert isinstance(job, Pending) and job.poll == RequestSpec("GET", "/together/v2/videos/v1")
    assert isinstance(p.poll_result({"id": "v1", "status": "in_progress"}, job), Pending)
    done = {"id": "v1", "status": "completed", "outputs": {"video_url": "https://t.ai/v.mp4"}}
    assert p.poll_result(done, job) == MediaURL("https://t.ai/v.mp4")
    # a missing status is still pending (both official clients), polled at the job's id
    blank = p.poll_result({"id": "v1"}, job)
    assert isinstance(blank, Pending) and blank.poll == job.poll
    assert isinstance(p.poll_result({}, job), Pending)
    # the failure message is error.message, not the dict's repr
    with pytest.raises(GenerationFailedError) as info:
        p.poll_result({"id": "v1", "status": "failed", "error": {"message": "boom"}}, job)
    assert str(info.value).split(". ")[0].endswith("failed: boom") and "{" not in str(info.value)
    with pytest.raises(GenerationFailedError, match="Unknown error"):
        p.poll_result({"id": "v1", "status": "failed"}, job)


# -- nscale ------------------------------------------------------------------------------------
def test_nscale() -> None:
    p = get_provider("nscale")
    task = image(width=512, height=768, extra={"num_inference_steps": 8, "cfg_scale": 3})
    spec = p.submit(task, "stability-ai/sdxl")
    assert spec.path == "/nscale/v1/images/generations"
    assert spec.json == {
        "prompt": "a red fox",
        "model": "stability-ai/sdxl",
        "size": "512x768",
        "response_format": "b64_json",
    }  # fmt: skip  (huggingface_hub nscale.py: size "WxH", no steps, no cfg_scale)
    data_uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert p.parse({"data": [{"b64_json": data_uri}]}) == MediaBytes(PNG, "image/png")
    with pytest.raises(MalformedResponseError):
        p.parse({"data": [{"b64_json": "not base64!!"}]})


# -- novita ------------------------------------------------------------------------------------
def test_novita() -> None:
    p = get_provider("novita")
    spec = p.submit(video(), "wan-t2v")
    assert spec.path == "/novita/v3/async/wan-t2v"
    assert spec.json == {"prompt": "waves at dusk", "width": 832, "height": 480, "steps": 20}
    # answered at once (huggingface_hub's /v3/hf shape): the video, no polling
    assert p.parse({"video": {"video_url": "https://n.ai/s.mp4"}}) == MediaURL("https://n.ai/s.mp4")
    with pytest.raises(MalformedResponseError):
        p.parse({"video": {"video_url": None}})
    assert "aspect_ratio" not in spec.json and "resolution" not in spec.json
    job = p.parse({"task_id": "t&1"})
    assert isinstance(job, Pending)
    assert job.poll == RequestSpec("GET", "/novita/v3/async/task-result?task_id=t%261")
    queued = {"task": {"task_id": "t&1", "status": "TASK_STATUS_PROCESSING"}, "videos": []}
    assert isinstance(p.poll_result(queued, job), Pending)
    other = {"task": {"status": "TASK_STATUS_SOMETHING_NEW"}, "videos": []}  # js: keep polling
    assert p.poll_result(other, job) == Pending("t&1", job.poll, "TASK_STATUS_SOMETHING_NEW")
    done = {
        "task": {"task_id": "t&1", "status": "TASK_STATUS_SUCCEED"},
        "videos": [{"video_url": "https://n.ai/v.mp4"}],
    }
    assert p.poll_result(done, job) == MediaURL("https://n.ai/v.mp4")
    failed = {"task": {"status": "TASK_STATUS_FAILED", "reason": "bad prompt"}, "videos": []}
    with pytest.raises(GenerationFailedError, match="bad prompt") as info:
        p.poll_result(failed, job)
    assert info.value.job_id == "t&1"
    with pytest.raises(MalformedResponseError):
        p.parse({"code": 1})


# -- wavespeed ---------------------------------------------------------------------------------
def test_wavespeed() -> None:
    p = get_provider("wavespeed")
    spec = p.submit(image(aspect_ratio="2:3"), "wavespeed-ai/flux-dev")
    assert spec.path == "/wavespeed/api/v3/wavespeed-ai/flux-dev"
    assert spec.json == {"prompt": "a red fox", "size": "832*1216"}
    vid = p.submit(video(), "wavespeed-ai/wan-2.1/t2v-480p")
    assert vid.json == {
        "prompt": "waves at dusk", "aspect_ratio": "16:9", "resolution": "480p",
        "num_inference_steps": 20,
    }  # fmt: skip
    job = p.parse({"code": 200, "data": {"id": "w1", "status": "created"}})
    assert isinstance(job, Pending)
    assert job.poll == RequestSpec("GET", "/wavespeed/api/v3/predictions/w1/result")
    # the poll path is the path of data.urls.get (both official clients)
    urls = {"get": "https://api.wavespeed.ai/api/v3/predictions/w1/result?v=2"}
    told = p.parse({"code": 200, "data": {"id": "w1", "status": "created", "urls": urls}})
    assert told.poll == RequestSpec("GET", "/wavespeed/api/v3/predictions/w1/result")
    moved = {"get": "https://api.wavespeed.ai/api/v4/jobs/w1"}
    other = p.parse({"code": 200, "data": {"id": "w1", "status": "created", "urls": moved}})
    assert other.poll == RequestSpec("GET", "/wavespeed/api/v4/jobs/w1")
    with pytest.raises(MalformedResponseError):
        bad = {"get": "https://api.wavespeed.ai/../../admin"}
        p.parse({"code": 200, "data": {"id": "w1", "status": "created", "urls": bad}})
    assert isinstance(p.poll_result({"data": {"id": "w1", "status": "processing"}}, job), Pending)
    done = {"data": {"id": "w1", "status": "completed", "outputs": ["https://w.ai/o.mp4"]}}
    assert p.poll_result(done, job) == MediaURL("https://w.ai/o.mp4")
    with pytest.raises(GenerationFailedError, match="w1"):
        p.poll_result({"data": {"id": "w1", "status": "failed", "error": "x"}}, job)
    with pytest.raises(GenerationFailedError):
        p.parse({"code": 500, "message": "internal"})


def test_extra_data_wins_for_every_provider() -> None:
    for provider in PROVIDERS.values():
        for kind in provider.kinds:
            task = MediaTask.build(kind, "p", seed=1, extra={"seed": 42, "custom": True})
            body = provider.submit(task, "org/model").json
            payload = body.get("input") or body.get("parameters") or body
            assert payload["seed"] == 42 and payload["custom"] is True, provider.name


# -- video sizes -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("resolution", "ratio", "size"),
    [
        ("480p", "16:9", (832, 480)),
        ("720p", "16:9", (1280, 720)),
        ("480p", "9:16", (480, 832)),
        ("720P", "9:16", (720, 1280)),
        ("1080p", "16:9", (1920, 1080)),
        ("480p", None, (832, 480)),
        (None, None, (832, 480)),
    ],
)
def test_video_size_table(resolution: str | None, ratio: str | None, size: tuple[int, int]) -> None:
    assert video_size(resolution, ratio) == size


def test_video_size_other_ratios_keep_the_frame_area() -> None:
    w, h = video_size("720p", "4:3")
    assert w % 16 == 0 and h % 16 == 0 and abs(w / h - 4 / 3) < 0.03
    assert abs(w * h - 1280 * 720) / (1280 * 720) < 0.03
    assert video_size("580p", "16:9")[1] in (576, 592)
    for bad in ("hd", "480", "99999p", "p"):
        with pytest.raises(InvalidInputError, match="resolution"):
            video_size(bad, "16:9")
    with pytest.raises(InvalidInputError, match="resolution"):
        MediaTask.build("video", "x", resolution="hd")


# -- LoRA adapters ------------------------------------------------------------------------------
LORA = LoraAdapter("alvdansen/frosting_lane_flux", "flux_dev_frostinglane_araminta_k.safetensors")
LORA_URL = (
    "https://huggingface.co/alvdansen/frosting_lane_flux/resolve/main/"
    "flux_dev_frostinglane_araminta_k.safetensors"
)


def test_lora_from_the_mapping() -> None:
    entry = {"adapter": "lora", "adapterWeightsPath": "w.safetensors"}
    found = LoraAdapter.from_mapping("org/lora", entry, "http://127.0.0.1:9")
    assert found == LoraAdapter("org/lora", "w.safetensors", "http://127.0.0.1:9")
    assert found.weights_url == "http://127.0.0.1:9/org/lora/resolve/main/w.safetensors"
    assert LoraAdapter.from_mapping("org/m", {}, "https://huggingface.co") is None
    assert LoraAdapter.from_mapping("org/m", {"adapter": "lora"}, "h") is None
    assert LoraAdapter.from_mapping("org/m", {"adapter": "other", "adapterWeightsPath": "w"}, "h") is None  # fmt: skip
    assert LoraAdapter("org/m", "dir/a b.safetensors").weights_url.endswith(
        "/dir/a%20b.safetensors"
    )
    for bad in ("../../x", "a//b", ""):
        with pytest.raises(MalformedResponseError):
            _ = LoraAdapter("org/m", bad).weights_url


def test_lora_fal_image_and_video() -> None:
    p = get_provider("fal-ai")
    flux = p.submit(image(), "fal-ai/flux-lora", LORA).json
    assert flux["loras"] == [{"path": LORA_URL, "scale": 1}] and "model_name" not in flux
    sd = p.submit(image(), "fal-ai/lora", LORA).json
    assert sd["loras"] == [{"path": LORA_URL, "scale": 1}]
    assert sd["model_name"] == "stabilityai/stable-diffusion-xl-base-1.0"
    vid = p.submit(video(), "fal-ai/wan-lora", LORA).json
    assert vid["loras"] == [{"path": LORA_URL, "scale": 1}] and "model_name" not in vid
    assert "loras" not in p.submit(image(), "fal-ai/lora").json  # no adapter, no loras


def test_lora_replicate_and_wavespeed() -> None:
    rep = get_provider("replicate")
    body = rep.submit(image(), "org/flux-lora", LORA).json
    assert body["input"]["lora_weights"] == "https://huggingface.co/alvdansen/frosting_lane_flux"
    assert "lora_weights" not in rep.submit(video(), "org/wan", LORA).json["input"]  # image only
    wave = get_provider("wavespeed").submit(image(), "wavespeed-ai/flux-dev-lora", LORA).json
    assert wave["loras"] == [{"path": "alvdansen/frosting_lane_flux", "scale": 1}]
    for name in ("together", "nscale", "hf-inference"):  # no LoRA field in either official client
        body = get_provider(name).submit(image(), "org/m", LORA).json
        assert "lora" not in str(body), name


# -- downloads: names, URLs, base64, size cap --------------------------------------------------
def test_safe_name() -> None:
    name = safe_name("image", "image/png")
    assert re.fullmatch(r"image-\d{8}-\d{6}-[0-9a-f]{8}\.png", name)
    assert safe_name("video", "video/mp4").endswith(".mp4")
    assert safe_name("image", "image/jpeg").endswith(".jpg")
    assert len({safe_name("image", "image/png") for _ in range(50)}) == 50
    assert set(EXTENSIONS.values()) >= {".png", ".jpg", ".webp", ".mp4", ".webm"}


@pytest.mark.parametrize(
    "url",
    [
        "https://v3.fal.media/files/x.png",
        "https://replicate.delivery/out-0.png",
        "data:image/png;base64,AAAA",
        f"{EMU}/files/image-1.png",
    ],
)
def test_check_url_allows(url: str) -> None:
    check_url(url, EMU)


@pytest.mark.parametrize(
    "url",
    [
        "http://files.example.invalid/out.png",
        "http://127.0.0.1:9999/files/x.png",  # router host, other port
        "file:///etc/passwd",
        "ftp://example.com/x.png",
        "javascript:alert(1)",
        "https:///nohost",
        "//example.com/x.png",
        "",
    ],
)
def test_check_url_refuses(url: str) -> None:
    with pytest.raises(UnsafeURLError) as info:
        check_url(url, EMU)
    assert "only https:, data: and router URLs" in str(info.value) or not url


def test_router_url_and_root() -> None:
    assert is_router_url("https://router.huggingface.co/x", ROUTER)
    assert is_router_url("https://router.huggingface.co:443/x", ROUTER)
    assert not is_router_url("https://evil.example/x", ROUTER)
    assert resolve_router_root("http://h:1/v1/") == "http://h:1"
    assert resolve_router_root("http://h:1") == "http://h:1"


def test_router_root_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ROUTER_BASE_URL", "http://127.0.0.1:5/v1")
    assert resolve_router_root() == "http://127.0.0.1:5"
    monkeypatch.delenv("HF_ROUTER_BASE_URL")
    assert resolve_router_root() == ROUTER


def test_decode_base64() -> None:
    raw = base64.b64encode(PNG).decode()
    assert decode_base64(raw) == (PNG, None)
    assert decode_base64(raw[:20] + "\n" + raw[20:]) == (PNG, None)
    assert decode_base64("data:image/png;base64," + raw) == (PNG, "image/png")
    for bad in ("data:image/png,plain", "data:image/png;base64", "@@@", "abc"):
        with pytest.raises(MalformedResponseError):
            decode_base64(bad)


def test_image_size() -> None:
    assert image_size(_png(40, 30)) == (40, 30)
    assert image_size(b"GIF89a" + struct.pack("<HH", 7, 9)) == (7, 9)
    jpeg = (
        b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9
        + b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 480, 640) + b"\x00" * 12
    )  # fmt: skip
    assert image_size(jpeg) == (640, 480)
    webp = (
        b"RIFF\x00\x00\x00\x00WEBPVP8X"
        + b"\x00" * 8
        + (99).to_bytes(3, "little")
        + (49).to_bytes(3, "little")
    )
    assert image_size(webp) == (100, 50)
    assert image_size(MP4) is None
    assert image_size(b"\x89PNG") is None


def test_save_bytes_names_by_sniffed_type(tmp_path: Path) -> None:
    saved = save_bytes(PNG, tmp_path, "image", 10_000, declared_mime="image/jpeg")
    assert saved.mime == "image/png" and saved.path.suffix == ".png"
    assert (saved.width, saved.height) == (3, 2)
    assert saved.path.read_bytes() == PNG and saved.path.parent == tmp_path
    assert saved.path.stat().st_mode & 0o777 == 0o600
    vid = save_bytes(MP4, tmp_path, "video", 10_000)
    assert vid.path.suffix == ".mp4" and sniff_mime(vid.path.read_bytes()) == "video/mp4"
    # an unknown format the server labels as media is refused: the label is never trusted alone
    with pytest.raises(DownloadError, match="declared video/webm"):
        save_bytes(b"\x00\x01webm?", tmp_path, "video", 10_000, declared_mime="video/webm")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_save_bytes_refuses_non_media_and_oversize(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="not an image or video"):
        save_bytes(b"<html><body>oops</body></html>", tmp_path, "image", 10_000, "text/html")
    with pytest.raises(DownloadTooLargeError) as info:
        save_bytes(PNG, tmp_path, "image", 10)
    assert info.value.limit == 10
    with pytest.raises(DownloadError, match="empty"):
        save_bytes(b"", tmp_path, "image", 10)
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_writer_cap_removes_partial_file(tmp_path: Path) -> None:
    writer = MediaWriter(tmp_path, "video", 100)
    writer.write(MP4)
    assert len(list(tmp_path.iterdir())) == 1  # the hidden partial file
    with pytest.raises(DownloadTooLargeError):
        writer.write(b"\x00" * 100)
    assert list(tmp_path.iterdir()) == []


def test_default_output_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_output_dir() == tmp_path / "hf-router" / "media"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_output_dir() == Path("~/.cache/hf-router/media").expanduser()
