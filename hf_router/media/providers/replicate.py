"""replicate: ``Prefer: wait`` predictions; ``output`` is a URL or a list of URLs (taken as
soon as it is there, as recorded traffic shows it while still ``processing``), polled through
``/replicate/v1/predictions/{id}`` while ``starting``/``processing`` without output (the
official clients give up on a null output instead). A LoRA adapter of an image model goes as
``input.lora_weights: "https://huggingface.co/{repo}"`` (huggingface_hub ``replicate.py``)."""

from __future__ import annotations

from typing import Any

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

__all__ = ["ReplicateProvider"]

_WAITING = frozenset({"starting", "processing"})


class ReplicateProvider(MediaProvider):
    """Replicate (images and video). ``owner/name:HASH`` ids run a pinned version."""

    name = "replicate"
    kinds = frozenset({"image", "video"})

    def submit(
        self, task: MediaTask, provider_id: str, lora: LoraAdapter | None = None
    ) -> RequestSpec:
        size = (
            {"width": task.width, "height": task.height}
            if task.kind == "image"
            else task.video_options()
        )
        adapter = {"lora_weights": lora.repo_url} if lora and task.kind == "image" else {}
        body: dict[str, Any] = {
            "input": {"prompt": task.prompt, **size, **task.options(), **adapter, **task.extra}
        }
        model, _, version = provider_id.partition(":")
        headers = {"Prefer": "wait"}
        if version:
            body["version"] = version
            return RequestSpec("POST", "/replicate/v1/predictions", json=body, headers=headers)
        path = f"/replicate/v1/models/{path_id(model)}/predictions"
        return RequestSpec("POST", path, json=body, headers=headers)

    def parse(self, body: Any, content_type: str = "") -> MediaOutput:
        data = json_object(body, self)
        job_id = str(data.get("id") or "")
        status = str(data.get("status") or "")
        url = first_url(data.get("output"))
        if status in ("failed", "canceled"):
            raise self.failed(job_id, data.get("error") or status)
        if url:  # with Prefer: wait the output may come while still "processing"
            return MediaURL(url)
        if status == "succeeded":
            raise self.malformed("succeeded without an output URL", body)
        if status in _WAITING:
            poll = RequestSpec("GET", f"/replicate/v1/predictions/{quote_id(job_id)}")
            return Pending(job_id, poll, status=status)
        raise self.malformed(f"has an unknown status {status!r}", body)
