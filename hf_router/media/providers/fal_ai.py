"""fal-ai: images answered at once with a URL; video through the queue (submit with
``?_subdomain=queue``, poll ``.../status`` until ``COMPLETED``, then fetch the result). A LoRA
adapter goes as ``loras: [{"path": <Hub resolve URL>, "scale": 1}]`` (huggingface_hub
``fal_ai.py``, huggingface.js ``fal-ai.ts``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from ._base import (
    LoraAdapter,
    MediaOutput,
    MediaProvider,
    MediaTask,
    MediaURL,
    Pending,
    RequestSpec,
    first_url,
    json_object,
    path_id,
    quote_id,
)

__all__ = ["FalAIProvider"]

_QUEUE = "?_subdomain=queue"
LORA_BASE_MODEL = "stabilityai/stable-diffusion-xl-base-1.0"
"""The ``model_name`` sent with ``fal-ai/lora`` (it needs the base model of an SD LoRA)."""


class FalAIProvider(MediaProvider):
    """fal.ai (images and video)."""

    name = "fal-ai"
    kinds = frozenset({"image", "video"})

    def submit(
        self, task: MediaTask, provider_id: str, lora: LoraAdapter | None = None
    ) -> RequestSpec:
        path = f"/fal-ai/{path_id(provider_id)}"
        adapter = {"loras": [{"path": lora.weights_url, "scale": 1}]} if lora else {}
        if task.kind == "image":
            size = {"width": task.width, "height": task.height}
            body = {"prompt": task.prompt, "image_size": size, **task.options(), **adapter}
            if lora and provider_id == "fal-ai/lora":
                body["model_name"] = LORA_BASE_MODEL
            return RequestSpec("POST", path, json={**body, **task.extra})
        body = {"prompt": task.prompt, **task.video_options(), **task.options(), **adapter}
        return RequestSpec("POST", path + _QUEUE, json={**body, **task.extra})

    def parse(self, body: Any, content_type: str = "") -> MediaOutput:
        data = json_object(body, self)
        media = _media(data)
        if media:
            return media
        job_id = data.get("request_id")
        if not isinstance(job_id, str) or not job_id:
            raise self.malformed("has neither images, a video nor a request_id", body)
        # The queue paths come from response_url (https://queue.fal.run/{PID}/requests/{ID}).
        url = data.get("response_url")
        path = urlsplit(url).path if isinstance(url, str) else ""
        base = "/fal-ai/" + path_id(path.strip("/")) if path else ""
        if not base.endswith(f"/requests/{quote_id(job_id)}"):
            raise self.malformed("has no usable response_url", body)
        return Pending(
            job_id,
            RequestSpec("GET", f"{base}/status{_QUEUE}"),
            status=str(data.get("status") or ""),
            result=RequestSpec("GET", base + _QUEUE),
        )

    def poll_result(self, body: Any, job: Pending) -> MediaOutput:
        data = json_object(body, self)
        media = _media(data)
        status = str(data.get("status") or "")
        if media:
            return media
        if status == "COMPLETED" and job.result is not None:
            return Pending(job.job_id, job.result, status=status, wait=False)
        if data.get("error"):
            raise self.failed(job.job_id, data["error"])
        # IN_QUEUE, IN_PROGRESS or anything else: poll again until COMPLETED, as the official
        # clients do (a failed job is COMPLETED; its result then answers 422).
        return replace(job, status=status)


def _media(data: Mapping[str, Any]) -> MediaURL | None:
    images = data.get("images")
    first = images[0] if isinstance(images, list) and images else None
    if isinstance(first, Mapping) and first_url(first):
        w, h = (
            v if isinstance(v, int) else None for v in (first.get("width"), first.get("height"))
        )
        return MediaURL(first["url"], w, h)
    url = first_url(data.get("video"))
    return MediaURL(url) if url else None
