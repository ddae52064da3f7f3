"""Seed-compatible facade: ``HuggingFaceAPI`` with the seed's class attributes, classmethods and
keyword arguments (gpt4free ``g4f/Provider/hf/HuggingFaceAPI.py`` and its ``OpenaiTemplate``),
as a thin wrapper over :class:`~hf_router.RouterClient`."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from .._shared.config import (
    DEFAULT_BASE_URL,
    DEFAULT_HUB_URL,
    SEED_MAX_TOKENS,
    Secret,
    find_token,
)
from .._shared.messages import media_to_parts
from .._shared.models import (
    DEFAULT_FALLBACK_MODELS,
    DEFAULT_MODEL,
    DEFAULT_VISION_MODEL,
    DEFAULT_VISION_MODELS,
    FACADE_MODEL_ALIASES,
    parse_model,
    resolve_model,
)
from .._shared.pool import ClientPool, secret_digest
from ..errors import InvalidInputError
from ..events import Event, TextDelta
from ._client import RouterClient
from ._request import UNSET

__all__ = ["HuggingFaceAPI", "render_seed_media"]

_ENDPOINT_SUFFIX = "/chat/completions"
_BODY_KWARGS = ("modalities", "audio")
"""Seed ``OpenaiTemplate`` keywords copied into the request body as they are."""
_IGNORED_KWARGS = ("impersonate", "prompt")
"""Seed keywords that have no meaning here (curl_cffi browser impersonation; the text prompt
of image providers) and are dropped."""


def _audio_part(data: Any, filename: str | None) -> dict[str, Any] | None:
    """The seed's ``input_audio`` part for audio media (by file name or ``data:audio/`` URI),
    else None."""
    if isinstance(data, str) and data.startswith("data:audio/"):
        header, _, payload = data[5:].partition(",")
        fmt = header.split(";")[0].split("/", 1)[1]
        return _input_audio(payload, fmt)
    mime = mimetypes.guess_type(filename or "")[0] or ""
    if not mime.startswith("audio/") and not (
        isinstance(data, str | Path)
        and (mimetypes.guess_type(str(data))[0] or "").startswith("audio/")
    ):
        return None
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    elif isinstance(data, str | Path) and Path(data).expanduser().is_file():
        raw = Path(data).expanduser().read_bytes()
        filename = filename or Path(data).name
    else:
        raise InvalidInputError(
            f"The audio media {str(filename or data)[:80]!r} is neither bytes, an existing file "
            "nor a data:audio/ URI"
        )
    if not raw:
        raise InvalidInputError(f"The audio media {filename!r} is empty")
    ext = Path(filename or "").suffix.lstrip(".").lower() or mime.split("/", 1)[1]
    return _input_audio(base64.b64encode(raw).decode("ascii"), ext)


def _input_audio(b64: str, fmt: str) -> dict[str, Any]:
    fmt = {"mpeg": "mp3", "x-wav": "wav", "wave": "wav"}.get(fmt.lower(), fmt.lower())
    return {"type": "input_audio", "input_audio": {"data": b64, "format": fmt}}


def render_seed_media(
    messages: Sequence[Mapping[str, Any]], media: Sequence[Any] | None
) -> list[dict[str, Any]]:
    """The seed's ``render_messages``: each ``(data, filename)`` pair (or bare item) of ``media``
    becomes a content part of the *last* message, placed *before* its text: audio (by the file
    name's type or a ``data:audio/`` URI) an ``input_audio`` part (``mpeg`` is ``mp3``), anything
    else an ``image_url`` data URI. A list content keeps its parts after the media (the seed
    leaves such a message without the media)."""
    if not media or isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        return messages  # type: ignore[return-value]  (validated by the client)
    out = [dict(m) if isinstance(m, Mapping) else m for m in messages]
    if not out or not isinstance(out[-1], dict):
        raise InvalidInputError("media was given but there is no last message to attach it to")
    parts: list[dict[str, Any]] = []
    for item in media:
        data, name = item if isinstance(item, tuple) and len(item) == 2 else (item, None)
        audio = _audio_part(data, name)
        parts.append(audio if audio is not None else media_to_parts([item])[0])
    last = out[-1]
    content = last.get("content")
    if isinstance(content, list):
        last["content"] = [*parts, *content]
    else:
        text = [{"type": "text", "text": content}] if content else []
        last["content"] = [*parts, *text]
    return out


class HuggingFaceAPI:
    """Streaming chat through the router, with the seed's names (``create_async_generator``
    yields :class:`~hf_router.events.ProviderInfo`, then ``str`` text chunks, then the other
    events such as :class:`~hf_router.events.Usage` and :class:`~hf_router.events.Finish`).

    The seed keywords work: ``proxy``, ``timeout``, ``headers`` (added to ours; they never
    replace ``Authorization``), ``extra_data`` (merged into the body last), ``api_endpoint`` (a
    full ``.../chat/completions`` URL), ``modalities`` and ``audio`` (sent as they are), and
    ``media`` as ``(data, filename)`` pairs (audio files become ``input_audio`` parts)."""

    label: ClassVar[str] = "HuggingFace (Inference Providers)"
    parent: ClassVar[str] = "HuggingFace"
    url: ClassVar[str] = DEFAULT_HUB_URL
    api_base: ClassVar[str] = DEFAULT_BASE_URL
    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = True
    supports_stream: ClassVar[bool] = True

    default_model: ClassVar[str] = DEFAULT_MODEL
    default_llama_model: ClassVar[str] = DEFAULT_MODEL
    default_vision_model: ClassVar[str] = DEFAULT_VISION_MODEL
    vision_models: ClassVar[list[str]] = list(DEFAULT_VISION_MODELS)
    model_aliases: ClassVar[dict[str, str]] = dict(FACADE_MODEL_ALIASES)
    fallback_models: ClassVar[list[str]] = list(DEFAULT_FALLBACK_MODELS)
    provider_mapping: ClassVar[dict[str, dict[str, dict[str, Any]]]] = {}
    models: ClassVar[list[str]] = []

    _clients: ClassVar[ClientPool[RouterClient]] = ClientPool()

    @classmethod
    def _client(
        cls,
        api_key: str | None = None,
        api_base: str | None = None,
        *,
        proxy: str | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RouterClient:
        token = find_token(api_key)
        extra = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        key = (api_base, secret_digest(token), proxy, timeout, tuple(sorted(extra.items())))

        def create() -> RouterClient:
            client = RouterClient(
                token or None,
                base_url=api_base,
                use_hub_mapping=None if api_base is None else False,
                fallback_models=() if api_base else cls.fallback_models,
                model_aliases=cls.model_aliases,
                default_model=cls.default_model,
                default_vision_model=cls.default_vision_model,
                headers=extra or None,
                **({"timeout": float(timeout)} if timeout else {}),
            )
            client.http.proxy = proxy
            return client

        return cls._clients.get_or_create(key, create)

    @classmethod
    def get_model(cls, model: str, *, has_images: bool = False, **kwargs: Any) -> str:
        """Resolve aliases; unknown names are returned unchanged (the router decides)."""
        return resolve_model(
            model,
            aliases=cls.model_aliases,
            default_model=cls.default_model,
            default_vision_model=cls.default_vision_model,
            has_images=has_images,
        )

    @classmethod
    def get_models(cls, api_key: str | None = None, **kwargs: Any) -> list[str]:
        """The router's models (cached); the fallback list when it cannot be fetched."""
        if not cls.models:
            models = cls._client(api_key).get_models()
            cls.models = models or list(cls.fallback_models)
        return cls.models

    @classmethod
    async def get_mapping(cls, model: str, api_key: str | None = None) -> dict[str, dict[str, Any]]:
        """The model's live providers from the Hub, in the seed's dict form
        ``{provider: {"status", "providerId", "task"}}`` (cached in ``provider_mapping``)."""
        model = cls.get_model(model)
        if model not in cls.provider_mapping:
            mapping = await cls._client(api_key).aget_mapping(model)
            cls.provider_mapping[model] = {m.provider: m.to_seed_dict() for m in mapping}
        return cls.provider_mapping[model]

    @classmethod
    def _prepare(
        cls,
        model: str | None,
        messages: Sequence[dict[str, Any]],
        api_base: str | None,
        api_key: str | Secret | None,
        media: Sequence[Any] | None,
        kwargs: dict[str, Any],
    ) -> tuple[RouterClient, str | None, list[dict[str, Any]], dict[str, Any]]:
        """The client, model, messages and chat parameters for one seed call."""
        key = api_key.get_secret_value() if isinstance(api_key, Secret) else api_key
        endpoint = kwargs.pop("api_endpoint", None)
        if endpoint is not None:
            if not isinstance(endpoint, str) or not endpoint.rstrip("/").endswith(_ENDPOINT_SUFFIX):
                raise InvalidInputError(
                    f"api_endpoint={endpoint!r} must be the full URL of an OpenAI-compatible "
                    f"chat endpoint, ending in {_ENDPOINT_SUFFIX}"
                )
            api_base = endpoint.rstrip("/")[: -len(_ENDPOINT_SUFFIX)]
        headers = kwargs.pop("headers", None)
        if headers is not None and not isinstance(headers, Mapping):
            raise InvalidInputError("headers must be a dict of extra HTTP headers")
        timeout = kwargs.pop("timeout", None)
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0
        ):
            raise InvalidInputError(f"timeout={timeout!r} must be a number of seconds")
        client = cls._client(
            key, api_base, proxy=kwargs.pop("proxy", None), timeout=timeout, headers=headers
        )
        for name in _IGNORED_KWARGS:
            kwargs.pop(name, None)
        extra_data = kwargs.pop("extra_data", None) or {}
        if not isinstance(extra_data, Mapping):
            raise InvalidInputError("extra_data must be a dict merged into the request body")
        extra_body = kwargs.pop("extra_body", None) or {}
        if not isinstance(extra_body, Mapping):
            raise InvalidInputError("extra_body must be a dict merged into the request body")
        body = dict(extra_body)
        body |= {k: kwargs.pop(k) for k in _BODY_KWARGS if kwargs.get(k) is not None}
        body |= extra_data
        if body:
            kwargs["extra_body"] = body
        if not model and media is not None:  # seed: media without a model means vision
            model = cls.default_vision_model
        resolved = cls.get_model(model) if model else model
        if resolved and parse_model(resolved).provider:
            kwargs["fallback_models"] = ()  # pinned: its provider's error, never another model
        # seed: model="" means the default model (the client's None)
        return client, resolved or None, render_seed_media(messages, media), kwargs

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Sequence[dict[str, Any]],
        api_base: str | None = None,
        api_key: str | Secret | None = None,
        max_tokens: int | None = SEED_MAX_TOKENS,
        max_inputs_lenght: int | str | None = 10000,
        media: Sequence[Any] | None = None,
        max_inputs_length: Any = UNSET,
        **kwargs: Any,
    ) -> AsyncIterator[str | Event]:
        """Stream an answer: ``ProviderInfo``, then text as ``str``, then the other events.

        An explicit ``api_base`` (or ``api_endpoint``) is used as an OpenAI-compatible base
        directly (no Hub lookup). A ``model:provider`` that fails raises that provider's error.
        As in the seed, ``model=""`` means the default model; any other bad argument raises
        :class:`~hf_router.errors.InvalidInputError` before a request is sent.
        ``max_tokens`` keeps the seed's default, 2048 (``None`` sends no cap). The input limit
        keeps the seed's default of 10,000 characters (``max_inputs_length`` is accepted as an
        alias; ``"auto"`` fits the model's context window instead).
        """
        if max_inputs_length is not UNSET:
            max_inputs_lenght = max_inputs_length
        client, model, messages, params = cls._prepare(
            model, messages, api_base, api_key, media, kwargs
        )
        async for event in client.astream_chat(
            model, messages, max_tokens=max_tokens, max_inputs_lenght=max_inputs_lenght, **params
        ):
            yield event.text if isinstance(event, TextDelta) else event

    @classmethod
    def create_completion(
        cls,
        model: str,
        messages: Sequence[dict[str, Any]],
        api_base: str | None = None,
        api_key: str | Secret | None = None,
        max_tokens: int | None = SEED_MAX_TOKENS,
        max_inputs_lenght: int | str | None = 10000,
        media: Sequence[Any] | None = None,
        max_inputs_length: Any = UNSET,
        **kwargs: Any,
    ) -> Iterator[str | Event]:
        """Sync twin of :meth:`create_async_generator` (the seed's ``create_completion``):
        the same items, from the client's own sync HTTP (no event loop)."""
        if max_inputs_length is not UNSET:
            max_inputs_lenght = max_inputs_length
        client, model, messages, params = cls._prepare(
            model, messages, api_base, api_key, media, kwargs
        )
        for event in client.stream_chat(
            model, messages, max_tokens=max_tokens, max_inputs_lenght=max_inputs_lenght, **params
        ):
            yield event.text if isinstance(event, TextDelta) else event
