"""Replay the recorded text-to-image traffic through the media providers (pure, no network).

The cassettes in ``tests/fixtures/cassettes/media/`` are real exchanges recorded by
huggingface_hub's test suite (see ``tests/fixtures/cassettes/LICENSE.md``). They live in a
subfolder because their bodies are binary images, which the chat replay in
``tests/test_cassettes.py`` (which reads every ``*.yaml`` of the parent folder) does not expect.

For each recording this file reads the YAML with ``yaml.safe_load`` on its own, then checks:
the provider's :meth:`submit` builds the recorded route (and the recorded payload's fields)
from the recorded Hub mapping; :meth:`parse` turns the recorded answer into media; and the
bytes (raw, base64, or the second recorded GET of the returned URL) are the image type and
size that their own header says, via ``sniff_mime`` and the saving code.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from hf_router import MediaClient
from hf_router._shared.catalog import normalize_mapping
from hf_router._shared.messages import sniff_mime
from hf_router.media._download import check_url, image_size, save_bytes
from hf_router.media.providers import get_provider
from hf_router.media.providers._base import MediaBytes, MediaTask, MediaURL, decode_base64

CASSETTES = Path(__file__).parent / "fixtures" / "cassettes" / "media"
NAMES = sorted(p.name for p in CASSETTES.glob("*.yaml"))
PROMPT = "An astronaut riding a horse on the moon."
ROUTER = "https://router.huggingface.co"


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str
    request_json: Any
    request_headers: dict[str, str]
    status: int
    content_type: str
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@cache
def load(name: str) -> list[Exchange]:
    data = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    out = []
    for item in data["interactions"]:
        req, resp = item["request"], item["response"]
        raw = resp["body"]["string"]
        body = raw if isinstance(raw, bytes) else raw.encode("utf-8")
        headers = {k.lower(): v[0] for k, v in (resp.get("headers") or {}).items()}
        req_headers = {k.lower(): v[0] for k, v in (req.get("headers") or {}).items()}
        req_body = req.get("body")
        out.append(
            Exchange(
                method=req["method"],
                url=req["uri"],
                request_json=json.loads(req_body) if req_body else None,
                request_headers=req_headers,
                status=resp["status"]["code"],
                content_type=headers.get("content-type", ""),
                body=body,
            )
        )
    return out


def provider_of(name: str) -> str | None:
    """``fal-ai`` for ``TestInferenceClient.test_text_to_image_default[fal-ai,...]``; the old
    serverless API (``api-inference``) is hf-inference; Hub-only recordings have none."""
    if "[" in name:
        return name.split("[", 1)[1].split(",", 1)[0]
    return "hf-inference" if any(e.method == "POST" for e in load(name)) else None


def test_the_cassettes_are_here():
    assert len(NAMES) == 10
    assert {provider_of(n) for n in NAMES} == {
        "fal-ai", "hf-inference", "nebius", "replicate", "together", None,
    }  # fmt: skip


def _check_image(data: bytes, tmp_path: Path, expected_mime: str | None = None) -> str:
    mime = sniff_mime(data)
    assert mime.startswith("image/"), mime
    if expected_mime:
        assert mime == expected_mime
    saved = save_bytes(data, tmp_path, "image", len(data))
    assert saved.mime == mime and saved.path.read_bytes() == data
    assert saved.path.suffix == {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}[mime]  # fmt: skip
    assert saved.width and saved.height and saved.width >= 64 and saved.height >= 64
    return mime


HISTORICAL = {"nebius"}
"""Recorded providers the router no longer routes (nebius: removed 2026-07-01). Their cassettes
stay as recordings of what the provider answered; no test replays them as a live provider."""
POSTS = [n for n in NAMES if provider_of(n) and provider_of(n) not in HISTORICAL]


@pytest.mark.parametrize("name", POSTS, ids=[n.removesuffix(".yaml") for n in POSTS])
def test_replay_through_the_provider(name: str, tmp_path: Path) -> None:
    provider = get_provider(provider_of(name) or "")
    exchanges = load(name)
    [post] = [e for e in exchanges if e.method == "POST"]
    assert post.status in (200, 201)

    # The request: built from the recorded Hub mapping, it takes the recorded route.
    hub = [e for e in exchanges if e.method == "GET" and "/api/models/" in e.url]
    mapping = {m.provider: m for m in normalize_mapping(hub[0].json.get("inferenceProviderMapping"))} if hub else {}  # fmt: skip
    repo = urlsplit(post.url).path.split("/models/", 1)[-1]
    entry = mapping.get(provider.name)
    provider_id = entry.provider_id if entry else repo
    if entry:
        assert entry.status in ("live", "staging") and entry.task == "text-to-image"
    recorded = post.request_json
    size = {k: recorded.get(k) for k in ("width", "height") if isinstance(recorded.get(k), int)}
    size |= {
        k: v for k, v in (recorded.get("parameters") or {}).items() if k in ("width", "height")
    }
    spec = provider.submit(MediaTask.build("image", PROMPT, **size), provider_id)
    if "router.huggingface.co" in post.url:
        assert ROUTER + spec.path == post.url
    else:  # the 2024 serverless API, now the router's hf-inference route
        assert spec.path == "/hf-inference" + urlsplit(post.url).path
    for key, value in recorded.items():
        if key in ("input", "parameters"):
            sent = spec.json[key]
            assert {k: sent[k] for k in value} == value
        else:
            assert spec.json[key] == value, key
    if provider.name == "replicate":
        assert spec.headers == {"Prefer": post.request_headers["prefer"]}

    # The answer: bytes, base64 or a URL whose recorded download is an image.
    is_json = "json" in post.content_type
    out = provider.parse(post.json if is_json else post.body, post.content_type)
    if isinstance(out, MediaBytes):
        assert not is_json or provider.name == "together"
        _check_image(out.data, tmp_path)
        if not is_json:
            assert sniff_mime(out.data) == post.content_type
            assert out.data == post.body  # raw bytes: exactly what was recorded
        else:  # b64_json: the decoded image is exactly the recorded payload
            assert out.data == base64.b64decode(post.json["data"][0]["b64_json"])
    else:
        assert isinstance(out, MediaURL)
        check_url(out.url, ROUTER)  # https: allowed
        [download] = [e for e in exchanges if e.method == "GET" and e.url == out.url]
        assert download.status == 200
        mime = _check_image(download.body, tmp_path, download.content_type)
        if out.width and out.height:
            assert image_size(download.body) == (out.width, out.height)
        assert mime == "image/png"


def test_known_answers(tmp_path: Path) -> None:
    """Facts about the recordings, hard-coded so a bug shared by the reader and the code
    under test cannot hide."""

    def out(name: str) -> Any:
        [post] = [e for e in load(name) if e.method == "POST"]
        body = post.json if "json" in post.content_type else post.body
        return get_provider(provider_of(name) or "").parse(body, post.content_type)

    base = "TestInferenceClient.test_text_to_image_default[{},text-to-image].yaml"
    fal = out(base.format("fal-ai"))
    assert fal == MediaURL("https://v3.fal.media/files/koala/7EQDw9PT6pMiX2fm7bYOC.png", 1024, 768)
    replicate = out(base.format("replicate"))  # recorded while still "processing"
    assert isinstance(replicate, MediaURL) and replicate.url.endswith("/out-0.png")
    [nebius] = [e for e in load(base.format("nebius")) if e.method == "POST"]  # historical
    assert sniff_mime(decode_base64(nebius.json["data"][0]["b64_json"])[0]) == "image/webp"
    assert sniff_mime(out(base.format("together")).data) == "image/jpeg"
    assert sniff_mime(out(base.format("hf-inference")).data) == "image/jpeg"
    small = out("InferenceClientVCRTest.test_text_to_image_with_parameters.yaml").data
    assert image_size(small) == (256, 256)  # the recorded request asked for 256x256
    # fal declared "image/jpeg" for what is a PNG: the saved name follows the sniffed bytes
    [_, _, download] = load(base.format("fal-ai"))
    saved = save_bytes(download.body, tmp_path, "image", 10**7, declared_mime="image/jpeg")
    assert saved.path.suffix == ".png" and (saved.width, saved.height) == (1024, 768)


def test_hub_recordings_without_mapping() -> None:
    """The Hub answers recorded without ``expand`` carry no provider mapping: such a model is
    not listed as a media model, and has no provider to try."""
    bodies = [
        load(n)[0].json
        for n in NAMES
        if load(n)[0].method == "GET" and "expand" not in load(n)[0].url
    ]
    assert len(bodies) == 3
    assert all(b["pipeline_tag"] == "text-to-image" for b in bodies)
    assert all(normalize_mapping(b.get("inferenceProviderMapping")) == [] for b in bodies)
    with_mapping = [load(n)[0].json for n in NAMES if "expand" in load(n)[0].url]
    client = MediaClient("hf_unused", base_url="http://127.0.0.1:1", hub_url="http://127.0.0.1:1")
    listed = client._media_models([bodies + with_mapping])
    assert "stabilityai/stable-diffusion-2-1" not in listed
    assert "black-forest-labs/FLUX.1-dev:fal-ai" in listed
    assert "ByteDance/SDXL-Lightning:replicate" in listed
    assert (
        client.video_models == []
        and "stabilityai/stable-diffusion-xl-base-1.0" in client.image_models
    )
