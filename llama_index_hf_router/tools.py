"""Image and video generation as LlamaIndex tools (a ``BaseToolSpec``).

:class:`HFMediaToolSpec` turns :class:`hf_router.MediaClient` into two ``FunctionTool``\\ s,
``generate_image`` and ``generate_video``, each with a native async twin::

    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index_hf_router import HFMediaToolSpec

    tools = HFMediaToolSpec(output_dir="media").to_tool_list()  # token from HF_TOKEN
    agent = FunctionAgent(tools=tools, llm=llm)

A tool call returns a :class:`MediaToolOutput`: its text (what the agent reads) names the saved
files and the provider that made them; the ``MediaResult`` list is on ``.results`` (and so on
``ToolOutput.raw_output.results``). Errors are the core's typed errors
(:mod:`hf_router.errors`), raised; agents turn them into error tool outputs with the message.
"""

# No `from __future__ import annotations` here: LlamaIndex reads the tool functions' signatures.
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.tools import FunctionTool, ToolMetadata
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec

from hf_router import Fallback, MediaClient, MediaResult, ProviderInfo
from hf_router.errors import InvalidInputError

__all__ = ["DEFAULT_IMAGE_MODEL", "DEFAULT_VIDEO_MODEL", "HFMediaToolSpec", "MediaToolOutput"]

DEFAULT_IMAGE_MODEL = "black-forest-labs/FLUX.1-dev"
DEFAULT_VIDEO_MODEL = "Wan-AI/Wan2.1-T2V-14B"

AspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9"]
MediaKind = Literal["image", "video"]


@dataclass(frozen=True)
class MediaToolOutput:
    """What a media tool returns: ``str()`` is the short text for the agent; ``results`` holds
    the core's :class:`hf_router.MediaResult` objects (path, url, mime type, size, provider) and
    ``fallbacks`` the providers skipped on the way."""

    text: str
    results: list[MediaResult] = field(default_factory=list)
    fallbacks: list[Fallback] = field(default_factory=list)

    def __str__(self) -> str:
        return self.text

    @property
    def paths(self) -> list[str]:
        """The saved files' paths."""
        return [r.path for r in self.results if r.path]


class _MediaInput(BaseModel):
    """Arguments of the media tools (the JSON schema the agent's LLM sees)."""

    prompt: str = Field(
        description=(
            "A detailed, self-contained visual description in English: subject, setting, style, "
            "lighting, camera. Do not refer to earlier messages."
        )
    )
    aspect_ratio: AspectRatio | None = Field(
        default=None,
        description=(
            "Width:height of the result. Default 1:1 for images and 16:9 for videos; use 9:16 "
            "for portrait/phone, 16:9 for landscape/widescreen."
        ),
    )
    n: int = Field(default=1, ge=1, le=4, description="How many to generate (1-4).")
    model: str | None = Field(
        default=None,
        description=(
            "A Hugging Face model id (optionally 'model:provider'); leave empty to use the "
            "configured default."
        ),
    )


class ImageToolInput(_MediaInput):
    """Arguments of ``generate_image``."""


class VideoToolInput(_MediaInput):
    """Arguments of ``generate_video``."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _describe(
    kind: MediaKind,
    model: str,
    results: list[MediaResult],
    fallbacks: list[Fallback],
    provider_info: ProviderInfo | None,
) -> str:
    """The agent-facing summary: what was made, by whom, where it is."""
    providers = list(dict.fromkeys(r.provider for r in results if r.provider))
    if not providers and provider_info is not None and provider_info.provider:
        providers = [provider_info.provider]
    by = f" via provider {', '.join(providers)}" if providers else ""
    if not results:
        return f"No {kind} was generated with {model}{by}."
    lines = [
        f"Generated {_plural(len(results), kind)} with {model}{by}.",
        "Saved to: " + ", ".join(r.path or r.url or "(no file)" for r in results),
    ]
    if fallbacks:
        lines.append("Skipped: " + "; ".join(_skipped(f) for f in fallbacks))
    return "\n".join(lines)


def _skipped(fallback: Fallback) -> str:
    status = f", HTTP {fallback.status_code}" if fallback.status_code is not None else ""
    return f"{fallback.provider or fallback.model} ({fallback.error_type}{status})"


class _Collector:
    """Folds the core's media event stream into a :class:`MediaToolOutput`."""

    def __init__(self, kind: MediaKind, model: str) -> None:
        self.kind = kind
        self.model = model
        self.results: list[MediaResult] = []
        self.fallbacks: list[Fallback] = []
        self.provider_info: ProviderInfo | None = None

    def add(self, event: object) -> None:
        if isinstance(event, MediaResult):
            self.results.append(event)
        elif isinstance(event, Fallback):
            self.fallbacks.append(event)
        elif isinstance(event, ProviderInfo):
            self.provider_info = event
        # Status events (progress) are not needed by an agent.

    def output(self) -> MediaToolOutput:
        text = _describe(self.kind, self.model, self.results, self.fallbacks, self.provider_info)
        return MediaToolOutput(text=text, results=self.results, fallbacks=self.fallbacks)


