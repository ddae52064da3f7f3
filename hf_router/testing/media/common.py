"""Shared machinery of the media routes: request validation, faults, files and jobs."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..core.catalog import MEDIA_TASKS, ModelSpec, ProviderEntry
from ..core.faults import MEDIA_ITEMS, FaultPlan, model_not_supported, unauthorized
from ..core.files import mp4, png, scaled_size
from ..core.requests import emulator_state, has_token, json_response, request_json, scenario_items
from ..core.state import CoreState
from .state import MediaFile, MediaJob, MediaStore

__all__ = [
    "ASPECT_RATIOS",
    "INSECURE_REDIRECT",
    "INSECURE_URL",
    "RedirectedFile",
    "Submit",
    "b64",
    "file_response",
    "file_url",
    "job_url",
    "polled_job",
    "prompt_of",
    "requested_size",
    "status_name",
    "submit",
]

ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "9:16": (768, 1344),
    "4:3": (1152, 896),
    "3:4": (896, 1152),
    "3:2": (1216, 832),
    "2:3": (832, 1216),
    "21:9": (1536, 640),
}
STATUS_NAMES: dict[str, tuple[str, ...]] = {  # queued, processing, completed, failed
    "fal-ai": ("IN_QUEUE", "IN_PROGRESS", "COMPLETED", "COMPLETED"),
    "replicate": ("starting", "processing", "succeeded", "failed"),
    "together": ("queued", "in_progress", "completed", "failed"),
    "novita": tuple(f"TASK_STATUS_{s}" for s in ("QUEUED", "PROCESSING", "SUCCEED", "FAILED")),
    "wavespeed": ("created", "processing", "completed", "failed"),
}
STATES = ("queued", "processing", "completed", "failed")
INSECURE_URL = "http://files.example.invalid/out.{ext}"
INSECURE_REDIRECT = "http://files.example.invalid/{name}"


@dataclass
class RedirectedFile(MediaFile):
    """A generated file whose download answers ``302 Found`` to ``location`` instead of the
    bytes (the ``insecure_redirect`` fault)."""

    location: str = ""


def status_name(provider: str, state: str) -> str:
    """The provider's name for a job state (``queued``/``processing``/``completed``/``failed``)."""
    return STATUS_NAMES[provider][STATES.index(state)]


@dataclass
class Submit:
    """An accepted submit request: the model, its provider entry, the faults and the body."""

    request: Request
    state: CoreState
    spec: ModelSpec
    entry: ProviderEntry
    plan: FaultPlan
    body: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"x-inference-provider": self.entry.provider}

    @property
    def kind(self) -> str:
        return "video" if self.entry.task == "text-to-video" else "image"

    def file(self, prompt: str, size: tuple[int, int], seed: Any, kind: str = "") -> MediaFile:
        """Generate and store the file for ``prompt`` (scaled down from ``size``)."""
        kind = kind or self.kind
        text = f"{prompt}|{seed}"
        width, height = scaled_size(*size)
        data = mp4(text, width, height) if kind == "video" else png(text, width, height)
        item = self.state.store(MediaStore).add_file(kind, data, self.plan.oversized)
        if self.plan.insecure_redirect:  # the download of this file will redirect
            location = INSECURE_REDIRECT.format(name=item.name)
            item = RedirectedFile(item.name, item.mime, item.data, item.size, location)
            self.state.store(MediaStore).files[item.name] = item
        return item

    def url(self, item: MediaFile) -> str:
        """Where the file is downloaded from (the ``insecure_url`` fault breaks it)."""
        return (
            INSECURE_URL.format(ext=item.name.rsplit(".", 1)[1])
            if self.plan.insecure_url
            else (file_url(self.request, item.name))
        )

    def job(self, prompt: str, item: MediaFile, kind: str = "") -> MediaJob:
        """Register a polled job producing ``item``."""
        media = self.state.store(MediaStore)
        job = MediaJob(
            id=media.job_id(),
            provider=self.entry.provider,
            model_id=self.spec.model_id,
            provider_model=self.entry.provider_id,
            kind=kind or self.kind,
            prompt=prompt,
            file=item.name,
            url=self.url(item) if self.plan.insecure_url else None,
            polls_needed=media.polls,
            never_finish=self.plan.never_finish,
            failed=self.plan.job_failed,
            input=self.body,
        )
        media.jobs[job.id] = job
        return job

    def failure(self) -> Response:
        """The answer of a synchronous provider whose generation failed (``job_failed``)."""
        message = f"Generation failed: the provider could not generate the {self.kind}."
        return json_response({"error": message}, 422, self.headers)


