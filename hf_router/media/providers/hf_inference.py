"""hf-inference: ``POST /hf-inference/models/{id}`` answered with the raw image bytes."""

from __future__ import annotations

from typing import Any

from ._base import LoraAdapter, MediaBytes, MediaProvider, MediaTask, RequestSpec, compact, path_id

__all__ = ["HFInferenceProvider"]


class HFInferenceProvider(MediaProvider):
    """Hugging Face's own serverless inference (images)."""

    name = "hf-inference"
    kinds = frozenset({"image"})

    def submit(
        self, task: MediaTask, provider_id: str, lora: LoraAdapter | None = None
    ) -> RequestSpec:
        parameters = compact(
            {"width": task.width, "height": task.height, **task.options(), **task.extra}
        )
        return RequestSpec(
            "POST",
            f"/hf-inference/models/{path_id(provider_id)}",
            json={"inputs": task.prompt, "parameters": parameters},
            headers={"Accept": "image/png"},
        )

    def parse(self, body: Any, content_type: str = "") -> MediaBytes:
        if not isinstance(body, bytes) or not body:
            raise self.malformed("is not an image", body)
        mime = content_type.split(";")[0].strip().lower()
        return MediaBytes(body, mime if mime.startswith("image/") else None)
