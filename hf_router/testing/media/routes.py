"""The media provider routes (docs/media-protocols.md), the file downloads and the Hub model list.

Every submit route checks the token, finds the model by the provider's model id (providerId;
the repo id works too), applies the media faults, generates a small valid file from the prompt
and answers in the provider's shape. Polled jobs finish after ``MediaStore.polls`` polls.
Synchronous providers (hf-inference, fal-ai images, together/nscale images) and the fal
queue live here; the other polled providers in ``polled``. As fal does, the queue answers a
``response_url`` with the *app* id (the first two segments of a deeper providerId), and the
poll routes only answer at that app id.
"""

from __future__ import annotations

import re
import struct
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.requests import emulator_state, json_response
from .common import (
    RedirectedFile,
    b64,
    file_response,
    job_url,
    polled_job,
    prompt_of,
    requested_size,
    status_name,
    submit,
)
from .polled import POLLED_ROUTES
from .state import MediaFile, MediaStore

__all__ = ["MEDIA_ROUTES"]

_FAL_POLL_RE = re.compile(r"(?P<pid>.+)/requests/(?P<id>[^/]+?)(?P<status>/status)?")
NSCALE_REFUSED = ("width", "height", "num_inference_steps", "cfg_scale")
"""Fields nscale's images route refuses (it takes ``size: "WxH"``; huggingface_hub maps
width/height to it and drops the other two)."""


def fal_app_id(provider_id: str) -> str:
    """fal's app id of a providerId: its first two segments (``fal-ai/kling-video`` for
    ``fal-ai/kling-video/v2/master/text-to-video``), which the queue URLs carry."""
    return "/".join(provider_id.split("/")[:2])


# -- synchronous providers ---------------------------------------------------------------------
async def _hf_inference(request: Request) -> Response:
    sub = await submit(request, "hf-inference", request.path_params["pid"])
    if isinstance(sub, Response):
        return sub
    prompt = prompt_of(sub, sub.body.get("inputs"))
    if isinstance(prompt, Response):
        return prompt
    if sub.plan.job_failed:
        return sub.failure()
    params = sub.body.get("parameters") if isinstance(sub.body.get("parameters"), dict) else {}
    item = sub.file(prompt, requested_size(params, sub.kind == "video"), params.get("seed"))
    return file_response(item, sub.headers)


def _fal_media(item: MediaFile, url: str, seed: Any) -> dict[str, Any]:
    if item.mime == "video/mp4":
        video = {"url": url, "content_type": item.mime, "file_name": item.name}
        return {"video": {**video, "file_size": item.size}, "seed": seed}
    width, height = struct.unpack(">II", item.data[16:24])  # from the PNG's IHDR
    image = {"url": url, "width": width, "height": height, "content_type": item.mime}
    return {"images": [image], "seed": seed, "has_nsfw_concepts": [False]}


async def _fal_submit(request: Request) -> Response:
    pid = request.path_params["pid"]
    sub = await submit(request, "fal-ai", pid)
    if isinstance(sub, Response):
        return sub
    prompt = prompt_of(sub, sub.body.get("prompt"))
    if isinstance(prompt, Response):
        return prompt
    seed = sub.body.get("seed")
    item = sub.file(prompt, requested_size(sub.body, sub.kind == "video"), seed)
    if request.query_params.get("_subdomain") == "queue":
        job = sub.job(prompt, item)
        base = f"https://queue.fal.run/{fal_app_id(sub.entry.provider_id)}/requests/{job.id}"
        body = {"request_id": job.id, "status": "IN_QUEUE", "response_url": base}
        urls = {"status_url": base + "/status", "cancel_url": base + "/cancel"}
        return json_response({**body, **urls, "queue_position": 0}, headers=sub.headers)
    if sub.plan.job_failed:
        return sub.failure()
    body = _fal_media(item, sub.url(item), seed)
    return json_response({**body, "prompt": prompt}, headers=sub.headers)


