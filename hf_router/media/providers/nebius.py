"""nebius and nscale: OpenAI-style ``/v1/images/generations`` answered with ``b64_json``."""

from __future__ import annotations

from typing import Any

from ._base import MediaBytes, MediaProvider, MediaTask, MediaURL, RequestSpec, parse_openai_images

__all__ = ["NebiusProvider", "NscaleProvider"]


class NebiusProvider(MediaProvider):
    """Nebius AI Studio (images)."""

    name = "nebius"
    kinds = frozenset({"image"})

    def submit(self, task: MediaTask, provider_id: str) -> RequestSpec:
        body = {
            "prompt": task.prompt,
            "model": provider_id,
            "width": task.width,
            "height": task.height,
            **task.options(),
            "response_format": "b64_json",
            **task.extra,
        }
        return RequestSpec("POST", f"/{self.name}/v1/images/generations", json=body)

    def parse(self, body: Any, content_type: str = "") -> MediaBytes | MediaURL:
        return parse_openai_images(body, self)


class NscaleProvider(NebiusProvider):
    """nscale (images; the same protocol as nebius)."""

    name = "nscale"
