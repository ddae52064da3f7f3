"""Seed-compatible facade: ``HuggingFaceMedia`` with the seed's class attributes and
classmethods, as a thin wrapper over :class:`~hf_router.MediaClient`.

Where the seed and the official clients disagree, this facade follows the seed (gpt4free
``g4f/Provider/hf/HuggingFaceMedia.py``): replicate, together and hf-inference are tried first
(in mapping order), then the other providers; hf-inference gets a random ``seed`` per request
when none is given; no model means the first listed one. :class:`MediaClient` itself follows
huggingface_hub / huggingface.js (mapping order, no invented seed, a model is required)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from .._shared.checks import check_count, check_seconds
from .._shared.config import DEFAULT_HUB_URL, Secret, find_token, resolve_hub_url
from .._shared.models import SEED_MODEL_ALIASES, parse_model
from .._shared.pool import ClientPool, secret_digest
from ..errors import InvalidInputError, ModelNotSupportedError
from ..events import Event
from ._client import MediaClient, resolve_router_root
from ._engine import MAX_N
from .providers._base import MediaTask

__all__ = ["HuggingFaceMedia", "format_image_prompt"]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = [p.get("text") for p in content if isinstance(p, Mapping)]
        return " ".join(p for p in parts if isinstance(p, str) and p)
    return ""


def format_image_prompt(
    messages: Sequence[Mapping[str, Any]] | None, prompt: str | None = None
) -> str:
    """The seed's ``format_image_prompt``: ``prompt`` when given, else the text of the last
    user message (text parts of a multimodal message joined with a space)."""
    if prompt is not None and str(prompt).strip():
        return str(prompt)
    for message in reversed(list(messages or ())):
        if isinstance(message, Mapping) and message.get("role") == "user":
            text = _text(message.get("content")).strip()
            if text:
                return text
    raise InvalidInputError(
        "No prompt: pass prompt='...' or end the messages with a user message describing the "
        "image or video"
    )


_KEYWORDS = frozenset({"seed", "negative_prompt", "output_dir"})
_IGNORED = frozenset({"stream", "proxy", "cookies", "return_conversation"})
"""Seed keywords that g4f-style callers pass to every provider; they mean nothing here."""


def _check_call(
    n: Any,
    prompt: str,
    aspect_ratio: Any,
    width: Any,
    height: Any,
    resolution: Any,
    extra_data: Any,
    kwargs: Mapping[str, Any],
) -> None:
    """Validate the arguments before the Hub mapping is asked (nothing is sent on a mistake)."""
    unknown = sorted(set(kwargs) - _KEYWORDS - _IGNORED)
    if unknown:
        raise InvalidInputError(
            f"Unknown argument(s) {', '.join(unknown)}; the keywords are seed, negative_prompt "
            "and output_dir, and provider-specific fields go in extra_data={...}"
        )
    check_count(n, "n", high=MAX_N)
    MediaTask.build(
        "video",  # the kind with every option: validates them all
        prompt,
        aspect_ratio=aspect_ratio,
        width=width,
        height=height,
        resolution=resolution,
        seed=kwargs.get("seed"),
        negative_prompt=kwargs.get("negative_prompt"),
        extra=extra_data,
    )
    output_dir = kwargs.get("output_dir")
    if output_dir is not None and not isinstance(output_dir, (str, os.PathLike)):
        raise InvalidInputError(f"output_dir={output_dir!r} must be a directory path or None")


class HuggingFaceMedia:
    """Image and video generation with the seed's names. ``create_async_generator`` yields
    :class:`~hf_router.events.Status` (progress, at least once a second, then ``Finished``),
    :class:`~hf_router.events.Fallback` (a provider was skipped),
    :class:`~hf_router.events.ProviderInfo` and one :class:`~hf_router.events.MediaResult` per
    saved file. Whether it makes images or videos follows the model's Hub mapping task."""

    label: ClassVar[str] = "HuggingFace (Image/Video Generation)"
    parent: ClassVar[str] = "HuggingFace"
    url: ClassVar[str] = DEFAULT_HUB_URL
    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = True
    supports_stream: ClassVar[bool] = True

    model_aliases: ClassVar[dict[str, str]] = {
        k: v for k, v in SEED_MODEL_ALIASES.items() if k.startswith(("flux", "sd-"))
    }
    """The seed's image aliases (``flux``, ``flux-dev``, ``flux-schnell``, ``sd-3.5``)."""
    tasks: ClassVar[list[str]] = ["text-to-image", "text-to-video"]
    provider_mapping: ClassVar[dict[str, dict[str, dict[str, Any]]]] = {}
    task_mapping: ClassVar[dict[str, str]] = {}
    models: ClassVar[list[str]] = []
    image_models: ClassVar[list[str]] = []
    video_models: ClassVar[list[str]] = []

    _clients: ClassVar[ClientPool[MediaClient]] = ClientPool()

    @classmethod
    def _client(
        cls, api_key: str | Secret | None = None, timeout: float = 0, proxy: str | None = None
    ) -> MediaClient:
        token = find_token(api_key)
        key = (
            secret_digest(token), resolve_router_root(), resolve_hub_url(), timeout or None, proxy
        )  # fmt: skip
        extra = {"timeout": float(timeout)} if timeout and timeout > 0 else {}

        def create() -> MediaClient:
            client = MediaClient(token, **extra)
            client.http.proxy = proxy
            return client

        return cls._clients.get_or_create(key, create)

    @classmethod
    def get_model(cls, model: str | None, api_key: str | None = None, **kwargs: Any) -> str:
        """The seed's ``get_model``: an alias (``flux``...) resolves, keeping a ``:provider``
        suffix; an empty name is the first listed model (``get_models()[0]``, as the seed's
        generation does); other names pass unchanged (the Hub mapping decides)."""
        if not model:
            models = cls.get_models(api_key)
            if not models:
                raise ModelNotSupportedError(
                    "No model was given and the Hub lists no media model",
                    hint="Pass a model such as 'black-forest-labs/FLUX.1-dev'.",
                )
            return models[0]
        base, sep, suffix = model.partition(":")
        target = cls.model_aliases.get(base)
        return f"{target}{sep}{suffix}" if target else model

    @classmethod
    def get_models(cls, api_key: str | None = None, **kwargs: Any) -> list[str]:
        """Models with a live text-to-video or text-to-image provider (video first), each
        followed by its ``model:provider`` entries; cached. An empty list on failure."""
        if not cls.models:
            client = cls._client(api_key)
            models = client.get_media_models()
            if models:
                cls.models = models
                cls.video_models = list(client.video_models)
                cls.image_models = list(client.image_models)
                cls.task_mapping = {m: "text-to-video" for m in cls.video_models}
                cls.task_mapping |= {m: "text-to-image" for m in cls.image_models}
        return cls.models

    @classmethod
    async def get_mapping(
        cls, model: str, api_key: str | Secret | None = None
    ) -> dict[str, dict[str, Any]]:
        """The model's live providers in the seed's dict form
        ``{provider: {"status", "providerId", "task"}}`` (cached in ``provider_mapping``)."""
        repo = parse_model(model).repo_id
        if repo not in cls.provider_mapping:
            mapping = await cls._client(api_key).catalog.aget_mapping(repo)
            cls.provider_mapping[repo] = {m.provider: m.to_seed_dict() for m in mapping}
        return cls.provider_mapping[repo]

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        api_key: str | Secret | None = None,
        extra_data: Mapping[str, Any] | None = None,
        prompt: str | None = None,
        proxy: str | None = None,
        timeout: float = 0,
        n: int = 1,
        aspect_ratio: str | None = None,
        height: int | None = None,
        width: int | None = None,
        resolution: str = "480p",
        **kwargs: Any,
    ) -> AsyncIterator[Event]:
        """Generate ``n`` images or videos for ``prompt`` (or the last user message). A
        ``model:provider`` model pins the provider; no model means the first listed one.
        ``proxy`` routes the requests through that proxy; ``timeout`` > 0 sets the
        per-request timeout. ``seed``, ``negative_prompt`` and ``output_dir`` may be passed
        as keywords. Providers are tried in the seed's order (replicate, together,
        hf-inference, then the others), and hf-inference gets a random seed when none is
        given."""
        text = format_image_prompt(messages, prompt)
        if timeout is not None and timeout != 0:
            check_seconds(timeout, "timeout")
        _check_call(n, text, aspect_ratio, width, height, resolution, extra_data, kwargs)
        client = cls._client(api_key, timeout, proxy)
        if not model:
            models = await client.aget_media_models()
            if not models:
                raise ModelNotSupportedError(
                    "No model was given and the Hub lists no media model",
                    hint="Pass a model such as 'black-forest-labs/FLUX.1-dev'.",
                )
            model = models[0]
        model = cls.get_model(model)
        ref = parse_model(model)
        mapping = await cls.get_mapping(ref.repo_id, api_key)
        if ref.provider:
            entries = [mapping[ref.provider]] if ref.provider in mapping else []
        else:
            entries = list(mapping.values())
        task = next((e.get("task") for e in entries if e.get("task") in cls.tasks), None)
        if task is None:
            found = ", ".join(sorted({str(e.get("task")) for e in entries})) or "no live provider"
            raise ModelNotSupportedError(
                f"{model} cannot generate images or videos here ({found})",
                model=ref.repo_id,
                provider=ref.provider,
                hint="Pick a model with a live text-to-image or text-to-video provider "
                "(HuggingFaceMedia.get_models() lists them).",
            )
        kind = "video" if task == "text-to-video" else "image"
        events = client._engine.astream(
            kind,
            model,
            text,
            n=n,
            aspect_ratio=aspect_ratio,
            width=width,
            height=height,
            resolution=resolution if kind == "video" else None,
            seed=kwargs.get("seed"),
            negative_prompt=kwargs.get("negative_prompt"),
            extra_data=dict(extra_data or {}) or None,
            output_dir=kwargs.get("output_dir"),
            seed_compat=True,
        )
        async for event in events:
            yield event

    @classmethod
    def create_completion(
        cls,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        api_key: str | Secret | None = None,
        **kwargs: Any,
    ) -> Iterator[Event]:
        """Sync twin of :meth:`create_async_generator` (the seed's ``create_completion``):
        the same events, generated on the client's private event loop (so it also works
        inside a running loop)."""
        client = cls._client(api_key, kwargs.get("timeout") or 0, kwargs.get("proxy"))
        thread, _ = client._sync_engine()
        yield from thread.iterate(cls.create_async_generator(model, messages, api_key, **kwargs))
