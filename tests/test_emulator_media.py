"""Tests of the emulator's media routes (docs/media-protocols.md), over real sockets with raw httpx."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import httpx
import pytest

from hf_router.testing import RouterEmulator
from hf_router.testing.core.files import mp4, png, scaled_size

TOKEN = {"Authorization": "Bearer hf_test_token"}
FLUX = "black-forest-labs/FLUX.1-dev"
WAN = "Wan-AI/Wan2.1-T2V-14B"


def post(
    emu: RouterEmulator, path: str, body: Any, headers: dict[str, str] | None = None, **kw: Any
) -> httpx.Response:
    return httpx.post(emu.url + path, json=body, headers={**TOKEN, **(headers or {})}, **kw)


def get(emu: RouterEmulator, path: str, **kw: Any) -> httpx.Response:
    return httpx.get(emu.url + path, headers=TOKEN, **kw)


def check_png(data: bytes) -> tuple[int, int]:
    """Assert ``data`` is a valid PNG; return its size."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        kinds.append(kind)
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 2)
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
    return width, height


def check_mp4(data: bytes) -> list[bytes]:
    """Assert ``data`` is an MP4 box sequence starting with ``ftyp``; return the box types."""
    assert data[4:8] == b"ftyp"
    pos, kinds = 0, []
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        assert size >= 8
        kinds.append(data[pos + 4 : pos + 8])
        pos += size
    assert pos == len(data)
    return kinds


# -- generated files ---------------------------------------------------------------------------
def test_png_and_mp4_generators_are_valid_and_deterministic() -> None:
    assert check_png(png("a cat", 64, 36)) == (64, 36)
    assert png("a cat") == png("a cat") != png("a dog")
    assert check_mp4(mp4("a cat")) == [b"ftyp", b"moov", b"mdat"]
    assert b"mvhd" in mp4("x") and b"tkhd" in mp4("x")
    assert scaled_size(1344, 768) == (64, 37)
    assert scaled_size(None, None) == (64, 64)
    assert scaled_size(16, 8) == (16, 8)


# -- hub ---------------------------------------------------------------------------------------
def test_builtin_media_models_and_hub_routes(emulator: RouterEmulator) -> None:
    body = httpx.get(
        emulator.url + f"/api/models/{FLUX}", params={"expand[]": "inferenceProviderMapping"}
    ).json()
    mapping = body["inferenceProviderMapping"]
    assert list(mapping) == ["fal-ai", "replicate", "together", "nscale", "hf-inference"]
    assert mapping["fal-ai"] == {
        "status": "live",
        "providerId": "fal-ai/flux/dev",
        "task": "text-to-image",
    }
    assert mapping["replicate"]["providerId"] == "black-forest-labs/flux-dev"
    assert httpx.get(emulator.url + f"/api/models/{WAN}").json()["pipeline_tag"] == "text-to-video"
    video = httpx.get(emulator.url + f"/api/models/{WAN}?expand[]=inferenceProviderMapping").json()
    assert video["inferenceProviderMapping"]["novita"]["providerId"] == "wan-t2v"
    # media models are not chat models
    ids = {m["id"] for m in httpx.get(emulator.base_url + "/models").json()["data"]}
    assert FLUX not in ids and WAN not in ids


def test_hub_model_list_filters(emulator: RouterEmulator) -> None:
    emulator.add_model("org/img", providers=["fal-ai"], task="text-to-image")
    emulator.add_model(
        "org/off", providers=[{"provider": "fal-ai", "status": "staging"}], task="text-to-image"
    )
    emulator.add_model("org/chat")
    params: dict[str, Any] = {
        "inference_provider": "all",
        "pipeline_tag": "text-to-image",
        "expand[]": "inferenceProviderMapping",
    }
    images = httpx.get(emulator.url + "/api/models", params=params).json()
    assert [m["id"] for m in images] == [FLUX, "org/img"]
    assert images[1]["inferenceProviderMapping"]["fal-ai"]["task"] == "text-to-image"
    videos = httpx.get(
        emulator.url + "/api/models", params={**params, "pipeline_tag": "text-to-video"}
    )
    assert [m["id"] for m in videos.json()] == [WAN]
    everything = httpx.get(emulator.url + "/api/models").json()
    assert {m["id"] for m in everything} >= {FLUX, WAN, "org/img", "org/off", "org/chat"}
    assert {m["pipeline_tag"] for m in everything if m["id"] == "org/chat"} == {"text-generation"}
    novita = httpx.get(emulator.url + "/api/models", params={"inference_provider": "novita"})
    assert [m["id"] for m in novita.json()] == [WAN]


