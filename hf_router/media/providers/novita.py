"""novita: video through ``/v3/async/{id}`` (a task id back), polled at
``/v3/async/task-result?task_id=...``. No aspect_ratio/resolution is sent (seed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ._base import (
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

_WAITING = frozenset({"TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING"})


class NovitaProvider(MediaProvider):
    """Novita AI (video)."""

    name = "novita"
    kinds = frozenset({"video"})

    def submit(self, task: MediaTask, provider_id: str) -> RequestSpec:
        body = {"prompt": task.prompt, "width": task.width, "height": task.height}
        body |= {**task.options(), "steps": task.num_inference_steps, **task.extra}
        return RequestSpec("POST", f"/novita/v3/async/{path_id(provider_id)}", json=body)

    def parse(self, body: Any, content_type: str = "") -> MediaOutput:
        job_id = json_object(body, self).get("task_id")
        if not isinstance(job_id, str) or not job_id:
            raise self.malformed("has no task_id", body)
        return self._pending(job_id, "")

    def poll_result(self, body: Any, job: Pending) -> MediaOutput:
        data = json_object(body, self)
        task = data.get("task") if isinstance(data.get("task"), Mapping) else {}
        status = str(task.get("status") or "")
        if status == "TASK_STATUS_SUCCEED":
            videos = data.get("videos") or []
            url = first_url([v.get("video_url") for v in videos if isinstance(v, Mapping)])
            return self.finished(url, "succeeded without videos[0].video_url", body)
        if status in _WAITING:
            return self._pending(job.job_id, status)
        if status == "TASK_STATUS_FAILED":
            raise self.failed(job.job_id, task.get("reason") or status)
        raise self.malformed(f"has an unknown task status {status!r}", body)

    def _pending(self, job_id: str, status: str) -> Pending:
        path = f"/novita/v3/async/task-result?task_id={quote(job_id, safe='')}"
        return Pending(job_id, RequestSpec("GET", path), status)
