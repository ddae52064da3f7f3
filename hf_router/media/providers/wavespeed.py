"""wavespeed: ``/api/v3/{id}`` submits (``size`` ``W*H`` for images), polled at
``/api/v3/predictions/{id}/result`` until ``completed``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import (
    MediaOutput,
    MediaProvider,
    MediaTask,
    Pending,
    RequestSpec,
    first_url,
    json_object,
    path_id,
    quote_id,
)

__all__ = ["WavespeedProvider"]

_WAITING = frozenset({"created", "processing"})


class WavespeedProvider(MediaProvider):
    """WaveSpeedAI (images and video)."""

    name = "wavespeed"
    kinds = frozenset({"image", "video"})

    def submit(self, task: MediaTask, provider_id: str) -> RequestSpec:
        if task.kind == "image":
            shape = {"size": f"{task.width}*{task.height}"}
        else:
            shape = task.video_options()
        body = {"prompt": task.prompt, **shape, **task.options(), **task.extra}
        return RequestSpec("POST", f"/wavespeed/api/v3/{path_id(provider_id)}", json=body)

    def parse(self, body: Any, content_type: str = "") -> MediaOutput:
        envelope = json_object(body, self)
        code = envelope.get("code")
        data = envelope.get("data")
        if code not in (None, 200) or not isinstance(data, Mapping):
            raise self.failed(None, envelope.get("message") or f"code {code}")
        job_id = str(data.get("id") or "")
        status = str(data.get("status") or "")
        if status == "completed":
            return self.finished(first_url(data.get("outputs")), "completed without outputs", body)
        if status in _WAITING:
            poll = RequestSpec("GET", f"/wavespeed/api/v3/predictions/{quote_id(job_id)}/result")
            return Pending(job_id, poll, status)
        if status == "failed":
            raise self.failed(job_id, data.get("error") or status)
        raise self.malformed(f"has an unknown status {status!r}", body)
