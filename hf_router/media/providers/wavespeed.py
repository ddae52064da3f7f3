"""wavespeed: ``/api/v3/{id}`` submits (``size`` ``W*H`` for images), polled at the path of
the answer's ``data.urls.get`` (``/api/v3/predictions/{id}/result``) until ``completed``
(huggingface_hub ``wavespeed.py``, huggingface.js ``wavespeed.ts``). A LoRA adapter goes as
``loras: [{"path": repo, "scale": 1}]`` (huggingface.js; huggingface_hub sends none)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

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
    quote_id,
)

__all__ = ["WavespeedProvider"]

_WAITING = frozenset({"created", "processing"})


class WavespeedProvider(MediaProvider):
    """WaveSpeedAI (images and video)."""

    name = "wavespeed"
    kinds = frozenset({"image", "video"})

    def submit(
        self, task: MediaTask, provider_id: str, lora: LoraAdapter | None = None
    ) -> RequestSpec:
        if task.kind == "image":
            shape = {"size": f"{task.width}*{task.height}"}
        else:
            shape = task.video_options()
        adapter = {"loras": [{"path": lora.repo_id, "scale": 1}]} if lora else {}
        body = {"prompt": task.prompt, **shape, **task.options(), **adapter, **task.extra}
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
            return Pending(job_id, RequestSpec("GET", self._poll_path(data, job_id)), status)
        if status == "failed":
            raise self.failed(job_id, data.get("error") or status)
        raise self.malformed(f"has an unknown status {status!r}", body)

    def _poll_path(self, data: Mapping[str, Any], job_id: str) -> str:
        """``/wavespeed`` + the path of ``data.urls.get``, as the official clients poll; the
        job's result path when the answer has none."""
        urls = data.get("urls")
        get = urls.get("get") if isinstance(urls, Mapping) else None
        path = urlsplit(get).path if isinstance(get, str) else ""
        if not path:
            return f"/wavespeed/api/v3/predictions/{quote_id(job_id)}/result"
        return "/wavespeed/" + path_id(path.strip("/"))
