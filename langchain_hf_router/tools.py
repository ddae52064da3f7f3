"""``HFMediaTool``: image and video generation through Hugging Face Inference Providers.

A thin LangChain ``BaseTool`` over :class:`hf_router.MediaClient`: the tool declares its fields,
builds one client, and translates the core's events (``Status``, ``Fallback``, ``ProviderInfo``,
``MediaResult``) into a ``(content, artifact)`` pair and callback events. It knows no provider.

Error policy: every :class:`hf_router.errors.HFRouterError` raised while generating is re-raised
as a :class:`~langchain_core.tools.ToolException` with the error's message (the original error is
its ``__cause__``). With LangChain's default ``handle_tool_error=False`` the ``ToolException``
propagates (LangGraph's ``ToolNode`` handles it); pass ``handle_tool_error=True`` to hand the
message to the model as the tool's (error) result instead. Configuration errors at construction
(for example no token anywhere) are raised as the core's typed errors.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import aclosing, closing, contextmanager
from typing import Any, Literal

from langchain_core.callbacks import (
    AsyncCallbackManagerForToolRun,
    CallbackManagerForToolRun,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, ToolException
from langchain_core.utils import secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

from hf_router import Fallback, MediaClient, MediaResult, ProviderInfo, Status
from hf_router.errors import HFRouterError, InvalidInputError

from ._run import validated_init

__all__ = ["MEDIA_STATUS_EVENT", "HFMediaInput", "HFMediaTool"]

MEDIA_STATUS_EVENT = "hf_router_media_status"
"""Name of the custom callback event carrying ``{"label", "text", "elapsed_s"}`` progress."""

_DESCRIPTION = (
    "Generate images or short videos from a text prompt with Hugging Face Inference Providers. "
    "Input: a detailed visual description in `prompt`; `kind` is 'image' (default) or 'video'; "
    "optional `aspect_ratio` such as '1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '21:9'; "
    "`n` (1-4) how many to make. Returns where the files were saved and which provider made them. "
    "Video generation can take minutes; ask for a video only when the user wants one."
)


class HFMediaInput(BaseModel):
    """Arguments of :class:`HFMediaTool` (what the model fills in)."""

    prompt: str = Field(description="A detailed description of the image or video to generate.")
    kind: Literal["image", "video"] = Field(
        default="image", description="'image' for a picture, 'video' for a short clip."
    )
    aspect_ratio: str | None = Field(
        default=None,
        description="Aspect ratio as 'W:H', e.g. '1:1', '16:9', '9:16', '4:3' (default: 1:1 "
        "for images, 16:9 for videos).",
    )
    n: int = Field(default=1, ge=1, le=4, description="How many images or videos to make (1-4).")
    model: str | None = Field(
        default=None,
        description="A Hugging Face model id (optionally 'model:provider'); leave empty for "
        "the default model.",
    )


class HFMediaTool(BaseTool):
    """Generate images or videos with Hugging Face Inference Providers, as a LangChain tool.

    ``response_format="content_and_artifact"``: invoked with a ``ToolCall`` it returns a
    ``ToolMessage`` whose ``content`` names the saved files and the provider that made them, and
    whose ``artifact`` is the list of ``MediaResult`` dicts (``kind``, ``path``, ``url``,
    ``mime_type``, ``width``, ``height``, ``provider``, ``prompt``). Providers that are out of
    credits or refuse the model are skipped by the core; the content says so.

    Progress while waiting goes to the run's callbacks: ``on_text`` lines and the custom event
    ``hf_router_media_status`` (``{"label", "text", "elapsed_s"}``), at least once a second.

    Example:
        ```python
        from langchain_hf_router import HFMediaTool

        tool = HFMediaTool(output_dir="media")  # token from HF_TOKEN
        msg = tool.invoke(
            {"name": "hf_media_generation", "args": {"prompt": "a red fox"}, "id": "1",
             "type": "tool_call"}
        )
        msg.content   # "Saved 1 image to media/....png (made by fal-ai with ...)."
        msg.artifact  # [{"kind": "image", "path": "media/....png", ...}]
        ```

    Errors: core errors become ``ToolException`` (see the module docstring).
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    name: str = "hf_media_generation"
    description: str = _DESCRIPTION
    args_schema: type[BaseModel] = Field(default=HFMediaInput, exclude=True)  # a class: not data
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"

    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("HF_TOKEN", default=None), alias="hf_token"
    )
    """Hugging Face token; default ``HF_TOKEN``, then the core's own lookup
    (``HUGGING_FACE_HUB_TOKEN``, the huggingface_hub token file)."""
    base_url: str | None = None
    """Router root (a trailing ``/v1`` is dropped; default ``HF_ROUTER_BASE_URL``, else the
    public router)."""
    hub_url: str | None = None
    """Hub endpoint for provider mappings (default ``HF_ENDPOINT``, else huggingface.co)."""
    output_dir: str | None = None
    """Where files are saved (default: the core's per-user cache directory)."""
    image_model: str = "black-forest-labs/FLUX.1-dev"
    """Model used for ``kind="image"`` when the call names none."""
    video_model: str = "Wan-AI/Wan2.1-T2V-14B"
    """Model used for ``kind="video"`` when the call names none."""
    provider: str | None = None
    """Pin an inference provider (default: the model's live providers in order, with fallback)."""
    timeout: float = 120.0
    """HTTP timeout per request, in seconds."""
    poll_timeout: float = 600.0
    """How long to wait for an asynchronous (queued) job, in seconds."""

    _client: MediaClient = PrivateAttr()

    def __getstate__(self) -> dict[Any, Any]:
        raise TypeError(
            "HFMediaTool cannot be pickled: it holds a secret and live connections, which never"
            " leave the process. Build it inside the worker (a Ray actor's __init__, a multiprocessing initializer), where "
            "HFMediaTool() reads HF_TOKEN."
        )

    @field_validator("output_dir", mode="before")
    @classmethod
    def _fspath(cls, value: Any) -> Any:
        """Accept ``pathlib.Path`` (any ``os.PathLike``) for ``output_dir``."""
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    def __init__(self, **kwargs: Any) -> None:
        """Validate the fields and build the core client; bad values raise
        :class:`~hf_router.errors.InvalidInputError` naming the field (not Pydantic's error)."""
        validated_init(super().__init__, type(self), kwargs)

    def model_post_init(self, context: Any, /) -> None:
        """Build the core client once (it pools its HTTP connections lazily)."""
        super().model_post_init(context)
        for field in ("image_model", "video_model"):
            value = getattr(self, field)
            if not value.strip():
                raise InvalidInputError(f"{field} is empty; pass a model id such as 'org/name'")
        self._client = MediaClient(
            self.api_key.get_secret_value() if self.api_key else None,
            base_url=self.base_url,
            hub_url=self.hub_url,
            timeout=self.timeout,
            output_dir=self.output_dir,
            poll_timeout=self.poll_timeout,
        )

    @property
    def lc_secrets(self) -> dict[str, str]:
        """``api_key`` is serialised as a reference to ``HF_TOKEN``, never its value."""
        return {"api_key": "HF_TOKEN"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """The tool's configuration can be serialised (secrets excluded)."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """``["langchain_hf_router", "tools"]``."""
        return ["langchain_hf_router", "tools"]

    # -- running ---------------------------------------------------------------------------
    def _start(
        self, kind: str, model: str | None, n: int, aspect_ratio: str | None
    ) -> tuple[dict[str, Any], _Report]:
        """The core call's arguments (the call's model, else this tool's default for ``kind``)
        and the report that collects its events."""
        model = model or (self.video_model if kind == "video" else self.image_model)
        request = {
            "kind": kind,
            "model": model,
            "n": n,
            "aspect_ratio": aspect_ratio,
            "provider": self.provider,
        }
        return request, _Report(model, kind)

    def _run(
        self,
        prompt: str,
        kind: Literal["image", "video"] = "image",
        aspect_ratio: str | None = None,
        n: int = 1,
        model: str | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        """Generate synchronously (the core's ``stream_media``)."""
        request, report = self._start(kind, model, n, aspect_ratio)
        with _tool_errors(), closing(self._client.stream_media(prompt=prompt, **request)) as events:
            for event in events:
                _notify(run_manager, event, report.add(event))
        return report.result()

    async def _arun(
        self,
        prompt: str,
        kind: Literal["image", "video"] = "image",
        aspect_ratio: str | None = None,
        n: int = 1,
        model: str | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        """Generate asynchronously (the core's ``astream_media``; no thread pool)."""
        request, report = self._start(kind, model, n, aspect_ratio)
        with _tool_errors():
            async with aclosing(self._client.astream_media(prompt=prompt, **request)) as events:
                async for event in events:
                    await _anotify(run_manager, event, report.add(event))
        return report.result()


@contextmanager
def _tool_errors() -> Iterator[None]:
    """Re-raise the core's errors as ``ToolException`` (the error is its ``__cause__``)."""
    try:
        yield
    except HFRouterError as exc:
        raise ToolException(str(exc)) from exc


def _notify(run_manager: CallbackManagerForToolRun | None, event: object, text: str) -> None:
    """Hand a progress line to ``on_text`` and, for a ``Status``, the custom event."""
    if run_manager is not None and text:
        run_manager.on_text(text + "\n")
        if isinstance(event, Status):
            config: RunnableConfig = {"callbacks": run_manager.get_child()}
            dispatch_custom_event(MEDIA_STATUS_EVENT, _status_payload(event), config=config)


async def _anotify(
    run_manager: AsyncCallbackManagerForToolRun | None, event: object, text: str
) -> None:
    """Async twin of :func:`_notify`."""
    if run_manager is not None and text:
        await run_manager.on_text(text + "\n")
        if isinstance(event, Status):
            config: RunnableConfig = {"callbacks": run_manager.get_child()}
            await adispatch_custom_event(MEDIA_STATUS_EVENT, _status_payload(event), config=config)


def _status_payload(event: Status) -> dict[str, Any]:
    return {"label": event.label, "text": event.text, "elapsed_s": event.elapsed_s}


class _Report:
    """Collects one generation's events into the tool's ``(content, artifact)`` pair."""

    def __init__(self, model: str, kind: str) -> None:
        self.model = model
        self.kind = kind
        self.results: list[MediaResult] = []
        self.skipped: list[Fallback] = []
        self.provider: str | None = None

    def add(self, event: object) -> str:
        """Record ``event``; return a progress line for ``on_text`` (empty: nothing to say)."""
        if isinstance(event, Status):
            return event.text or f"{event.label} {event.elapsed_s:.0f}s"
        if isinstance(event, Fallback):
            self.skipped.append(event)
            return f"Skipped provider {event.provider or '?'}: {_why(event)}"
        if isinstance(event, ProviderInfo):
            self.provider = event.provider or self.provider
            self.model = event.model or self.model
            return f"Generating with {event.provider or 'the router'} ({event.model})"
        if isinstance(event, MediaResult):
            self.results.append(event)
            return f"Saved {event.path or event.url or 'a file'}"
        return ""

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        return _content(self), [_artifact(r) for r in self.results]


def _why(fallback: Fallback) -> str:
    """The full reason, for progress lines."""
    status = f"HTTP {fallback.status_code}" if fallback.status_code else fallback.error_type
    return f"{status}, {fallback.reason}" if fallback.reason else status


def _short_why(fallback: Fallback) -> str:
    """A few words for the model-facing content."""
    status = f"HTTP {fallback.status_code} " if fallback.status_code else ""
    return f"{status}{fallback.error_type}"


def _content(report: _Report) -> str:
    results = report.results
    if not results:
        return f"No {report.kind} was generated."
    noun = results[0].kind
    files = ", ".join(_where(r) for r in results)
    plural = "s" if len(results) > 1 else ""
    providers = _unique(r.provider or report.provider for r in results) or ["the router"]
    made_by = f"made by {', '.join(providers)} with {report.model}"
    text = f"Saved {len(results)} {noun}{plural} to {files} ({made_by})."
    if report.skipped:
        skipped = ", ".join(f"{f.provider or '?'} ({_short_why(f)})" for f in report.skipped)
        text += f" Skipped providers: {skipped}."
    return text


def _where(result: MediaResult) -> str:
    if result.path:
        return result.path
    return result.url if result.url and not result.url.startswith("data:") else "(no file)"


def _unique(items: Any) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen


def _artifact(result: MediaResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    if isinstance(data.get("url"), str) and data["url"].startswith("data:"):
        data["url"] = None  # inline bytes are on disk already; keep the artifact small
    return data