def file_url(request: Request, name: str) -> str:
    return str(request.base_url).rstrip("/") + "/files/" + name


def job_url(request: Request, job: MediaJob) -> str:
    return job.url or file_url(request, job.file)


def find_model(state: CoreState, provider: str, pid: str) -> ModelSpec | None:
    spec = state.model_by_provider_id(provider, pid)
    if spec is None and pid in state.models and state.models[pid].provider(provider):
        spec = state.models[pid]
    return spec


async def submit(request: Request, provider: str, pid: str | None) -> Submit | Response:
    """Validate a submit request (token, JSON body, model, faults); a Response means refused."""
    headers = {"x-inference-provider": provider}
    if not has_token(request):
        return unauthorized(headers)
    body = request_json(request)
    if not isinstance(body, dict):
        message = "Failed to deserialize the JSON body into the target type: expected an object"
        return json_response({"error": message}, 422, headers)
    if pid is None:
        pid = body.get("model")
        if not isinstance(pid, str) or not pid:
            return json_response({"error": "Input validation error: missing field `model`"}, 422)
    state = emulator_state(request)
    spec = find_model(state, provider, pid)
    entry = spec.provider(provider) if spec else None
    if spec is None or entry is None:
        return json_response({"error": f"Model {pid} does not exist"}, 404, headers)
    if entry.status != "live" or entry.task not in MEDIA_TASKS:
        return model_not_supported(spec.model_id, provider, headers)
    try:
        items = scenario_items(request)
    except ValueError as exc:
        return json_response({"error": f"Invalid X-Emulator-Scenario: {exc}"}, 400, headers)
    items.extend(state.faults.take(spec.model_id, provider, only=MEDIA_ITEMS))
    plan = FaultPlan.from_items(items)
    if plan.slow_first_token:
        await asyncio.sleep(plan.slow_first_token)
    if plan.answer is not None:
        return plan.answer_response(spec.model_id, provider)
    return Submit(request, state, spec, entry, plan, body)


def prompt_of(sub: Submit, value: Any) -> str | Response:
    if isinstance(value, str) and value.strip():
        return value
    return json_response({"error": "Input validation error: missing `prompt`"}, 422, sub.headers)


VIDEO_SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "480p": {"16:9": (832, 480), "9:16": (480, 832), "1:1": (624, 624)},
    "720p": {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (960, 960)},
}


def requested_size(params: dict[str, Any], video: bool, size_sep: str = "*") -> tuple[int, int]:
    """Requested width x height: explicit, from ``size`` (``W*H``, or ``WxH`` with
    ``size_sep="x"``), ``image_size`` or the aspect ratio (default 1:1 for images, 16:9 for
    video; for video at the ``resolution``, default 480p: 480p 16:9 is 832x480)."""
    width, height = params.get("width"), params.get("height")
    if isinstance(params.get("image_size"), dict):
        width, height = params["image_size"].get("width"), params["image_size"].get("height")
    if isinstance(params.get("size"), str) and size_sep in params["size"]:
        left, _, right = params["size"].partition(size_sep)
        if left.isdigit() and right.isdigit():
            width, height = int(left), int(right)
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    default = "16:9" if video else "1:1"
    ratio = str(params.get("aspect_ratio") or default)
    if video:
        sizes = VIDEO_SIZES.get(str(params.get("resolution") or "480p"), VIDEO_SIZES["480p"])
        return sizes.get(ratio, sizes[default])
    return ASPECT_RATIOS.get(ratio, ASPECT_RATIOS[default])


def file_response(item: MediaFile, headers: dict[str, str] | None = None) -> Response:
    extra = {**(headers or {}), "content-length": str(item.size)}
    return StreamingResponse(item.chunks(), headers=extra, media_type=item.mime)


def b64(item: MediaFile) -> str:
    return base64.b64encode(b"".join(item.chunks())).decode()


def polled_job(request: Request, provider: str, job_id: str) -> MediaJob | Response:
    headers = {"x-inference-provider": provider}
    if not has_token(request):
        return unauthorized(headers)
    job = emulator_state(request).store(MediaStore).jobs.get(job_id)
    if job is None or job.provider != provider:
        return json_response({"error": f"Job {job_id} not found"}, 404, headers)
    return job