class HFMediaToolSpec(BaseToolSpec):
    """Image and video generation through Hugging Face Inference Providers, as agent tools.

    ``to_tool_list()`` gives ``generate_image`` and ``generate_video``; their ``call`` is
    synchronous and their ``acall`` natively async. Generated files are saved under
    ``output_dir``. A provider that answers 400/401/402 is skipped and the next one is tried.

    Args:
        api_key: Hugging Face token; default ``HF_TOKEN`` (then ``HUGGING_FACE_HUB_TOKEN``, then
            the huggingface-cli login file). Never shown in ``repr``.
        base_url: The router's root URL; default ``HF_ROUTER_BASE_URL`` or the router.
        hub_url: The Hub's URL (provider mappings); default ``HF_ENDPOINT`` or huggingface.co.
        output_dir: Where files are saved; default a per-user cache directory.
        image_model: Model used by ``generate_image`` when the call names none.
        video_model: Model used by ``generate_video`` when the call names none.
        provider: Pin an inference provider (unless the call's model names one).
        poll_timeout: Seconds to wait for a queued job (video) before giving up.
        poll_interval: Seconds between two polls of a queued job.
        timeout: Seconds for each HTTP request.
        bill_to: Organisation to bill (``X-HF-Bill-To``).
        client: An existing :class:`hf_router.MediaClient` to use instead; the connection
            arguments above are then ignored.
    """

    spec_functions: list[SPEC_FUNCTION_TYPE] = [  # noqa: RUF012 - BaseToolSpec's declared form
        ("generate_image", "agenerate_image"),
        ("generate_video", "agenerate_video"),
    ]

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        hub_url: str | None = None,
        output_dir: str | Path | None = None,
        image_model: str = DEFAULT_IMAGE_MODEL,
        video_model: str = DEFAULT_VIDEO_MODEL,
        provider: str | None = None,
        poll_timeout: float = 600.0,
        poll_interval: float = 1.0,
        timeout: float = 120.0,
        bill_to: str | None = None,
        client: MediaClient | None = None,
    ) -> None:
        for name, value in (("image_model", image_model), ("video_model", video_model)):
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(f"{name}={value!r} must be a model id such as 'org/name'")
        if client is not None and not isinstance(client, MediaClient):
            raise InvalidInputError("client must be a hf_router.MediaClient, or None")
        self.image_model = image_model
        self.video_model = video_model
        self.provider = provider
        self.output_dir = output_dir
        self._owns_client = client is None
        self._client = client or MediaClient(
            api_key,
            base_url=base_url,
            hub_url=hub_url,
            timeout=timeout,
            output_dir=output_dir,
            poll_timeout=poll_timeout,
            poll_interval=poll_interval,
            bill_to=bill_to,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(
            "HFMediaToolSpec cannot be pickled: it holds a secret and live connections, which never"
            " leave the process. Build it inside the worker (a Ray actor's __init__, a multiprocessing initializer), where "
            "HFMediaToolSpec() reads HF_TOKEN."
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(image_model={self.image_model!r}, "
            f"video_model={self.video_model!r}, provider={self.provider!r}, "
            f"output_dir={str(self.output_dir) if self.output_dir else None!r})"
        )

    @property
    def client(self) -> MediaClient:
        """The underlying :class:`hf_router.MediaClient`."""
        return self._client

    # -- tools -------------------------------------------------------------------------------

    def generate_image(
        self,
        prompt: str,
        aspect_ratio: AspectRatio | None = None,
        n: int = 1,
        model: str | None = None,
    ) -> MediaToolOutput:
        """Draw images from a text description and save them as files.

        Use this when the user asks for a picture, drawing, illustration, photo, logo or any other
        still image. Write the prompt as a detailed visual description. Returns the paths of the
        saved image files and the provider that made them; tell the user where the files are.
        """
        return self._run("image", prompt, aspect_ratio, n, model)

    async def agenerate_image(
        self,
        prompt: str,
        aspect_ratio: AspectRatio | None = None,
        n: int = 1,
        model: str | None = None,
    ) -> MediaToolOutput:
        """Async :meth:`generate_image`."""
        return await self._arun("image", prompt, aspect_ratio, n, model)

    def generate_video(
        self,
        prompt: str,
        aspect_ratio: AspectRatio | None = None,
        n: int = 1,
        model: str | None = None,
    ) -> MediaToolOutput:
        """Make short video clips (a few seconds) from a text description and save them as files.

        Use this only when the user asks for a video, clip or animation; it is slow (often
        minutes). Write the prompt as a detailed description of the scene and its motion. Returns
        the paths of the saved video files and the provider that made them.
        """
        return self._run("video", prompt, aspect_ratio, n, model)

    async def agenerate_video(
        self,
        prompt: str,
        aspect_ratio: AspectRatio | None = None,
        n: int = 1,
        model: str | None = None,
    ) -> MediaToolOutput:
        """Async :meth:`generate_video`."""
        return await self._arun("video", prompt, aspect_ratio, n, model)

    # -- LlamaIndex plumbing -----------------------------------------------------------------

    def tool_metadata(self) -> dict[str, ToolMetadata]:
        """Tool metadata by spec function name: agent-facing descriptions and explicit argument
        schemas (with the aspect ratios allowed and the range of ``n``)."""
        image = ToolMetadata(
            name="generate_image",
            description=_doc(self.generate_image),
            fn_schema=ImageToolInput,
        )
        video = ToolMetadata(
            name="generate_video",
            description=_doc(self.generate_video),
            fn_schema=VideoToolInput,
        )
        return {
            "generate_image": image,
            "agenerate_image": image,
            "generate_video": video,
            "agenerate_video": video,
        }

    def to_tool_list(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """The ``FunctionTool``\\ s (sync ``call``, native async ``acall``), with this spec's
        metadata unless ``func_to_metadata_mapping`` overrides it."""
        mapping = {**self.tool_metadata(), **(func_to_metadata_mapping or {})}
        return super().to_tool_list(spec_functions, mapping)

    def _start(
        self, kind: MediaKind, prompt: str, aspect_ratio: str | None, n: int, model: str | None
    ) -> tuple[dict[str, Any], _Collector]:
        """The core call's arguments (the call's model, else this spec's default for ``kind``;
        the pinned provider unless the model names one) and the collector for its events."""
        model_id = model or (self.image_model if kind == "image" else self.video_model)
        provider = None if ":" in model_id else self.provider
        request = {
            "kind": kind,
            "model": model_id,
            "prompt": prompt,
            "n": n,
            "aspect_ratio": aspect_ratio,
            "provider": provider,
        }
        return request, _Collector(kind, model_id)

    def _run(
        self, kind: MediaKind, prompt: str, aspect_ratio: str | None, n: int, model: str | None
    ) -> MediaToolOutput:
        request, collector = self._start(kind, prompt, aspect_ratio, n, model)
        for event in self._client.stream_media(**request):
            collector.add(event)
        return collector.output()

    async def _arun(
        self, kind: MediaKind, prompt: str, aspect_ratio: str | None, n: int, model: str | None
    ) -> MediaToolOutput:
        request, collector = self._start(kind, prompt, aspect_ratio, n, model)
        async for event in self._client.astream_media(**request):
            collector.add(event)
        return collector.output()

    def close(self) -> None:
        """Close the media client's sync resources if this spec created it (after sync use;
        after async use call :meth:`aclose`, which closes everything)."""
        if self._owns_client:
            self._client.close()

    async def aclose(self) -> None:
        """Close all of the media client's resources if this spec created it."""
        if self._owns_client:
            await self._client.aclose()


def _doc(fn: Any) -> str:
    """A function's docstring, dedented, as a tool description."""
    return inspect.getdoc(fn) or fn.__name__
