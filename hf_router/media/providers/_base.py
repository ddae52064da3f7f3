"""The media provider interface and its shared data. No I/O happens here.

A provider is one small, stateless class: :meth:`MediaProvider.submit` builds the first
request (a :class:`RequestSpec`) from a :class:`MediaTask`; :meth:`MediaProvider.parse` turns the
answer into an output: :class:`MediaBytes` (the file itself), :class:`MediaURL` (where to fetch
it) or :class:`Pending` (a queued job and the request that polls it); for queued jobs
:meth:`MediaProvider.poll_result` reads each poll answer the same way. The client's engine
(:mod:`hf_router.media._engine`) sends the requests, waits between polls (bounded), and
downloads.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from ..._shared.checks import check_json
from ...errors import GenerationFailedError, InvalidInputError, MalformedResponseError
from ._sizes import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    MAX_SIDE,
    parse_ratio,
    size_for,
    video_size,
)

__all__ = [
    "ASPECT_RATIOS",
    "DEFAULT_ASPECT_RATIO",
    "TASKS",
    "VIDEO_STEPS",
    "Kind",
    "LoraAdapter",
    "MediaBytes",
    "MediaOutput",
    "MediaProvider",
    "MediaTask",
    "MediaURL",
    "Pending",
    "RequestSpec",
    "compact",
    "decode_base64",
    "first_url",
    "json_object",
    "parse_openai_images",
    "path_id",
    "quote_id",
    "size_for",
    "video_size",
]

Kind = Literal["image", "video"]
KINDS: tuple[Kind, ...] = ("image", "video")
TASKS: dict[str, str] = {"image": "text-to-image", "video": "text-to-video"}
"""The Hub mapping task of each kind."""
VIDEO_STEPS = 20
"""``num_inference_steps`` sent with video requests (seed)."""


@dataclass(frozen=True, slots=True)
class LoraAdapter:
    """A LoRA adapter from the Hub mapping (``adapter: "lora"``, ``adapterWeightsPath``): the
    Hub repo that holds it, the weights file inside it and the Hub the files are served from."""

    repo_id: str
    weights_path: str
    hub_url: str = "https://huggingface.co"

    @property
    def weights_url(self) -> str:
        """``{hub}/{repo}/resolve/main/{weights_path}`` (fal-ai's ``loras[].path``)."""
        parts = self.weights_path.split("/")
        if not self.weights_path or any(p in ("", ".", "..") for p in parts):
            raise MalformedResponseError(
                f"The adapterWeightsPath {self.weights_path!r} of {self.repo_id} is not a file path",
                hint="Report the model's mapping on its Hub page, or pick another provider.",
            )
        path = "/".join(quote(p, safe=_SEGMENT_SAFE) for p in parts)
        return f"{self.hub_url.rstrip('/')}/{path_id(self.repo_id)}/resolve/main/{path}"

    @property
    def repo_url(self) -> str:
        """``https://huggingface.co/{repo}`` (replicate's ``lora_weights``; the official clients
        write the public Hub here, not ``HF_ENDPOINT``)."""
        return f"https://huggingface.co/{path_id(self.repo_id)}"

    @classmethod
    def from_mapping(
        cls, repo_id: str, extra: Mapping[str, Any], hub_url: str
    ) -> LoraAdapter | None:
        """The adapter of a mapping entry (its fields beyond provider/providerId/status/task),
        or None: ``adapterWeightsPath`` is required, ``adapter`` must be ``lora`` when given."""
        path, adapter = extra.get("adapterWeightsPath"), extra.get("adapter")
        if not isinstance(path, str) or not path or adapter not in (None, "lora"):
            return None
        return cls(repo_id, path, hub_url)


def _side(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 16 <= value <= MAX_SIDE:
        raise InvalidInputError(
            f"{name}={value!r} is not a usable size: pass a whole number of pixels between 16 "
            f"and {MAX_SIDE} (multiples of 16 work with every provider), or leave it out"
        )
    return value


@dataclass(frozen=True, slots=True)
class MediaTask:
    """What to generate, with every default resolved (build it with :meth:`build`)."""

    kind: Kind
    prompt: str
    width: int
    height: int
    aspect_ratio: str
    resolution: str | None = None
    seed: int | None = None
    negative_prompt: str | None = None
    num_inference_steps: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        kind: str,
        prompt: str,
        *,
        aspect_ratio: str | None = None,
        width: int | None = None,
        height: int | None = None,
        resolution: str | None = "480p",
        seed: int | None = None,
        negative_prompt: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> MediaTask:
        """Validate the arguments (:class:`InvalidInputError` saying what to pass instead) and
        apply the seed's defaults: aspect ratio 1:1 for images and 16:9 for video, the size
        from the aspect ratio unless given (for video from ``resolution`` and the aspect
        ratio, :func:`video_size`), and for video ``num_inference_steps`` 20."""
        if kind not in KINDS:
            raise InvalidInputError(f"kind={kind!r} is not supported: pass 'image' or 'video'")
        if prompt is not None and not isinstance(prompt, str):
            raise InvalidInputError(
                f"prompt must be a string describing what to generate, not {type(prompt).__name__}"
            )
        if not prompt or not prompt.strip():
            raise InvalidInputError(
                "The prompt is empty: pass a text that describes what to generate, "
                "e.g. prompt='a red fox in the snow'"
            )
        ratio = "{}:{}".format(
            *parse_ratio(DEFAULT_ASPECT_RATIO[kind] if aspect_ratio is None else aspect_ratio)
        )
        if resolution is not None and (not isinstance(resolution, str) or not resolution.strip()):
            raise InvalidInputError(f"resolution={resolution!r}: pass e.g. '480p' or '720p'")
        if kind == "video":  # the frame size the resolution names, not the image table
            base_w, base_h = video_size(resolution, ratio)
        else:
            base_w, base_h = size_for(ratio, kind)  # type: ignore[arg-type]
        w, h = _side("width", width), _side("height", height)
        if w is None and h is None:
            w, h = base_w, base_h
        elif w is None:
            w = max(16, round(h * base_w / base_h / 16) * 16)  # type: ignore[operator]
        elif h is None:
            h = max(16, round(w * base_h / base_w / 16) * 16)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise InvalidInputError(f"seed={seed!r} must be a whole number >= 0, or None")
        if negative_prompt is not None and not isinstance(negative_prompt, str):
            raise InvalidInputError("negative_prompt must be a string, or None")
        if extra is not None and (
            not isinstance(extra, Mapping) or not all(isinstance(k, str) for k in extra)
        ):
            raise InvalidInputError("extra_data must be a dict with string keys, or None")
        check_json(extra, "extra_data")
        return cls(
            kind=kind,  # type: ignore[arg-type]
            prompt=prompt,
            width=w,  # type: ignore[arg-type]
            height=h,  # type: ignore[arg-type]
            aspect_ratio=ratio,
            resolution=(resolution or "480p") if kind == "video" else None,
            seed=seed,
            negative_prompt=negative_prompt or None,
            num_inference_steps=VIDEO_STEPS if kind == "video" else None,
            extra=dict(extra or {}),
        )

    def options(self) -> dict[str, Any]:
        """``seed`` and ``negative_prompt`` when set (every provider takes these two)."""
        return compact({"seed": self.seed, "negative_prompt": self.negative_prompt})

    def video_options(self) -> dict[str, Any]:
        """``aspect_ratio``, ``resolution`` and ``num_inference_steps`` (seed video defaults)."""
        return compact(
            {
                "aspect_ratio": self.aspect_ratio,
                "resolution": self.resolution,
                "num_inference_steps": self.num_inference_steps,
            }
        )


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """One HTTP request to make: ``path`` is relative to the router root (``/fal-ai/...``,
    query string included) or an absolute URL (the client only sends those to the router)."""

    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MediaBytes:
    """The generated file itself (``mime`` as the server declared it, if it did)."""

    data: bytes = field(repr=False)
    mime: str | None = None

    def __repr__(self) -> str:
        return f"MediaBytes(<{len(self.data)} bytes>, mime={self.mime!r})"


@dataclass(frozen=True, slots=True)
class MediaURL:
    """Where the generated file can be fetched (``https:``, ``data:`` or a router URL), with
    the size the provider reported, if any."""

    url: str
    width: int | None = None
    height: int | None = None

    def __repr__(self) -> str:
        shown = self.url if len(self.url) <= 80 else self.url[:77] + "..."
        return f"MediaURL({shown!r})"


@dataclass(frozen=True, slots=True)
class Pending:
    """A queued job: ``poll`` asks how it is going (after waiting, unless ``wait`` is False);
    ``result`` is the request that fetches the output once the job is done (fal-ai)."""

    job_id: str
    poll: RequestSpec
    status: str = ""
    wait: bool = True
    result: RequestSpec | None = None


MediaOutput = MediaBytes | MediaURL | Pending


class MediaProvider:
    """One inference provider's media protocol. Subclasses set :attr:`name` and
    :attr:`kinds` and override :meth:`submit` and :meth:`parse` (and :meth:`poll_result` when
    the poll answers differ from the submit answer). Stateless and pure: never does I/O."""

    name: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = frozenset({"image"})

    def supports(self, kind: str) -> bool:
        """True when this provider can make ``kind`` (``image`` or ``video``)."""
        return kind in self.kinds

    def submit(
        self, task: MediaTask, provider_id: str, lora: LoraAdapter | None = None
    ) -> RequestSpec:
        """The request that starts the generation (with the mapping's LoRA adapter, if any,
        for the providers that take one). Override this."""
        raise NotImplementedError

    def parse(self, body: Any, content_type: str = "") -> MediaOutput:
        """The submit answer (parsed JSON, or bytes when it was not JSON). Override this."""
        raise NotImplementedError

    def poll_result(self, body: Any, job: Pending) -> MediaOutput:
        """A poll answer for ``job``; by default read like the submit answer."""
        return self.parse(body, "application/json")

    # -- helpers for subclasses ---------------------------------------------------------
    def failed(self, job_id: str | None, reason: Any) -> GenerationFailedError:
        """The error for a job that ended in a failed state."""
        why = f": {_preview(reason, 300)}" if reason else ""
        return GenerationFailedError(
            f"The {self.name} job {job_id!r} failed{why}", job_id=job_id, provider=self.name
        )

    def finished(self, url: str | None, what: str, body: Any = None) -> MediaURL:
        """The output of a job that reports itself done: ``url``, or when there is none the
        :meth:`malformed` error for the answer ``body`` (``what`` says what it lacks)."""
        if url:
            return MediaURL(url)
        raise self.malformed(what, body)

    def malformed(self, what: str, body: Any = None) -> MalformedResponseError:
        """The error for an answer that does not follow the provider's protocol."""
        shown = f" (got {_preview(body, 200)!r})" if body is not None else ""
        return MalformedResponseError(
            f"The {self.name} answer {what}{shown}",
            provider=self.name,
            hint="The provider's media protocol may have changed; retry or pick another provider.",
        )


# -- pure helpers -------------------------------------------------------------------------
def _preview(value: Any, limit: int) -> str:
    """The start of ``str(value)``; a value nested too deeply to show says so."""
    try:
        return str(value)[:limit]
    except RecursionError:
        return "(a value nested too deeply to show)"


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the None entries."""
    return {k: v for k, v in values.items() if v is not None}


_SEGMENT_SAFE = "-._~:@+,=!"


def path_id(provider_id: str) -> str:
    """A provider's model id (``fal-ai/flux/dev``) as URL path segments, each quoted; empty,
    ``.`` and ``..`` segments are refused so that a mapping cannot redirect the request."""
    parts = provider_id.split("/") if isinstance(provider_id, str) else []
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise MalformedResponseError(
            f"The provider model id {provider_id!r} from the Hub mapping is not a safe path",
            hint="Report the model's mapping on its Hub page, or pick another provider.",
        )
    return "/".join(quote(p, safe=_SEGMENT_SAFE) for p in parts)


def quote_id(job_id: str) -> str:
    """A server-assigned job id as one quoted URL path segment."""
    if not job_id or job_id in (".", ".."):
        raise MalformedResponseError(f"The job id {job_id!r} is not usable")
    return quote(job_id, safe="-._~")


def json_object(body: Any, provider: MediaProvider) -> Mapping[str, Any]:
    """``body`` when it is a JSON object, else a :class:`MalformedResponseError`."""
    if not isinstance(body, Mapping):
        raise provider.malformed(
            "is not a JSON object", body if not isinstance(body, bytes) else None
        )
    return body


def first_url(value: Any) -> str | None:
    """A URL given as a string or as the first string of a list."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, Mapping):
        value = value.get("url")
    return value if isinstance(value, str) and value else None


def decode_base64(value: str) -> tuple[bytes, str | None]:
    """Decode plain base64 or a ``data:`` URI; returns the bytes and the declared MIME type."""
    mime = None
    if value.startswith("data:"):
        header, sep, value = value[5:].partition(",")
        if not sep or not header.endswith(";base64"):
            raise MalformedResponseError("A data: URI is not base64-encoded")
        mime = header[: -len(";base64")].split(";")[0].strip().lower() or None
    try:
        return base64.b64decode("".join(value.split()), validate=True), mime
    except (binascii.Error, ValueError):
        raise MalformedResponseError("Generated media was not valid base64") from None


def parse_openai_images(body: Any, provider: MediaProvider) -> MediaBytes | MediaURL:
    """An OpenAI-style images answer ``{"data": [{"b64_json"} | {"url"}]}``."""
    data = json_object(body, provider).get("data")
    item = data[0] if isinstance(data, list) and data else None
    if isinstance(item, Mapping):
        if isinstance(item.get("b64_json"), str):
            raw, mime = decode_base64(item["b64_json"])
            return MediaBytes(raw, mime)
        if isinstance(item.get("url"), str):
            return MediaURL(item["url"])
    raise provider.malformed("has no data[0].b64_json image", body)
