"""novita: video through ``/v3/async/{id}`` (a task id back), polled at
``/v3/async/task-result?task_id=...`` (huggingface.js ``novita.ts``). A synchronous answer
``{"video": {"video_url"}}`` to the submit (the shape of huggingface_hub's ``/v3/hf/{id}``
route) is taken as the finished video. Width and height come from the resolution and aspect
ratio; no aspect_ratio/resolution is sent (seed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ._base import (
    LoraAdapter,
    MediaOutput,
    MediaProvider,
    MediaTask,
    Pending,
    RequestSpec,
    first_url,
    json_object,
    path_id,
)

__all__ = ["NovitaProvider"]

SUCCEEDED, FAILED = "TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"


class NovitaProvider(MediaProvider):
    """Novita AI (video)."""

    name = "novita"
    kinds = frozenset({"video"})

    def submit(
        self, task: MediaTask, provider_id: str, lora: LoraAdapter | None = None
    ) -> RequestSpec:
        body = {"prompt": task.prompt, "width": task.width, "height": task.height}
        body |= {**task.options(), "steps": task.num_inference_steps, **task.extra}
        if "num_inference_steps" in body:  # novita calls it steps (huggingface.js)
            body["steps"] = body.pop("num_inference_steps")
        return RequestSpec("POST", f"/novita/v3/async/{path_id(provider_id)}", json=body)

    def parse(self, body: Any, content_type: str = "") -> MediaOutput:
        data = json_object(body, self)
        video = data.get("video")
        if isinstance(video, Mapping):  # answered at once: {"video": {"video_url": ...}}
            url = first_url(video.get("video_url"))
            return self.finished(url, "has a video without a video_url", body)
        job_id = data.get("task_id")
        if not isinstance(job_id, str) or not job_id:
            raise self.malformed("has neither a task_id nor a video.video_url", body)
        return self._pending(job_id, "")

    def poll_result(self, body: Any, job: Pending) -> MediaOutput:
        data = json_object(body, self)
        task = data.get("task")
        if not isinstance(task, Mapping):
            raise self.malformed("has no task object", body)
        status = str(task.get("status") or "")
        if status == SUCCEEDED:
            videos = data.get("videos") or []
            url = first_url([v.get("video_url") for v in videos if isinstance(v, Mapping)])
            return self.finished(url, "succeeded without videos[0].video_url", body)
        if status == FAILED:
            raise self.failed(job.job_id, task.get("reason") or status)
        # queued, processing or any other non-final status: poll again (huggingface.js).
        return self._pending(job.job_id, status)

    def _pending(self, job_id: str, status: str) -> Pending:
        path = f"/novita/v3/async/task-result?task_id={quote(job_id, safe='')}"
        return Pending(job_id, RequestSpec("GET", path), status)