# -- synchronous providers ---------------------------------------------------------------------
def test_hf_inference_answers_raw_png(emulator: RouterEmulator) -> None:
    body = {"inputs": "a red fox", "parameters": {"width": 1024, "height": 512, "seed": 3}}
    response = post(emulator, f"/hf-inference/models/{FLUX}", body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-inference-provider"] == "hf-inference"
    assert check_png(response.content) == (64, 32)
    again = post(emulator, f"/hf-inference/models/{FLUX}", body)
    assert again.content == response.content
    assert emulator.requests[0].json == body
    assert emulator.requests[0].headers["authorization"] == "Bearer hf_***"


def test_fal_sync_image_then_download(emulator: RouterEmulator) -> None:
    body = {"prompt": "a cat", "image_size": {"width": 1024, "height": 1024}, "num_images": 1}
    response = post(emulator, "/fal-ai/fal-ai/flux/dev", body)
    assert response.status_code == 200
    image = response.json()["images"][0]
    assert image["content_type"] == "image/png"
    assert image["url"].startswith(emulator.url + "/files/")
    download = httpx.get(image["url"])
    assert download.headers["content-type"] == "image/png"
    assert check_png(download.content) == (image["width"], image["height"]) == (64, 64)


@pytest.mark.parametrize(
    ("provider", "extra"),
    [
        ("together", {"response_format": "base64", "width": 1344, "height": 768}),
        ("nscale", {"response_format": "b64_json", "size": "1344x768"}),
    ],
)
def test_b64_image_providers(
    emulator: RouterEmulator, provider: str, extra: dict[str, Any]
) -> None:
    body = {"prompt": "a boat", "model": FLUX, **extra}
    response = post(emulator, f"/{provider}/v1/images/generations", body)
    assert response.status_code == 200, response.text
    [item] = response.json()["data"]
    assert check_png(base64.b64decode(item["b64_json"])) == (64, 37)


def test_nscale_images_and_add_model_for_media(emulator: RouterEmulator) -> None:
    emulator.add_model(
        "org/pic",
        providers=["nscale", "fal-ai"],
        task="text-to-image",
        provider_ids={"nscale": "ns/pic"},
    )
    body = {"prompt": "x", "model": "ns/pic", "response_format": "b64_json"}
    response = post(emulator, "/nscale/v1/images/generations", body)
    assert response.status_code == 200
    check_png(base64.b64decode(response.json()["data"][0]["b64_json"]))
    # the providerId defaults to the repo id
    assert post(emulator, "/fal-ai/org/pic", {"prompt": "x"}).status_code == 200
    assert (
        post(
            emulator, "/nscale/v1/images/generations", {"prompt": "x", "model": "no/such"}
        ).status_code
        == 404
    )


# -- polled providers --------------------------------------------------------------------------
def test_fal_queue_video_flow(emulator: RouterEmulator) -> None:
    emulator.configure_media(polls=2)
    body = {
        "prompt": "waves",
        "aspect_ratio": "16:9",
        "resolution": "480p",
        "num_inference_steps": 20,
    }
    submit = post(emulator, "/fal-ai/fal-ai/wan-t2v?_subdomain=queue", body).json()
    assert submit["status"] == "IN_QUEUE"
    assert (
        submit["response_url"]
        == f"https://queue.fal.run/fal-ai/wan-t2v/requests/{submit['request_id']}"
    )
    assert submit["status_url"] == submit["response_url"] + "/status"
    path = "/fal-ai" + httpx.URL(submit["response_url"]).path
    queue = {"_subdomain": "queue"}
    early = get(emulator, path, params=queue)
    assert early.status_code == 400
    statuses = [get(emulator, path + "/status", params=queue).json()["status"] for _ in range(3)]
    assert statuses == ["IN_PROGRESS", "COMPLETED", "COMPLETED"]
    result = get(emulator, path, params=queue).json()
    assert check_mp4(httpx.get(result["video"]["url"]).content)[0] == b"ftyp"
    assert get(emulator, path + "/status").status_code == 404  # without _subdomain=queue
    [job] = emulator.jobs
    assert job["provider"] == "fal-ai" and job["kind"] == "video" and job["status"] == "completed"
    assert job["polls"] == 3 and job["input"] == body


@pytest.mark.parametrize(
    ("wait", "polls", "expected"),
    [(True, 1, []), (False, 1, ["succeeded"]), (True, 3, ["processing", "succeeded"])],
)
def test_replicate_model_route_prefer_wait_and_polling(
    emulator: RouterEmulator, wait: bool, polls: int, expected: list[str]
) -> None:
    emulator.configure_media(polls=polls)
    headers = {"Prefer": "wait"} if wait else {}
    body = {"input": {"prompt": "a cat", "width": 1024, "height": 1024, "seed": 1}}
    response = post(
        emulator, "/replicate/v1/models/black-forest-labs/flux-dev/predictions", body, headers
    )
    assert response.status_code == 201
    prediction = response.json()
    assert (
        prediction["urls"]["get"] == f"https://api.replicate.com/v1/predictions/{prediction['id']}"
    )
    assert prediction["status"] == (
        "succeeded" if not expected else "processing" if wait else "starting"
    )
    seen = []
    while prediction["status"] in ("starting", "processing"):
        prediction = get(emulator, f"/replicate/v1/predictions/{prediction['id']}").json()
        seen.append(prediction["status"])
    assert seen == expected
    [url] = prediction["output"]  # images: a list
    check_png(httpx.get(url).content)


def test_replicate_version_route_and_video_output_string(emulator: RouterEmulator) -> None:
    emulator.add_model(
        "org/sdxl",
        providers=["replicate"],
        task="text-to-image",
        provider_ids={"replicate": "stability-ai/sdxl:abc123"},
    )
    body = {"input": {"prompt": "x"}, "version": "abc123"}
    prediction = post(emulator, "/replicate/v1/predictions", body, {"Prefer": "wait"}).json()
    assert prediction["status"] == "succeeded" and prediction["version"] == "abc123"
    assert prediction["model"] == "stability-ai/sdxl"
    assert (
        post(
            emulator, "/replicate/v1/predictions", {"input": {"prompt": "x"}, "version": "nope"}
        ).status_code
        == 404
    )
    video = post(
        emulator,
        "/replicate/v1/models/wan-video/wan-2.1-t2v-480p/predictions",
        {
            "input": {
                "prompt": "v",
                "aspect_ratio": "16:9",
                "resolution": "480p",
                "num_inference_steps": 20,
            }
        },
        {"Prefer": "wait"},
    ).json()
    assert isinstance(video["output"], str)
    check_mp4(httpx.get(video["output"]).content)


def test_together_video_flow(emulator: RouterEmulator) -> None:
    body = {"model": WAN, "prompt": "rain", "width": 1344, "height": 768, "steps": 20}
    submit = post(emulator, "/together/v2/videos", body).json()
    assert submit["status"] == "queued"
    polled = get(emulator, f"/together/v2/videos/{submit['id']}").json()
    assert polled["status"] == "completed"
    check_mp4(httpx.get(polled["outputs"]["video_url"]).content)


def test_novita_task_flow(emulator: RouterEmulator) -> None:
    emulator.configure_media(polls=2)
    submit = post(
        emulator,
        "/novita/v3/async/wan-t2v",
        {"prompt": "fog", "width": 832, "height": 480, "steps": 20},
    )
    task_id = submit.json()["task_id"]
    first = get(emulator, "/novita/v3/async/task-result", params={"task_id": task_id}).json()
    assert first["task"]["status"] == "TASK_STATUS_PROCESSING" and first["videos"] == []
    done = get(emulator, "/novita/v3/async/task-result", params={"task_id": task_id}).json()
    assert done["task"] == {**done["task"], "task_id": task_id, "status": "TASK_STATUS_SUCCEED"}
    check_mp4(httpx.get(done["videos"][0]["video_url"]).content)


def test_wavespeed_flow(emulator: RouterEmulator) -> None:
    body = {"prompt": "sun", "size": "832*480", "aspect_ratio": "16:9", "resolution": "480p"}
    submit = post(emulator, "/wavespeed/api/v3/wavespeed-ai/wan-2.1/t2v-480p", body).json()
    assert submit["code"] == 200
    data = submit["data"]
    assert data["status"] == "created"
    assert data["urls"]["get"] == f"https://api.wavespeed.ai/api/v3/predictions/{data['id']}/result"
    result = get(emulator, f"/wavespeed/api/v3/predictions/{data['id']}/result").json()["data"]
    assert result["status"] == "completed"
    check_mp4(httpx.get(result["outputs"][0]).content)


def test_polls_zero_and_bad_configuration(emulator: RouterEmulator) -> None:
    emulator.configure_media(polls=0)
    prediction = post(
        emulator,
        "/replicate/v1/models/black-forest-labs/flux-dev/predictions",
        {"input": {"prompt": "x"}},
    )
    assert prediction.json()["status"] == "succeeded"
    with pytest.raises(ValueError, match="polls"):
        emulator.configure_media(polls=-1)
    emulator.reset()
    assert emulator.jobs == []


# -- auth, validation, faults ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/hf-inference/models/{FLUX}"),
        ("POST", "/fal-ai/fal-ai/flux/dev"),
        ("GET", "/fal-ai/fal-ai/wan-t2v/requests/x/status?_subdomain=queue"),
        ("POST", "/replicate/v1/predictions"),
        ("GET", "/replicate/v1/predictions/x"),
        ("POST", "/together/v1/images/generations"),
        ("POST", "/together/v2/videos"),
        ("GET", "/together/v2/videos/x"),
        ("POST", "/novita/v3/async/wan-t2v"),
        ("GET", "/novita/v3/async/task-result?task_id=x"),
        ("POST", "/wavespeed/api/v3/wavespeed-ai/wan-2.1/t2v-480p"),
        ("GET", "/wavespeed/api/v3/predictions/x/result"),
    ],
)
def test_every_media_route_needs_the_token(
    emulator: RouterEmulator, method: str, path: str
) -> None:
    response = httpx.request(
        method, emulator.url + path, json={"prompt": "x"}, headers={"Authorization": "Bearer sk-no"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid username or password."}


def test_unknown_job_model_and_bad_body(emulator: RouterEmulator) -> None:
    assert get(emulator, "/replicate/v1/predictions/nope").status_code == 404
    assert post(emulator, "/fal-ai/org/unknown", {"prompt": "x"}).status_code == 404
    assert post(emulator, "/fal-ai/fal-ai/flux/dev", {"seed": 1}).status_code == 422
    assert (
        httpx.post(
            emulator.url + "/fal-ai/fal-ai/flux/dev", content=b"{", headers=TOKEN
        ).status_code
        == 422
    )
    assert httpx.get(emulator.url + "/files/nothing.png").status_code == 404
    emulator.add_model("org/chatty", providers=["fal-ai"])  # conversational task
    assert (
        post(emulator, "/fal-ai/org/chatty", {"prompt": "x"}).json()["error"]["code"]
        == "model_not_supported"
    )


@pytest.mark.parametrize("status", [400, 401, 402, 404])
def test_status_faults_per_provider(emulator: RouterEmulator, status: int) -> None:
    emulator.set_fault(str(status), model=FLUX, provider="fal-ai")
    assert post(emulator, "/fal-ai/fal-ai/flux/dev", {"prompt": "x"}).status_code == status
    other = post(emulator, "/together/v1/images/generations", {"prompt": "x", "model": FLUX})
    assert other.status_code == 200  # another provider of the same model is fine


def test_faults_from_the_header_and_times(emulator: RouterEmulator) -> None:
    header = {"X-Emulator-Scenario": "402"}
    response = post(emulator, "/novita/v3/async/wan-t2v", {"prompt": "x"}, header)
    assert response.status_code == 402 and "credits" in response.json()["error"]
    bad = post(
        emulator, "/novita/v3/async/wan-t2v", {"prompt": "x"}, {"X-Emulator-Scenario": "nope"}
    )
    assert bad.status_code == 400
    emulator.set_fault("402", provider="replicate", times=1)
    emulator.set_fault("cut_after=1", times=1)  # a chat-only fault: not used up by media routes
    path = "/replicate/v1/models/black-forest-labs/flux-dev/predictions"
    assert post(emulator, path, {"input": {"prompt": "x"}}).status_code == 402
    assert post(emulator, path, {"input": {"prompt": "x"}}).status_code == 201


def test_never_finish(emulator: RouterEmulator) -> None:
    emulator.set_fault("never_finish", provider="fal-ai")
    submit = post(emulator, "/fal-ai/fal-ai/wan-t2v?_subdomain=queue", {"prompt": "x"}).json()
    path = "/fal-ai" + httpx.URL(submit["status_url"]).path
    statuses = {
        get(emulator, path, params={"_subdomain": "queue"}).json()["status"] for _ in range(5)
    }
    assert statuses == {"IN_PROGRESS"}
    emulator.set_fault("never_finish", provider="replicate")
    prediction = post(
        emulator,
        "/replicate/v1/models/black-forest-labs/flux-dev/predictions",
        {"input": {"prompt": "x"}},
        {"Prefer": "wait"},
    ).json()
    assert prediction["status"] == "processing" and prediction["output"] is None
    assert (
        get(emulator, f"/replicate/v1/predictions/{prediction['id']}").json()["status"]
        == "processing"
    )


def test_job_failed_in_every_polled_shape(emulator: RouterEmulator) -> None:
    scenario = {"X-Emulator-Scenario": "job_failed"}
    prediction = post(
        emulator,
        "/replicate/v1/models/black-forest-labs/flux-dev/predictions",
        {"input": {"prompt": "x"}},
        {**scenario, "Prefer": "wait"},
    ).json()
    assert (
        prediction["status"] == "failed"
        and "failed" in prediction["error"]
        and prediction["output"] is None
    )
    video = post(emulator, "/together/v2/videos", {"model": WAN, "prompt": "x"}, scenario).json()
    polled = get(emulator, f"/together/v2/videos/{video['id']}").json()
    assert polled["status"] == "failed" and polled["error"] and "outputs" not in polled
    task = post(emulator, "/novita/v3/async/wan-t2v", {"prompt": "x"}, scenario).json()["task_id"]
    result = get(emulator, "/novita/v3/async/task-result", params={"task_id": task}).json()
    assert result["task"]["status"] == "TASK_STATUS_FAILED" and result["task"]["reason"]
    ws = post(
        emulator, "/wavespeed/api/v3/wavespeed-ai/wan-2.1/t2v-480p", {"prompt": "x"}, scenario
    ).json()
    data = get(emulator, f"/wavespeed/api/v3/predictions/{ws['data']['id']}/result").json()["data"]
    assert data["status"] == "failed" and data["error"] and data["outputs"] == []
    fal = post(
        emulator, "/fal-ai/fal-ai/wan-t2v?_subdomain=queue", {"prompt": "x"}, scenario
    ).json()
    path, queue = "/fal-ai" + httpx.URL(fal["response_url"]).path, {"_subdomain": "queue"}
    assert get(emulator, path + "/status", params=queue).json()["status"] == "COMPLETED"
    failed = get(emulator, path, params=queue)
    assert failed.status_code == 422 and "failed" in failed.json()["detail"]
    sync = post(emulator, "/fal-ai/fal-ai/flux/dev", {"prompt": "x"}, scenario)
    assert sync.status_code == 422 and "failed" in sync.json()["error"]


def test_insecure_url_and_oversized(emulator: RouterEmulator) -> None:
    insecure = post(
        emulator,
        "/fal-ai/fal-ai/flux/dev",
        {"prompt": "x"},
        {"X-Emulator-Scenario": "insecure_url"},
    )
    assert insecure.json()["images"][0]["url"] == "http://files.example.invalid/out.png"
    emulator.set_fault("insecure_url", provider="replicate")
    prediction = post(
        emulator,
        "/replicate/v1/models/wan-video/wan-2.1-t2v-480p/predictions",
        {"input": {"prompt": "x"}},
        {"Prefer": "wait"},
    ).json()
    assert prediction["output"] == "http://files.example.invalid/out.mp4"
    big = post(
        emulator,
        "/fal-ai/fal-ai/flux/dev",
        {"prompt": "x"},
        {"X-Emulator-Scenario": "oversized=300000"},
    )
    download = httpx.get(big.json()["images"][0]["url"])
    assert download.headers["content-length"] == "300000" and len(download.content) == 300000
    assert download.content[:8] == b"\x89PNG\r\n\x1a\n"
    raw = post(
        emulator,
        f"/hf-inference/models/{FLUX}",
        {"inputs": "x"},
        {"X-Emulator-Scenario": "oversized=100000"},
    )
    assert len(raw.content) == 100000


def test_insecure_redirect(emulator: RouterEmulator) -> None:
    answer = post(
        emulator,
        "/fal-ai/fal-ai/flux/dev",
        {"prompt": "x"},
        {"X-Emulator-Scenario": "insecure_redirect"},
    ).json()
    url = answer["images"][0]["url"]
    assert url.startswith(emulator.url + "/files/image-")  # the router host: allowed
    name = url.rsplit("/", 1)[1]
    download = httpx.get(url)  # httpx does not follow redirects unless asked
    assert download.status_code == 302
    assert download.headers["location"] == f"http://files.example.invalid/{name}"
    assert download.content == b""
    emulator.set_fault("insecure_redirect", provider="replicate")
    prediction = post(
        emulator,
        "/replicate/v1/models/wan-video/wan-2.1-t2v-480p/predictions",
        {"input": {"prompt": "x"}},
        {"Prefer": "wait"},
    ).json()
    assert prediction["status"] == "succeeded"
    video = prediction["output"]
    assert video.startswith(emulator.url + "/files/video-")
    redirect = httpx.get(video)
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "http://files.example.invalid/" + video.rsplit("/")[-1]
    # without the fault the same route serves the bytes
    plain = post(emulator, "/fal-ai/fal-ai/flux/dev", {"prompt": "x"}).json()["images"][0]["url"]
    served = httpx.get(plain)
    assert served.status_code == 200 and served.content[:8] == b"\x89PNG\r\n\x1a\n"
