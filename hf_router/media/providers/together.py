"""together: images from ``/v1/images/generations`` (base64); video submitted to
``/v2/videos`` and polled at ``/v2/videos/{id}`` (huggingface_hub ``together.py``,
huggingface.js ``together.ts``): ``num_inference_steps`` is called ``steps``, a missing status
counts as pending and a failure's message is ``error.message``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import (
    LoraAdapter,
    MediaOutput,
    MediaProvider,
    MediaTask,
    Pending,
    RequestSpec,
    json_object,
    parse_openai_images,
    quote_id,
)

__all__ = ["TogetherProvider"]

_WAITING = frozenset({"queued", "in_progress"})


class TogetherProvider(MediaProvider):
    """Together AI (images and video)."""

    name = "together"
    kinds = frozenset({"image", "video"})

    def submit(
        self, task: MediaTask, provider_id: str, lora: LoraAdapter | None = None
    ) -> RequestSpec:
        size = {"width": task.width, "height": task.height}
        if task.kind == "image":
            body = {"prompt": task.prompt, "model": provider_id, **size, **task.options()}
            body |= {"response_format": "base64", **_steps(task.extra)}
            return RequestSpec("POST", "/together/v1/images/generations", json=body)
        body = {"model": provider_id, "prompt": task.prompt, **size, **task.options()}
        body |= {"steps": task.num_inference_steps, **_steps(task.extra)}
        return RequestSpec("POST", "/together/v2/videos", json=body)

    def parse(self, body: Any, content_type: str = "") -> MediaOutput:
        if isinstance(body, Mapping) and "data" in body:
            return parse_openai_images(body, self)
        return self._video(json_object(body, self), "")

    def poll_result(self, body: Any, job: Pending) -> MediaOutput:
        return self._video(json_object(body, self), job.job_id)

    def _video(self, data: Mapping[str, Any], known_id: str) -> MediaOutput:
        job_id = str(data.get("id") or known_id)
        status = str(data.get("status") or "")
        if status == "completed":
            outputs = data.get("outputs")
            url = outputs.get("video_url") if isinstance(outputs, Mapping) else None
            url = url if isinstance(url, str) else None
            return self.finished(url, "completed without outputs.video_url", data)
        if status in _WAITING or not status:  # a missing status is still pending
            if not job_id:
                raise self.malformed("has no video job id", data)
            return Pending(
                job_id, RequestSpec("GET", f"/together/v2/videos/{quote_id(job_id)}"), status
            )
        if status in ("failed", "cancelled", "canceled"):
            error = data.get("error")
            message = error.get("message") if isinstance(error, Mapping) else error
            raise self.failed(job_id, message or "Unknown error")
        raise self.malformed(f"has an unknown status {status!r}", data)


def _steps(extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` with ``num_inference_steps`` renamed to together's ``steps``."""
    out = dict(extra)
    if "num_inference_steps" in out:
        out["steps"] = out.pop("num_inference_steps")
    return out