async def _fal_poll(request: Request) -> Response:
    match = _FAL_POLL_RE.fullmatch(request.path_params["rest"])
    headers = {"x-inference-provider": "fal-ai"}
    if match is None or request.query_params.get("_subdomain") != "queue":
        return json_response({"detail": "Not Found"}, 404, headers)
    job = polled_job(request, "fal-ai", match["id"])
    if isinstance(job, Response):
        return job
    if match["pid"] != fal_app_id(job.provider_model):  # the job lives under its app id only
        return json_response({"detail": "Not Found"}, 404, headers)
    base = f"https://queue.fal.run/{match['pid']}/requests/{job.id}"
    if match["status"]:
        state = job.poll()
        body = {"status": status_name("fal-ai", state), "request_id": job.id, "response_url": base}
        if state == "queued":
            body["queue_position"] = 0
        return json_response(body, headers=headers)
    state = job.state()
    if state in ("queued", "processing"):
        return json_response({"detail": "Request is still in progress"}, 400, headers)
    if state == "failed":
        return json_response({"detail": job.error}, 422, headers)
    item = emulator_state(request).store(MediaStore).files[job.file]
    body = _fal_media(item, job_url(request, job), job.input.get("seed"))
    return json_response(body, headers=headers)


# -- together, nscale --------------------------------------------------------------------------
async def _images_generations(request: Request) -> Response:
    provider = request.path_params["provider"]
    if provider not in ("together", "nscale"):
        return json_response({"error": f"no images route for provider {provider}"}, 404)
    sub = await submit(request, provider, None)
    if isinstance(sub, Response):
        return sub
    prompt = prompt_of(sub, sub.body.get("prompt"))
    if isinstance(prompt, Response):
        return prompt
    if provider == "nscale":
        refused = _nscale_refused(sub.body)
        if refused:
            return json_response({"error": refused}, 422, sub.headers)
    if sub.plan.job_failed:
        return sub.failure()
    count = sub.body.get("n")
    count = count if isinstance(count, int) and 1 <= count <= 4 else 1
    size = requested_size(sub.body, False, "x" if provider == "nscale" else "*")
    data = [
        {"index": i, "b64_json": b64(sub.file(prompt, size, f"{sub.body.get('seed')}/{i}"))}
        for i in range(count)
    ]
    body = {"id": f"emu-{provider}-images", "model": sub.entry.provider_id, "object": "list"}
    return json_response({**body, "data": data}, headers=sub.headers)


def _nscale_refused(body: dict[str, Any]) -> str:
    """Why nscale refuses ``body`` (empty when it is fine)."""
    unknown = [k for k in NSCALE_REFUSED if k in body]
    if unknown:
        return f"Input validation error: unknown field(s) {', '.join(unknown)}; pass size='WxH'"
    size = body.get("size")
    if size is not None and not (isinstance(size, str) and re.fullmatch(r"\d{2,5}x\d{2,5}", size)):
        return f"Input validation error: size must be 'WxH', got {size!r}"
    return ""


# -- downloads and the Hub model list ----------------------------------------------------------
async def _download(request: Request) -> Response:
    item = emulator_state(request).store(MediaStore).files.get(request.path_params["name"])
    if item is None:
        return json_response({"error": "File not found"}, 404)
    if isinstance(item, RedirectedFile):  # insecure_redirect: a plain-http foreign location
        return Response(status_code=302, headers={"location": item.location})
    return file_response(item)


async def _hub_models(request: Request) -> Response:
    query = request.query_params
    expand = set(query.getlist("expand[]")) | set(query.getlist("expand"))
    tag, wanted = query.get("pipeline_tag"), query.get("inference_provider")
    search = (query.get("search") or "").lower()
    limit = int(query["limit"]) if query.get("limit", "").isdigit() else None
    out: list[dict[str, Any]] = []
    for spec in emulator_state(request).models.values():
        live = [p.provider for p in spec.live()]
        if (tag and spec.pipeline_tag() != tag) or (search and search not in spec.model_id.lower()):
            continue
        if wanted and not (live if wanted == "all" else wanted in live):
            continue
        item: dict[str, Any] = {"_id": spec.hub_id(), "id": spec.model_id}
        if not expand or "pipeline_tag" in expand:
            item["pipeline_tag"] = spec.pipeline_tag()
        if "inferenceProviderMapping" in expand:
            item["inferenceProviderMapping"] = spec.mapping()
        out.append(item)
    return json_response(out[:limit] if limit is not None else out)


MEDIA_ROUTES = [
    Route("/hf-inference/models/{pid:path}", _hf_inference, methods=["POST"]),
    Route("/fal-ai/{pid:path}", _fal_submit, methods=["POST"]),
    Route("/fal-ai/{rest:path}", _fal_poll, methods=["GET"]),
    Route("/{provider}/v1/images/generations", _images_generations, methods=["POST"]),
    *POLLED_ROUTES,
    Route("/files/{name}", _download, methods=["GET"]),
    Route("/api/models", _hub_models, methods=["GET"]),
]
