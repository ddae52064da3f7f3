"""nscale: OpenAI-style ``/v1/images/generations`` with ``size: "WxH"``, answered with
``b64_json`` (huggingface_hub ``nscale.py``)."""

from __future__ import annotations

from typing import Any

from ._base import (
    LoraAdapter,
    MediaBytes,
    MediaProvider,
    MediaTask,
    MediaURL,
    RequestSpec,
    parse_openai_images,
)

__all__ = ["NscaleProvider"]

DROPPED = ("num_inference_steps", "cfg_scale")
"""Parameters nscale does not take; huggingface_hub removes them from the payload."""


class NscaleProvider(MediaProvider):
    """nscale (images)."""

    name = "nscale"
    kinds = frozenset({"image"})

    def submit(
        self, task: MediaTask, provider_id: str, lora: LoraAdapter | None = None
    ) -> RequestSpec:
        body = {
            "response_format": "b64_json",
            "prompt": task.prompt,
            "model": provider_id,
            "size": f"{task.width}x{task.height}",
            **task.options(),
            **task.extra,
        }
        for key in DROPPED:
            body.pop(key, None)
        return RequestSpec("POST", "/nscale/v1/images/generations", json=body)

    def parse(self, body: Any, content_type: str = "") -> MediaBytes | MediaURL:
        return parse_openai_images(body, self)
